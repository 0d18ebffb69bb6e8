//! The subcommands: each turns parsed options into work and an exit code.

pub mod compare;
pub mod convert;
pub mod inspect;
pub mod mapping;
pub mod reconcile;
pub mod request;

use clap::CommandFactory;

use crate::exit_codes::ExitCode;

/// `pi2de completions SHELL`: the completion script on standard output.
pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<ExitCode> {
    let mut cmd = crate::cli::Cli::command();
    clap_complete::generate(shell, &mut cmd, "pi2de", &mut std::io::stdout());
    Ok(ExitCode::Success)
}

/// `pi2de man`: the manual page (roff) on standard output.
pub fn man() -> anyhow::Result<ExitCode> {
    clap_mangen::Man::new(crate::cli::Cli::command()).render(&mut std::io::stdout())?;
    Ok(ExitCode::Success)
}
