//! The options of `convert`, and the value enums of the command line (core types derive no clap
//! traits; these convert into them).

use clap::{Args, ValueEnum};
/// An export or output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Json,
    Xml,
    Csv,
}

impl From<FormatArg> for crate::read::Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Json => crate::read::Format::Json,
            FormatArg::Xml => crate::read::Format::Xml,
            FormatArg::Csv => crate::read::Format::Csv,
        }
    }
}

/// What the mapping's target columns hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TargetSchemeArg {
    Code,
    Uid,
}

impl From<TargetSchemeArg> for crate::mapping::TargetScheme {
    fn from(s: TargetSchemeArg) -> Self {
        match s {
            TargetSchemeArg::Code => crate::mapping::TargetScheme::Code,
            TargetSchemeArg::Uid => crate::mapping::TargetScheme::Uid,
        }
    }
}

/// What to do with an output key that received different values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnDuplicate {
    /// Leave the key out entirely.
    Reject,
    /// Keep the value read first.
    First,
    /// Keep the value read last.
    Last,
    /// Add the values (of different sources) up.
    Sum,
    /// Stop with nothing written.
    Fail,
}

/// What to do with rows whose source item has no mapping row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnUnmapped {
    /// Leave them out, count and report them.
    Skip,
    /// Stop with nothing written.
    Fail,
}

/// The outlier score (`--outlier-method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutlierMethod {
    /// Z-score: |x − mean| / population standard deviation.
    Z,
    /// Modified Z-score: 0.6745 × |x − median| / median absolute deviation.
    Modz,
}

/// How to split the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitBy {
    /// One file per target data set.
    DataSet,
}

/// What the output's org-unit ids are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OrgUnitSchemeArg {
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
    pub from: Option<FormatArg>,

    /// Output format [default: the output's extension]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub to: Option<FormatArg>,

    /// What to do with an output key that received different values.
    #[arg(long, value_enum, default_value = "reject", value_name = "POLICY")]
    pub on_duplicate: OnDuplicate,

    /// What to do with rows whose source item has no mapping row.
    #[arg(long, value_enum, default_value = "skip", value_name = "POLICY")]
    pub on_unmapped: OnUnmapped,

    /// Write a machine-readable run summary (JSON) to FILE.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<String>,

    /// Write the audit workbook (Summary with sign-off lines, Mapping with each row's written and
    /// left-out values and findings, Mapping findings, Unmapped, Duplicates, Left out, Totals…),
    /// made to print.
    #[arg(long, value_name = "FILE.xlsx")]
    pub report: Option<String>,

    /// Write the chain of custody as CSV: one row per written value and deletion (output file,
    /// index in that file as DHIS2 numbers it, the value) with its source item, input file and
    /// line, and mapping cell. `pi2de reconcile` ties DHIS2's import response back through it.
    #[arg(long, value_name = "FILE.csv")]
    pub trace: Option<String>,

    /// What the mapping's target columns hold [default: code with a mapping; without one, the
    /// scheme the input declares, else uid]
    #[arg(long, value_enum, value_name = "SCHEME")]
    pub target_scheme: Option<TargetSchemeArg>,

    /// What the output's org-unit ids are [default: uid, or the scheme the input declares]
    #[arg(long, value_enum, value_name = "SCHEME")]
    pub org_unit_scheme: Option<OrgUnitSchemeArg>,

    /// A comment written on every value (at most 5,000 characters).
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,

    /// Keep only values whose period lies inside FROM..TO, by its dates: period ids of any type
    /// or dates (2024-01-31); either end may be open (202401..); one period alone (202401) is
    /// its own window. Others are left out as outsidePeriod.
    #[arg(long, value_name = "FROM..TO")]
    pub periods: Option<String>,

    /// Leave out values whose period has not ended (currentPeriod): an unfinished period is
    /// incomplete.
    #[arg(long)]
    pub exclude_current: bool,

    /// The import date (yyyy-mm-dd) that --exclude-current and, with --target-metadata, the
    /// data sets' open periods are judged by; with a time (yyyy-mm-ddThh:mm) fractional expiry
    /// days are judged by the hour [default: today]
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,

    /// The DHIS2 version of the target instance, such as 2.41.6 or 2.43.1: the rules of its
    /// importer apply [default: system.version of --target-metadata, else the newest rules]
    #[arg(long, value_name = "VERSION")]
    pub target_version: Option<String>,

    /// The calendar the instances run on (DHIS2's system setting keyCalendar): iso8601,
    /// gregorian, ethiopian, coptic, nepali, thai, julian, islamic or persian. Period ids, in the
    /// exports and on the command line, are read in it; dates on the command line stay ISO
    /// dates written yyyy-mm-dd (--periods 2022-09-11..2023-09-10, --as-of).
    #[arg(long, value_name = "NAME", default_value = "iso8601", value_parser = super::calendar_arg)]
    pub calendar: crate::period::Calendar,

    /// The importing user may edit expired periods (authority F_EDIT_EXPIRED, or a superuser):
    /// DHIS2 then skips the expiry-days check, and from 2.43 the future-periods check too.
    #[arg(long)]
    pub edit_expired: bool,

    /// A DHIS2 metadata export (JSON) of the target aggregate instance: checks every value as
    /// its importer would on the import date (unknownTarget, wrongPeriodType,
    /// orgUnitNotAssigned, orgUnitClosed, periodClosed, attributeOptionClosed), takes value types
    /// from its data elements, and knows the data sets. The rules: docs/dhis2-rules.md.
    #[arg(long, value_name = "AGG.json")]
    pub target_metadata: Option<String>,

    /// The HMIS's approvals of the scope (JSON, as GET /api/dataApprovals/approvals?wf=…&pe=…&ou=…
    /// returns it): values of approved data sets are left out as `approved`, by the target
    /// version's rule (2.43: approved at the value's org unit; ≤ 2.42: there or above). Needs
    /// --target-metadata (the data sets' workflows).
    #[arg(long, value_name = "FILE.json", requires = "target_metadata")]
    pub approvals: Option<String>,

    /// The HMIS's lock exceptions (JSON, as GET /api/lockExceptions returns them): a data set,
    /// org unit and period listed there is open again despite its expiry days.
    #[arg(long, value_name = "FILE.json", requires = "target_metadata")]
    pub lock_exceptions: Option<String>,

    /// Earlier pi2de outputs of the same transfer. A value in them for a target this run maps,
    /// in a period of this run's scope, that this run no longer writes, is written as a deletion.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub previous: Vec<String>,

    /// The HMIS's own export of the scope (/api/dataValueSets, in the id schemes of this run's
    /// output, with comment, followup, storedBy, lastUpdated): values written whose HMIS
    /// comment or follow-up flag the import would overwrite are reported; see also
    /// --remove-stale, --keep-hmis-comments, --integration-user.
    #[arg(long, value_name = "HMIS.json", num_args = 1..)]
    pub current: Vec<String>,

    /// With --current: write the HMIS's comment and follow-up flag on the values written, so
    /// that the import keeps them (it overwrites both).
    #[arg(long, requires = "current")]
    pub keep_hmis_comments: bool,

    /// With --current: the user the transfers are imported as; a value last stored by anyone
    /// else (changed in the HMIS by hand) is reported.
    #[arg(long, value_name = "NAME", requires = "current")]
    pub integration_user: Option<String>,

    /// With --current: a value the HMIS holds for a target this run maps, in a period of this
    /// run's scope, that this run does not write, is written as a deletion (stale values of
    /// disaggregated items included). It also deletes values typed into the HMIS by hand.
    #[arg(long, requires = "current")]
    pub remove_stale: bool,

    /// The HMIS's values of earlier periods (/api/dataValueSets, in the output's id schemes):
    /// each numeric value written is screened for outliers against its own history, as
    /// /api/outlierDetection computes it. Outliers are written, and reported.
    #[arg(long, value_name = "HMIS.json", num_args = 1..)]
    pub history: Vec<String>,

    /// With --history: z (Z-score) or modz (modified Z-score).
    #[arg(
        long,
        value_enum,
        default_value = "modz",
        value_name = "METHOD",
        requires = "history"
    )]
    pub outlier_method: OutlierMethod,

    /// With --history: the score at or above which a value is an outlier.
    #[arg(
        long,
        default_value_t = 3.0,
        value_name = "SCORE",
        requires = "history"
    )]
    pub outlier_threshold: f64,

    /// The HMIS's min-max bounds (JSON, as GET /api/minMaxDataElements.json?fields=source[id],
    /// dataElement[id],optionCombo[id],min,max&paging=false returns them): values written
    /// outside theirs are reported (and flagged with --flag-outliers).
    #[arg(long, value_name = "FILE.json")]
    pub min_max: Option<String>,

    /// With --history or --min-max: mark the values they find for follow-up (the Data Quality
    /// app lists them).
    #[arg(long)]
    pub flag_outliers: bool,

    /// Write one file per target data set into the folder given by -o, each with dataSet in
    /// its payload.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub split_by: Option<SplitBy>,

    /// With --split-by: at most N values per file (numbered files).
    #[arg(long, value_name = "N", requires = "split_by", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_values: Option<u64>,

    /// Write a completeDataSetRegistrations payload (JSON) for every data set × period × org
    /// unit that received values.
    #[arg(long, value_name = "FILE.json")]
    pub complete: Option<String>,

    /// With --complete: the values a data set × period × org unit needs to be registered.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub complete_min: u64,

    /// With --complete: the completion date (yyyy-mm-dd) written on each registration; without
    /// it DHIS2 takes the time of the import, which timeliness is measured by.
    #[arg(long, value_name = "DATE", requires = "complete")]
    pub complete_date: Option<String>,

    /// Write 0 where no value arrived: for every mapped numeric target of a data set, every
    /// org unit assigned to it that received a value in this run, every period in scope
    /// (analytics leaves zeros out, so a count that fell to zero keeps its stale value).
    /// Needs -m and --target-metadata; the zeros are counted apart.
    #[arg(long)]
    pub zero_fill: bool,

    /// Do everything but write the output file (the summary is still written).
    #[arg(long)]
    pub dry_run: bool,

    /// Print only errors.
    #[arg(short, long)]
    pub quiet: bool,

    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,

    /// Report progress as lines on standard error (`pi2de-progress BYTES TOTAL`), for a program
    /// that runs pi2de (`pi2de serve`).
    #[arg(long, hide = true)]
    pub progress_lines: bool,

    /// Memory the run may hold for the keys it read (with K, M or G: 2G), past which the oldest
    /// keys' records go to a temporary file (in TMPDIR; TEMP on Windows) and are read back from
    /// there. The outputs are the same either way; past it the run is slower. Default: half the
    /// machine's memory (4G where pi2de cannot tell).
    #[arg(long, value_name = "SIZE", value_parser = crate::cli::tools::size_arg)]
    pub memory: Option<u64>,

    /// Threads that write the output and evaluate the validation rules; from 3, all but one
    /// also parse JSON exports beside the conversion (default: one per core). The results are
    /// the same whatever the number; 1 does it all on one thread.
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
}
