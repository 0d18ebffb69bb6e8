//! What a path on the command line names: a file, or — spelt `-` — the standard stream
//! (standard input where a command reads, standard output where it writes). Decided here only.

use std::path::Path;

/// Where a command reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location<'a> {
    /// `-`: standard input or standard output.
    Standard,
    File(&'a Path),
}

/// How the standard stream is spelt.
pub const STANDARD: &str = "-";

impl<'a> Location<'a> {
    pub fn of(arg: &'a str) -> Location<'a> {
        if arg == STANDARD {
            Location::Standard
        } else {
            Location::File(Path::new(arg))
        }
    }

    pub fn is_standard(self) -> bool {
        self == Location::Standard
    }
}

/// True when `arg` names the standard stream.
pub fn is_standard(arg: &str) -> bool {
    Location::of(arg).is_standard()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_lone_dash_is_the_standard_stream() {
        assert!(is_standard("-"));
        for file in ["./-", "-.json", "--", " -", "a/-", ""] {
            assert_eq!(
                Location::of(file),
                Location::File(Path::new(file)),
                "{file:?}"
            );
        }
    }
}
