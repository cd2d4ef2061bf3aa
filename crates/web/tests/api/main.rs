//! One integration binary (saves link time): black-box tests through the real HTTP server.

mod helpers;

mod access;
mod accounts;
mod action_spec;
mod attestation;
mod clock;
mod contract;
mod destination_categories;
mod destination_region;
mod documents;
mod employer_members;
mod employer_more;
mod employers;
mod invitation_dead_ends;
mod lifecycle;
mod lifecycle_pages;
mod operations;
mod page_forms;
mod password_reset;
mod record_corrections;
mod record_uploads;
mod regions;
mod roster;
mod roster_review;
mod schools;
mod self_unbind;
mod signing_defaults;
mod signing_lock;
mod system;
mod todo_counts;
