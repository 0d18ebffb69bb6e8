//! The subcommands: each turns parsed options into work and an exit code.

pub mod compare;
pub mod convert;
pub mod inspect;
pub mod mapping;
pub mod reconcile;
pub mod request;
pub mod serve;

use clap::CommandFactory;

use crate::exit_codes::ExitCode;

/// `pi2de completions SHELL`: the completion script on standard output.
pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<ExitCode> {
    let mut cmd = crate::cli::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "pi2de", &mut script);
    crate::term::raw_stdout(&script)?;
    Ok(ExitCode::Success)
}

/// `pi2de man`: the manual page (roff) on standard output.
pub fn man() -> anyhow::Result<ExitCode> {
    let mut page = Vec::new();
    clap_mangen::Man::new(crate::cli::Cli::command()).render(&mut page)?;
    crate::term::raw_stdout(&page)?;
    Ok(ExitCode::Success)
}
