//! The exit codes of pi2de (README, "Exit codes"), in one place.

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Every value read was written, or merged as an identical duplicate.
    Success,
    /// The output was written, but some values were left out for another reason; for
    /// `mapping check`, the mapping has errors.
    LeftOut,
    /// A fatal or usage error: nothing was written.
    Error,
    /// Some output files were moved into place and others could not be (the folder changed
    /// during the run): the message names which. Run again.
    Partial,
    /// Interrupted by SIGINT or SIGTERM: nothing was written.
    Interrupted,
}

impl ExitCode {
    pub fn code(self) -> u8 {
        match self {
            ExitCode::Success => 0,
            ExitCode::LeftOut => 1,
            ExitCode::Error => 2,
            ExitCode::Partial => 3,
            ExitCode::Interrupted => 130,
        }
    }
}

impl ExitCode {
    /// The code of a run that ended in an error: 3 when files were left half moved into place,
    /// else 2 (nothing written).
    pub fn for_error(e: &anyhow::Error) -> ExitCode {
        if e.downcast_ref::<crate::write::PartialCommit>().is_some() {
            ExitCode::Partial
        } else {
            ExitCode::Error
        }
    }
}

/// The error is a write to a pipe whose reader has gone (`| head`).
pub fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(c: ExitCode) -> Self {
        std::process::ExitCode::from(c.code())
    }
}
