//! The pure domain core of wangqian: validators, code tables, roles, the access policy and the
//! per-school settings. Nothing here performs I/O or reads the clock: callers pass `now` in.

pub mod attestation;
pub mod binding;
pub mod codes;
pub mod contact;
pub mod credit_code;
pub mod destination_form;
pub mod document;
pub mod id_number;
pub mod ids;
pub mod lifecycle;
pub mod policy;
pub mod record_correction;
pub mod regions;
pub mod role;
pub mod roster;
pub mod roster_review;
pub mod school;
pub mod school_code;
pub mod settings;
pub mod terms;
