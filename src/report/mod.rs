//! What a run tells its user: the console summary, the JSON run summary, and the import
//! instructions both share.

pub mod console;
pub mod import;
pub mod summary;
pub mod workbook;

use crate::cli::ConvertArgs;
use crate::mapping::Mapping;
use crate::pipeline::Pipeline;
use crate::preflight::DataSetId;
use crate::preflight::version::TargetVersion;
use crate::read::{Format, InputInfo};
use crate::write::Schemes;

/// One output file as written.
#[derive(Debug, Clone)]
pub struct OutputFile {
    pub path: String,
    pub data_set: Option<DataSetId>,
    pub values: u64,
    pub deletions: u64,
    /// Computed when a summary or report asks for it.
    pub sha256: Option<String>,
}

/// Everything known about a finished (or failed) conversion.
pub struct Run<'a> {
    pub args: &'a ConvertArgs,
    /// The target instance's version, when the run judged against one.
    pub target: Option<TargetVersion>,
    /// Things the user must know that are not about single values.
    pub warnings: Vec<String>,
    pub mapping: Option<&'a Mapping>,
    pub inputs: &'a [InputInfo],
    pub pipeline: &'a Pipeline<'a>,
    pub format: Format,
    pub gzip: bool,
    pub schemes: &'a Schemes,
    /// The output files, once in place.
    pub files: Vec<OutputFile>,
    /// The completeness payload written, and its registrations.
    pub complete: Option<(String, usize)>,
    pub exit_code: u8,
    /// Why the run stopped without output, for a failing policy.
    pub failure: Option<String>,
}

impl Run<'_> {
    /// True when output was written.
    pub fn wrote_output(&self) -> bool {
        !self.files.is_empty()
    }

    /// How to import one output file.
    pub fn instructions(&self, file: &OutputFile) -> Vec<String> {
        import::instructions(
            &file.path,
            self.format,
            self.gzip,
            self.schemes,
            file.data_set.as_ref(),
        )
    }
}
