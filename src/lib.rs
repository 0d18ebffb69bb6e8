//! pi2de turns DHIS2 analytics exports of program-indicator data into import-ready aggregate
//! dataValueSets, offline. The binary is `pi2de`; this library holds its commands and a small
//! API for programs that want the same conversion:
//!
//! - [`read::read_inputs`] opens exports (JSON, XML, CSV; plain, `.gz` or `.zip`) and streams
//!   their values into a [`read::Sink`];
//! - [`mapping::Mapping::load`] loads a mapping workbook;
//! - [`convert::Converter`] is the sink that judges and stores the values, and
//!   [`convert::Converter::finish`] returns the [`convert::Converted`] result;
//! - [`write::writer`] and [`write::Output`] write a dataValueSet.
//!
//! Everything else is internal. The rules pi2de applies, with their DHIS2 sources, are in
//! `docs/dhis2-rules.md`.

pub(crate) mod cleanup;
pub mod cli;
pub(crate) mod commands;
pub(crate) mod compare;
pub(crate) mod config;
pub mod convert;
pub mod exit_codes;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod ids;
pub(crate) mod location;
pub mod mapping;
pub(crate) mod metadata;
pub mod model;
pub(crate) mod parallel;
pub(crate) mod period;
pub(crate) mod policy;
pub mod preflight;
pub mod read;
pub(crate) mod reason;
pub(crate) mod reconcile;
pub(crate) mod relay;
pub(crate) mod report;
pub(crate) mod shell;
pub mod term;
pub(crate) mod value;
pub(crate) mod words;
pub mod write;
pub(crate) mod xlsx;

pub use exit_codes::ExitCode;

/// Says so when an interrupt arrived after the run's files began to move into place (it was
/// held until the move was done).
pub fn late_interrupt() {
    if let Some(note) = cleanup::late_interrupt() {
        term::error_line(note);
    }
}

/// Whether this start, with no arguments on Windows (a double-click), means `pi2de serve`.
pub fn serve_by_default() -> bool {
    commands::serve::by_default()
}

/// Runs a parsed command line and returns how it ended (README, "Exit codes"). A reader of
/// standard output that stops early (`pi2de inspect … | head`) ends the run quietly, as ripgrep
/// does: exit 0, except for `convert -o -`, whose output is then incomplete (exit 2).
pub fn run(cli: cli::Cli) -> anyhow::Result<ExitCode> {
    cleanup::install();
    let streams_output =
        matches!(&cli.command, cli::Command::Convert(a) if location::is_standard(&a.output));
    let result = match cli.command {
        cli::Command::Convert(args) => commands::convert::run(&args),
        cli::Command::Inspect(args) => commands::inspect::run(&args),
        cli::Command::Mapping(cmd) => commands::mapping::run(cmd),
        cli::Command::Reconcile(args) => commands::reconcile::run(&args),
        cli::Command::Compare(args) => commands::compare::run(&args),
        cli::Command::Request(args) => commands::request::run(&args),
        cli::Command::Serve(args) => commands::serve::run(&args),
        cli::Command::Completions(args) => commands::completions(args.shell),
        cli::Command::Man => commands::man(),
    };
    match result {
        Err(e) if exit_codes::broken_pipe(&e) => Ok(if streams_output {
            ExitCode::Error
        } else {
            ExitCode::Success
        }),
        other => other,
    }
}
