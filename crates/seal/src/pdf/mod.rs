//! PDF digital signatures: a focused reader for the structures a signature touches, the
//! incremental update that adds one, and its offline check.

mod document;
mod object;
pub(crate) mod sign;
pub(crate) mod text;
mod verify;

pub use sign::sign_pdf_with;
pub use verify::verify_pdf;
