//! Integration tests: drive the real `pi2de` binary on real files in temporary folders. One
//! test binary, one module per theme; [`workdir`] holds the helpers they share.

mod auditors;
mod broken;
mod calendars;
mod classes;
mod compare;
mod disaggregation;
mod entry_order;
mod exports;
mod faults;
mod first_hour;
mod fixtures;
mod hmis_edits;
mod hmis_side;
mod hostile;
mod identical;
mod inputs;
mod inspect;
mod invariants;
mod limits;
mod mappings;
mod outputs;
mod paths;
mod printing;
mod promises;
mod quality;
mod reconcile;
mod rules;
mod samples;
mod serve;
mod shown;
mod snapshots;
mod target;
mod trace;
mod transfer;
mod validation;
mod workbooks;
mod workdir;

#[allow(unused_imports)]
pub(crate) use auditors::*;
#[allow(unused_imports)]
pub(crate) use broken::*;
#[allow(unused_imports)]
pub(crate) use compare::*;
#[allow(unused_imports)]
pub(crate) use exports::*;
#[allow(unused_imports)]
pub(crate) use faults::*;
#[allow(unused_imports)]
pub(crate) use first_hour::*;
#[allow(unused_imports)]
pub(crate) use fixtures::*;
#[allow(unused_imports)]
pub(crate) use hostile::*;
#[allow(unused_imports)]
pub(crate) use identical::*;
#[allow(unused_imports)]
pub(crate) use inputs::*;
#[allow(unused_imports)]
pub(crate) use inspect::*;
#[allow(unused_imports)]
pub(crate) use limits::*;
#[allow(unused_imports)]
pub(crate) use mappings::*;
#[allow(unused_imports)]
pub(crate) use outputs::*;
#[allow(unused_imports)]
pub(crate) use paths::*;
#[allow(unused_imports)]
pub(crate) use reconcile::*;
#[allow(unused_imports)]
pub(crate) use rules::*;
#[allow(unused_imports)]
pub(crate) use samples::*;
#[allow(unused_imports)]
pub(crate) use target::*;
#[allow(unused_imports)]
pub(crate) use trace::*;
#[allow(unused_imports)]
pub(crate) use transfer::*;
#[allow(unused_imports)]
pub(crate) use validation::*;
#[allow(unused_imports)]
pub(crate) use workbooks::*;
#[allow(unused_imports)]
pub(crate) use workdir::*;

#[allow(unused_imports)]
pub(crate) use assert_cmd::Command;
#[allow(unused_imports)]
pub(crate) use predicates::prelude::*;
#[allow(unused_imports)]
pub(crate) use rust_xlsxwriter::Workbook;
#[allow(unused_imports)]
pub(crate) use serde_json::Value;
#[allow(unused_imports)]
pub(crate) use std::fs;
#[allow(unused_imports)]
pub(crate) use std::io::{Read, Write};
#[allow(unused_imports)]
pub(crate) use std::path::{Path, PathBuf};
#[allow(unused_imports)]
pub(crate) use tempfile::TempDir;
