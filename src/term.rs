//! Text for people on the terminal: the one escape every message goes through, so that control
//! characters from inputs (ESC, BEL, CR: terminal escape sequences; bidirectional overrides)
//! are shown, not obeyed; and writes to stderr and stdout that never panic (`2>/dev/full`,
//! `| head`).

use std::borrow::Cow;
use std::io::{self, Write};

/// Whether `c` would act on a terminal rather than show: C0 controls other than line feed and
/// tab, DEL, C1 controls, and the bidirectional embeddings, overrides and isolates.
fn acts(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\t'))
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every character that would act on a terminal written as `\u{1b}`.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(acts) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if acts(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Prints a line on stderr, escaped; a stderr that cannot be written is given up on silently
/// (there is nowhere left to say so).
pub fn error_line(line: &str) {
    let mut e = io::stderr().lock();
    let _ = e
        .write_all(escape(line).as_bytes())
        .and_then(|()| e.write_all(b"\n"));
}

/// Standard output for reports meant for people, escaped. Its errors reach the command, and a
/// reader gone away (`| head`) ends the run quietly ([`crate::run`]).
pub fn stdout() -> Stdout {
    Stdout(io::stdout().lock())
}

pub struct Stdout(io::StdoutLock<'static>);

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(escape(&text).as_bytes())?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Writes bytes meant for a program (a completion script, a man page) on stdout, returning
/// the error rather than panicking.
pub fn raw_stdout(bytes: &[u8]) -> io::Result<()> {
    let mut o = io::stdout().lock();
    o.write_all(bytes).and_then(|()| o.flush())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_acts_on_a_terminal_is_shown() {
        assert_eq!(escape("plain\tline\n"), "plain\tline\n");
        assert_eq!(escape("a\u{1b}[31mb\u{7}\r"), "a\\u{1b}[31mb\\u{7}\\u{d}");
        assert_eq!(escape("x\u{9b}y\u{202e}z"), "x\\u{9b}y\\u{202e}z");
        assert_eq!(escape("é ü 中"), "é ü 中");
    }
}
