//! Command-line interface: clap types whose doc comments are the `--help` text.

use clap::{Args, Parser, Subcommand};

use crate::mapping::TargetScheme;
use crate::pipeline::DuplicatePolicy;
use crate::read::Format;

/// Turns DHIS2 analytics exports of program-indicator data into import-ready aggregate
/// dataValueSet files, offline, with every value either written or accounted for.
#[derive(Debug, Parser)]
#[command(
    name = "pi2de",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Convert analytics exports into an import-ready dataValueSet (the main job).
    ///
    /// Example:
    ///   pi2de convert samples/immunisation.json -m mappings/immunisation.xlsx -o hmis.json --summary run.json
    #[command(verbatim_doc_comment)]
    Convert(ConvertArgs),
    /// Show what is in an export: format, values, data items, periods, org units, value
    /// statistics and keys that repeat.
    ///
    /// Example:
    ///   pi2de inspect samples/immunisation.csv
    #[command(verbatim_doc_comment)]
    Inspect(InspectArgs),
}

/// What to do with rows whose source item has no mapping row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UnmappedPolicy {
    /// Leave them out, count and report them.
    Skip,
    /// Stop with nothing written.
    Fail,
}

/// What the output's org-unit ids are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OrgUnitScheme {
    Uid,
    Code,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Export files (analytics or import dataValueSets in JSON, XML or CSV; plain, .gz or a .zip
    /// holding one file). `-` reads standard input. Several files are one input.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// Mapping workbook (.xlsx .xlsm .xls .ods) or .csv. Without it ids pass through unchanged.
    #[arg(short, long, value_name = "FILE")]
    pub mapping: Option<String>,

    /// Output file; `-` writes standard output. Format from --to, else the extension (.json
    /// .xml .csv, optionally followed by .gz to compress).
    #[arg(short, long, value_name = "FILE")]
    pub output: String,

    /// Input format [default: the extension, else the content]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub from: Option<Format>,

    /// Output format [default: the output's extension]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub to: Option<Format>,

    /// What to do with an output key that received different values.
    #[arg(long, value_enum, default_value = "reject", value_name = "POLICY")]
    pub on_duplicate: DuplicatePolicy,

    /// What to do with rows whose source item has no mapping row.
    #[arg(long, value_enum, default_value = "skip", value_name = "POLICY")]
    pub on_unmapped: UnmappedPolicy,

    /// Write a machine-readable run summary (JSON) to FILE.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<String>,

    /// What the mapping's target columns hold [default: code with a mapping; without one, the
    /// scheme the input declares, else uid]
    #[arg(long, value_enum, value_name = "SCHEME")]
    pub target_scheme: Option<TargetScheme>,

    /// What the output's org-unit ids are [default: uid, or the scheme the input declares]
    #[arg(long, value_enum, value_name = "SCHEME")]
    pub org_unit_scheme: Option<OrgUnitScheme>,

    /// A comment written on every value (at most 5,000 characters).
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,

    /// Do everything but write the output file (the summary is still written).
    #[arg(long)]
    pub dry_run: bool,

    /// Print only errors.
    #[arg(short, long)]
    pub quiet: bool,

    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Export files, as for convert. `-` reads standard input.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// Input format [default: the extension, else the content]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub from: Option<Format>,
}
