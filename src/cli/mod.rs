//! Command-line interface: clap types whose doc comments are the `--help` text. The commands
//! are here; `convert`'s options in [`convert`], the other commands' in [`tools`].

mod convert;
mod tools;

pub use convert::*;
pub use tools::*;

use clap::{Parser, Subcommand};

use crate::period::Calendar;

/// `--calendar NAME`, read as DHIS2's `keyCalendar` values.
pub fn calendar_arg(name: &str) -> Result<Calendar, String> {
    Calendar::from_name(name)
}

/// Turns DHIS2 analytics exports of program-indicator data into import-ready aggregate
/// dataValueSet files, offline, with every value either written or accounted for.
#[derive(Debug, Parser)]
#[command(
    name = "pi2de",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The examples of `pi2de --help` (and `-h`): lines short enough for an 80-column terminal.
const EXAMPLES: &str = "\
Examples:
  pi2de request -m mapping.xlsx --periods 202401..202403 --org-unit-level 4
  pi2de inspect export.json
  pi2de convert export.json -m mapping.xlsx -o hmis.json --summary run.json
  pi2de mapping check mapping.xlsx --target-metadata hmis-metadata.json

Start with the bundled sample:
  pi2de convert samples/immunisation.json \\
      -m mappings/immunisation.xlsx -o hmis.json --summary run.json";

const CONVERT: &str = "\
Example:
  pi2de convert samples/immunisation.json \\
      -m mappings/immunisation.xlsx -o hmis.json --summary run.json";

const INSPECT: &str = "\
Example:
  pi2de inspect samples/immunisation.csv";

const RECONCILE: &str = "\
Example:
  pi2de convert export.json -m mapping.xlsx -o hmis.json --trace trace.csv
  curl -u USER -H 'Content-Type: application/json' \\
      --data-binary @hmis.json \\
      'https://HMIS/api/dataValueSets?idScheme=CODE&orgUnitIdScheme=UID' \\
      > response.json
  pi2de reconcile response.json --trace trace.csv --report reconcile.xlsx";

const COMPARE: &str = "\
Example (CURRENT exported from the HMIS with the transfer's id schemes):
  curl -u USER 'https://HMIS/api/dataValueSets.json?dataSet=EPI_MONTHLY'\\
'&inputDataSetIdScheme=CODE&period=202401&orgUnit=ROOT&children=true'\\
'&idScheme=CODE&orgUnitIdScheme=UID' > current.json
  pi2de compare hmis.json --with current.json -o changes.csv";

const REQUEST: &str = "\
Example:
  pi2de request -m mappings/immunisation.xlsx --periods 202401..202403 \\
      --org-unit-level 4 --server https://tracker.example.org";

const SERVE: &str = "\
Example:
  pi2de serve            (then open the address it prints)
  pi2de serve --port 0 --no-open";

const COMPLETIONS: &str = "\
Examples:
  pi2de completions bash > /etc/bash_completion.d/pi2de
  pi2de completions powershell >> $PROFILE
  pi2de man > pi2de.1";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the analytics URLs (and curl lines) that export, on the tracker instance, what a
    /// mapping converts: its program indicators in batches that servers accept.
    #[command(after_help = REQUEST)]
    Request(RequestArgs),
    /// Convert analytics exports into an import-ready dataValueSet (the main job).
    #[command(after_help = CONVERT)]
    Convert(Box<ConvertArgs>),
    /// Show what is in an export: format, values, data items, periods, org units, value
    /// statistics and keys that repeat.
    #[command(after_help = INSPECT)]
    Inspect(InspectArgs),
    /// Mapping workbooks: check one, start one, or build one from DHIS2 metadata.
    #[command(subcommand)]
    Mapping(MappingCommand),
    /// Tie DHIS2's import response back to the values: every conflict with its meaning and the
    /// values it hits (source, input line, mapping cell, from the run's --trace), the counts
    /// against the file, and the values nobody accounted for. Exit 0 when there is no conflict
    /// and every value is accounted for, 1 otherwise, 2 when a file cannot be read.
    #[command(after_help = RECONCILE)]
    Reconcile(ReconcileArgs),
    /// Show what importing a transfer will change in the HMIS, before importing it: every key
    /// `new`, `changed`, `unchanged`, `deleted` (the transfer deletes a value the HMIS holds)
    /// or `onlyInHmis` (an HMIS value of the transfer's data elements, periods and org units
    /// that the transfer does not carry). Exit 0 when nothing changes, 1 when something does, 2
    /// when a file cannot be read.
    #[command(after_help = COMPARE)]
    Compare(CompareArgs),
    /// Open a local page for converting without a shell: choose the export, the mapping and
    /// the options, run, read the counts, download the files. It listens on 127.0.0.1 only,
    /// behind a one-time token, and nothing leaves this machine. Ctrl-C stops it. On Windows,
    /// starting pi2de.exe with no arguments (a double-click) starts it too.
    #[command(after_help = SERVE)]
    Serve(ServeArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(after_help = COMPLETIONS)]
    Completions(CompletionsArgs),
    /// Print the manual page (roff) to install as pi2de.1.
    #[command(after_help = COMPLETIONS)]
    Man,
}
