//! What a run tells its user: the console summary, the JSON run summary, and the import
//! instructions both share.

pub mod console;
pub mod import;
pub mod summary;
pub mod workbook;

use crate::cli::ConvertArgs;
use crate::mapping::Mapping;
use crate::pipeline::Pipeline;
use crate::read::{Format, InputInfo};
use crate::write::Schemes;

/// Everything known about a finished (or failed) conversion.
pub struct Run<'a> {
    pub args: &'a ConvertArgs,
    pub mapping: Option<&'a Mapping>,
    pub inputs: &'a [InputInfo],
    pub pipeline: &'a Pipeline<'a>,
    pub format: Format,
    pub gzip: bool,
    pub schemes: &'a Schemes,
    /// Set once the output file is in place.
    pub output_sha256: Option<String>,
    pub exit_code: u8,
    /// Why the run stopped without output, for a failing policy.
    pub failure: Option<String>,
}

impl Run<'_> {
    /// True when an output was (or, for `--dry-run`, would be) written.
    pub fn wrote_output(&self) -> bool {
        self.output_sha256.is_some()
    }
}
