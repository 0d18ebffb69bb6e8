//! What a run tells its user: the console summary, the JSON run summary, the audit workbook,
//! and the import instructions they share. Each takes the checked configuration and the
//! outcome ([`Run`]), never the command line.

pub mod console;
pub mod import;
mod mapping_sheet;
mod screening;
pub mod summary;
pub mod workbook;

use crate::config::{ConvertConfig, OutputPlan};
use crate::exit_codes::ExitCode;
use crate::ids::DataSetId;
use crate::mapping::Mapping;
use crate::policy::Entries;
use crate::policy::validation::Outcome as Validation;
use crate::preflight::version::TargetVersion;
use crate::read::InputInfo;
use crate::write::Schemes;

/// One output file as written.
#[derive(Debug, Clone)]
pub struct OutputFile {
    pub path: String,
    pub data_set: Option<DataSetId>,
    pub values: u64,
    /// Of `values`, zeros of `--zero-fill`.
    pub zeros: u64,
    pub deletions: u64,
    /// Computed when a summary or report asks for it.
    pub sha256: Option<String>,
}

/// What a run found besides its values, gathered once the values are converted.
pub struct Facts<'a> {
    /// The target instance's version, when the run judged against one.
    pub target: Option<TargetVersion>,
    /// Things the user must know that are not about single values.
    pub warnings: Vec<String>,
    pub mapping: Option<&'a Mapping>,
    /// The target metadata (`--target-metadata`).
    pub metadata: Option<&'a crate::metadata::Metadata>,
    /// The SHA-256 of the mapping file and of the target metadata, when hashing.
    pub mapping_sha256: Option<String>,
    pub metadata_sha256: Option<String>,
    /// The target's validation rules on the values written (with --target-metadata).
    pub validation: Option<Validation>,
    /// What the import does to what people did in the HMIS (`--current`).
    pub hmis_edits: Option<crate::policy::hmis_edits::HmisEdits>,
    /// The outlier screening against the HMIS's history (`--history`).
    pub screening: Option<crate::policy::outliers::Screening>,
}

/// A finished (or failed) conversion, assembled once after the work: what it read, found and
/// wrote, and how it ended.
pub struct Run<'a> {
    pub config: &'a ConvertConfig,
    pub facts: Facts<'a>,
    pub inputs: &'a [InputInfo],
    /// The values, zeros and deletions written (or that would have been).
    pub entries: Entries<'a>,
    pub schemes: &'a Schemes,
    /// The output files, once in place.
    pub files: Vec<OutputFile>,
    /// The completeness payload written, and its registrations.
    pub complete: Option<(String, Vec<crate::policy::completeness::Registration>)>,
    pub exit_code: ExitCode,
    /// Why the run stopped without output (a failing policy, ids that cannot be written).
    pub failure: Option<String>,
    /// When the run started, for the time it took.
    pub started: std::time::Instant,
}

/// A deletion written, for reports: read with `deleted=true`, or found against `--previous`.
pub struct DeletionRow {
    pub key: crate::ids::KeyText,
    pub value: String,
    pub data_set: Option<String>,
    /// `input` or `previous`.
    pub source: &'static str,
}

impl Run<'_> {
    /// The periods of the values in scope, read in the run's calendar, in date order: each
    /// id with its ISO start and end (the summary's `periods`, the workbook's Periods sheet).
    pub fn periods(&self) -> Vec<crate::period::Period> {
        let c = self.entries.converted;
        let mut out: Vec<crate::period::Period> = c
            .periods_in_scope
            .iter()
            .filter_map(|&id| crate::period::parse_in(self.config.calendar, c.text(id)).ok())
            .collect();
        out.sort_by(|a, b| (a.start, a.end, &a.id).cmp(&(b.start, b.end, &b.id)));
        out
    }

    /// True when output was written.
    pub fn wrote_output(&self) -> bool {
        !self.files.is_empty()
    }

    pub fn split(&self) -> bool {
        matches!(self.config.output, OutputPlan::Folder { .. })
    }

    /// The output went to standard output (`-o -`).
    pub fn streamed(&self) -> bool {
        matches!(self.config.output, OutputPlan::Stdout)
    }

    pub fn gzip(&self) -> bool {
        matches!(self.config.output, OutputPlan::File { gzip: true, .. })
    }

    /// How to import one output file.
    pub fn instructions(&self, file: &OutputFile) -> Vec<String> {
        import::instructions(
            &file.path,
            self.config.format,
            self.gzip(),
            self.schemes,
            file.data_set.as_ref(),
            self.facts.target.as_ref().and_then(|t| t.version),
        )
    }

    /// Every deletion written: those read from the inputs, then those found against
    /// `--previous`.
    pub fn deletion_rows(&self) -> Vec<DeletionRow> {
        let c = self.entries.converted;
        let read = c
            .values()
            .filter(|(_, s)| s.deletes())
            .map(|(_, s)| DeletionRow {
                key: c.key(&s.key),
                value: c.value_text(&s).to_string(),
                data_set: c.data_set(s.data_set).map(|d| d.id),
                source: "input",
            });
        let from_previous = self.config.previous.len();
        let previous = self.entries.deletions.iter().map(move |d| DeletionRow {
            key: d.previous.key.clone(),
            value: d.previous.value.clone(),
            data_set: d.data_set.as_ref().map(|d| d.id.clone()),
            source: if (d.previous.input as usize) < from_previous {
                "previous"
            } else {
                "stale in the HMIS (--remove-stale)"
            },
        });
        read.chain(previous).collect()
    }
}
