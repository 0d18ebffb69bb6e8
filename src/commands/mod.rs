//! The subcommands: each turns parsed options into work and an exit code.

pub mod compare;
pub mod convert;
pub mod inspect;
pub mod mapping;
pub mod reconcile;
