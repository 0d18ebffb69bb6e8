//! The options of `inspect`, `mapping`, `reconcile`, `compare`, `request` and `completions`.

use clap::{Args, Subcommand};

use super::{FormatArg, TargetSchemeArg};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port on 127.0.0.1 to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 7373, value_name = "N")]
    pub port: u16,

    /// Do not open the page in the default browser (print its address only).
    #[arg(long)]
    pub no_open: bool,

    /// The largest file the page may upload, in bytes or with K, M or G (1G = 2^30 bytes).
    #[arg(long, default_value = "4G", value_name = "SIZE", value_parser = size_arg)]
    pub max_upload: u64,
}

/// A size such as `4G`, `500M`, `64K` or `1048576` (powers of 1024).
pub fn size_arg(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, ""),
    };
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        _ => {
            return Err(format!(
                "`{text}` is not a size: write it as 500M, 4G or bytes"
            ));
        }
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("`{text}` is not a size: write it as 500M, 4G or bytes"))
}
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The transfer: pi2de output files (JSON, XML or CSV; a split folder's files).
    #[arg(required = true, value_name = "TRANSFER")]
    pub transfer: Vec<String>,

    /// The HMIS's own export of the same scope (/api/dataValueSets), with the same id schemes.
    #[arg(long = "with", required = true, num_args = 1.., value_name = "CURRENT")]
    pub with: Vec<String>,

    /// Write every change as CSV (class, key, transfer value, HMIS value).
    #[arg(short, long, value_name = "CHANGES.csv")]
    pub output: Option<String>,

    /// Write the counts and the changes as JSON.
    #[arg(long, value_name = "FILE.json")]
    pub summary: Option<String>,

    /// Write a workbook: Summary, Changes, Totals per data element × period.
    #[arg(long, value_name = "FILE.xlsx")]
    pub report: Option<String>,

    /// Print nothing (the exit code and the files still tell).
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// The import response DHIS2 returned (JSON): an ImportSummary, bare or as a WebMessage's
    /// `response`; for an asynchronous import, the task summary.
    #[arg(value_name = "RESPONSE.json")]
    pub response: String,

    /// The trace written by `convert --trace` for the run that made the imported file.
    #[arg(long, value_name = "TRACE.csv")]
    pub trace: String,

    /// The output file the response answers, when the trace covers several (split output).
    #[arg(long, value_name = "OUTPUT")]
    pub file: Option<String>,

    /// Write the reconciliation as JSON.
    #[arg(long, value_name = "FILE.json")]
    pub summary: Option<String>,

    /// Write the reconciliation as a workbook (Summary, Conflicts, Unaccounted).
    #[arg(long, value_name = "FILE.xlsx")]
    pub report: Option<String>,

    /// Print nothing (the exit code and the files still tell).
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum MappingCommand {
    /// Lint a mapping workbook: every problem with its severity and cell. Exit 0 without
    /// errors (warnings are fine), 1 with errors, 2 when the workbook cannot be read.
    #[command(
        after_help = "Example:\n  pi2de mapping check mappings/immunisation.xlsx \\\n      --target-metadata hmis-metadata.json"
    )]
    Check(CheckArgs),
    /// Write a blank, documented mapping workbook to fill in.
    #[command(after_help = "Example:\n  pi2de mapping template -o my-mapping.xlsx")]
    Template(TemplateArgs),
    /// Build a mapping workbook from a tracker metadata export: one row per program indicator
    /// with an aggregate target, a sheet of those without one, and (with --target-metadata)
    /// names, value types, data sets and the check findings.
    #[command(
        after_help = "Example:\n  pi2de mapping from-metadata tracker-metadata.json \\\n      --target-metadata hmis-metadata.json -o mapping.xlsx"
    )]
    FromMetadata(FromMetadataArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Mapping workbook (.xlsx .xlsm .xls .ods) or .csv.
    #[arg(value_name = "MAPPING")]
    pub mapping: String,

    /// A DHIS2 metadata export (JSON) of the target aggregate instance to check the targets
    /// against.
    #[arg(long, value_name = "AGG.json")]
    pub target_metadata: Option<String>,

    /// A DHIS2 metadata export (JSON) of the tracker instance (programs, programIndicators,
    /// categoryCombos, categories, categoryOptions, categoryOptionCombos): lints its 2.42+
    /// program indicator disaggregation and checks the rows' source option combos against it.
    #[arg(long, value_name = "TRACKER.json")]
    pub tracker_metadata: Option<String>,

    /// What the mapping's target columns hold.
    #[arg(long, value_enum, default_value = "code", value_name = "SCHEME")]
    pub target_scheme: TargetSchemeArg,

    /// Also write the findings to a workbook.
    #[arg(long, value_name = "FILE.xlsx")]
    pub report: Option<String>,
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// The workbook to write.
    #[arg(short, long, value_name = "FILE.xlsx")]
    pub output: String,
}

#[derive(Debug, Args)]
pub struct FromMetadataArgs {
    /// A DHIS2 metadata export (JSON) of the tracker program, with its program indicators.
    #[arg(value_name = "TRACKER.json")]
    pub tracker: String,

    /// The attribute whose value on a program indicator names its target data element.
    #[arg(long, default_value = crate::metadata::EXPORT_ATTRIBUTE, value_name = "UID")]
    pub attribute: String,

    /// A DHIS2 metadata export (JSON) of the target aggregate instance: fills in names, value
    /// types and data sets, and runs the checks.
    #[arg(long, value_name = "AGG.json")]
    pub target_metadata: Option<String>,

    /// With org units in both metadata files: the org-unit attribute both instances carry
    /// (an "HMIS code"), matched first when building the orgUnits sheet; then the UID, the code,
    /// the name under the matched parent.
    #[arg(long, value_name = "UID", requires = "target_metadata")]
    pub org_unit_attribute: Option<String>,

    /// The workbook to write.
    #[arg(short, long, value_name = "FILE.xlsx")]
    pub output: String,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Export files, as for convert. `-` reads standard input.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// Input format [default: the extension, else the content]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub from: Option<FormatArg>,

    /// The calendar the instances run on (DHIS2's system setting keyCalendar): iso8601,
    /// gregorian, ethiopian, coptic, nepali, thai, julian, islamic or persian. Period ids, in the
    /// exports and on the command line, are read in it; dates on the command line stay ISO
    /// dates written yyyy-mm-dd (--periods 2022-09-11..2023-09-10, --as-of).
    #[arg(long, value_name = "NAME", default_value = "iso8601", value_parser = super::calendar_arg)]
    pub calendar: crate::period::Calendar,
}

#[derive(Debug, Args)]
pub struct RequestArgs {
    /// The mapping workbook (or .csv): its enabled rows' program indicators are requested.
    #[arg(short, long, value_name = "MAPPING")]
    pub mapping: String,

    /// The periods, FROM..TO (period ids or dates); every whole period of each period type
    /// inside is listed [default: the last whole period, as a relative period]
    #[arg(long, value_name = "FROM..TO")]
    pub periods: Option<String>,

    /// An org unit (UID) to export for; repeat for several.
    #[arg(long, value_name = "UID")]
    pub org_unit: Vec<String>,

    /// The org unit level to export at (the facility level), within --org-unit or the user's
    /// org units.
    #[arg(long, value_name = "N")]
    pub org_unit_level: Option<u32>,

    /// The target's metadata: each row's period type comes from its data set.
    #[arg(long, value_name = "AGG.json")]
    pub target_metadata: Option<String>,

    /// The period type of rows whose data set's is not known.
    #[arg(long, default_value = "Monthly", value_name = "TYPE")]
    pub period_type: String,

    /// The calendar the instances run on (DHIS2's system setting keyCalendar): iso8601,
    /// gregorian, ethiopian, coptic, nepali, thai, julian, islamic or persian. Period ids, in the
    /// exports and on the command line, are read in it; dates on the command line stay ISO
    /// dates written yyyy-mm-dd (--periods 2022-09-11..2023-09-10, --as-of).
    #[arg(long, value_name = "NAME", default_value = "iso8601", value_parser = super::calendar_arg)]
    pub calendar: crate::period::Calendar,

    /// The tracker instance's address.
    #[arg(long, default_value = "https://TRACKER", value_name = "URL")]
    pub server: String,

    /// The longest URL to print, in bytes (servers often refuse URLs near 8 KB).
    #[arg(long, default_value_t = 6000, value_name = "BYTES")]
    pub max_url: usize,

    /// The most program indicators in one request (analytics times out on very large ones).
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub max_items: usize,

    /// Print only the URLs, one per line.
    #[arg(long)]
    pub urls_only: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
