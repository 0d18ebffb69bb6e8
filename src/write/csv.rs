//! The CSV dataValueSet writer: the 11-column import header both DHIS2 generations read
//! (docs/dhis2-rules.md, "CSV"), LF line ends, no BOM, a field quoted only when it holds a comma
//! or starts or ends with white space.

use std::io::{self, Write};

use super::{Buffer, DataValueWriter, OutputValue};

/// ≤ 2.42 reads the columns by position (`CsvDataValueSetReader`); 2.43+ by name, and treats any
/// column it does not know as a category option unless the header holds `categoryOptionCombo`
/// spelt exactly so (dhis2-core 2.43 `CSV.java#isSkipAny`): hence camelCase.
pub const HEADER: &str = "dataElement,period,orgUnit,categoryOptionCombo,attributeOptionCombo,value,storedBy,lastUpdated,comment,followUp,deleted";

pub struct Writer<'w> {
    out: Buffer<'w>,
}

/// The document's opening: the header line.
pub fn opening(out: &mut dyn Write) -> io::Result<()> {
    out.write_all(HEADER.as_bytes())?;
    out.write_all(b"\n")
}

impl<'w> Writer<'w> {
    /// A writer of values (a CSV has no closing).
    pub fn new(out: &'w mut dyn Write) -> Self {
        Writer {
            out: Buffer::new(out),
        }
    }

    fn field(&mut self, s: &str) -> io::Result<()> {
        field(&mut self.out, s)
    }
}

/// Writes one CSV field, quoted only when it holds a comma, a quote or a line end, or starts or
/// ends with white space: both importers trim unquoted fields (Java's `trim`: every character
/// up to U+0020), a quoted field keeps its white space (2.43 `LineBuffer.split`). Every CSV
/// pi2de writes (outputs, traces, changes) quotes so.
pub fn field<W: Write + ?Sized>(out: &mut W, s: &str) -> io::Result<()> {
    // Bytes, not chars: every character up to U+0020 is one byte, and no byte of a longer
    // character is that small.
    let b = s.as_bytes();
    let padded = |c: Option<&u8>| c.is_some_and(|&c| c <= b' ');
    if b.iter().any(|&c| matches!(c, b',' | b'"' | b'\n' | b'\r'))
        || padded(b.first())
        || padded(b.last())
    {
        out.write_all(b"\"")?;
        out.write_all(s.replace('"', "\"\"").as_bytes())?;
        out.write_all(b"\"")
    } else {
        out.write_all(s.as_bytes())
    }
}

/// Writes one field of a CSV made for people (the trace, `compare -o`), which Excel and
/// LibreOffice open: a field that a spreadsheet would run as a formula (`=…`, `+…`, `-…`, `@…`,
/// a tab or a line end first) gets a `'` before it, and so does one starting with `'`, so that
/// [`unguard`] gives back exactly what was meant; numbers (`-5`, `+1.5e3`) stay numbers. The
/// dataValueSet CSV for DHIS2 is written as it is ([`field`]).
pub fn people_field<W: Write + ?Sized>(out: &mut W, s: &str) -> io::Result<()> {
    if guarded(s) {
        field(out, &format!("'{s}"))
    } else {
        field(out, s)
    }
}

/// Whether a spreadsheet would take `s` for a formula (or it starts with the guard itself).
fn guarded(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r', '\n', '\'']) && !is_number(s)
}

/// A plain decimal number: a sign, digits with at most one `.`, an optional exponent.
fn is_number(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((a, b)) => {
            (digits(a) || a.is_empty()) && (digits(b) || b.is_empty()) && a.len() + b.len() > 0
        }
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// The text a [`people_field`] was written from.
pub fn unguard(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if guarded(rest) => rest,
        _ => s,
    }
}

impl DataValueWriter for Writer<'_> {
    fn value(&mut self, v: &OutputValue) -> io::Result<()> {
        for (i, f) in v.fields().into_iter().enumerate() {
            if i > 0 {
                self.out.write_all(b",")?;
            }
            self.field(f)?;
        }
        // storedby, lastupdated: empty; comment; followup; deleted.
        self.out.write_all(b",,,")?;
        self.field(v.comment.unwrap_or(""))?;
        self.out
            .write_all(if v.followup { b",true" } else { b",false" })?;
        self.out
            .write_all(if v.deleted { b",true\n" } else { b",false\n" })?;
        self.out.spill_if_full()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people(s: &str) -> String {
        let mut out = Vec::new();
        people_field(&mut out, s).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn formulas_are_guarded_and_numbers_kept() {
        assert_eq!(people("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(people("+1+cmd|' /C calc'!A0"), "'+1+cmd|' /C calc'!A0");
        assert_eq!(people("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(people("-inf"), "'-inf");
        for n in ["-5", "+1.5e3", "12", "-0.25", "3E-2"] {
            assert_eq!(people(n), n);
        }
        assert_eq!(people("DE_A"), "DE_A");
    }

    #[test]
    fn fields_are_quoted_as_the_char_rule_says_for_generated_texts() {
        // The rule in characters; `field` checks bytes.
        let quoted = |s: &str| {
            let padded = |c: Option<char>| c.is_some_and(|c| c <= ' ');
            s.contains([',', '"', '\n', '\r'])
                || padded(s.chars().next())
                || padded(s.chars().last())
        };
        let parts = [
            "a", "ü", "€", "😀", " ", "\t", ",", "\"", "\n", "\r", "\u{a0}", "\u{1}", "9",
        ];
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..5000 {
            let mut s = String::new();
            for _ in 0..(x % 5) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                s.push_str(parts[(x % parts.len() as u64) as usize]);
            }
            let mut out = Vec::new();
            field(&mut out, &s).unwrap();
            let want = if quoted(&s) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.clone()
            };
            assert_eq!(String::from_utf8(out).unwrap(), want, "{s:?}");
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        }
    }

    #[test]
    fn the_guard_comes_off_exactly() {
        for s in ["=1", "'=1", "'", "''x", "-5", "-x", "plain", "\tx", "@", ""] {
            let mut out = Vec::new();
            people_field(&mut out, s).unwrap();
            let written = String::from_utf8(out).unwrap();
            // Unquote as a CSV reader would.
            let text = match written.strip_prefix('"').and_then(|w| w.strip_suffix('"')) {
                Some(inner) => inner.replace("\"\"", "\""),
                None => written.clone(),
            };
            assert_eq!(unguard(&text), s, "{written}");
        }
    }
}
