//! One integration binary (saves link time): black-box tests through the real HTTP server.

mod helpers;

mod access;
mod accounts;
mod contract;
mod documents;
mod employers;
mod lifecycle;
mod lifecycle_pages;
mod operations;
mod roster;
mod system;
