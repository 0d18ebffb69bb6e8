//! A mapping saved as CSV: one sheet named after the file. Every cell is text, so what a
//! spreadsheet did to it shows only in the text: error values (`#N/A`) are noted as such.

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::{Cells, Note, Sheet, text_note};
use crate::read;

pub fn load(path: &str) -> Result<Sheet> {
    let name = Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(path)
        .to_string();
    let sheet = read::with_input(path, false, None, |reader, _| {
        let mut text = Vec::new();
        reader
            .read_to_end(&mut text)
            .with_context(|| format!("{path}: cannot read the mapping"))?;
        let separator = separator(&text);
        if separator != b',' {
            let name = if separator == b';' { "`;`" } else { "tabs" };
            crate::term::error_line(&format!(
                "pi2de: note: {path}: read as CSV separated by {name} (as European Excel or \"Text (tab-delimited)\" saves it)"
            ));
        }
        let mut records = read::csv::Records::with_separator(&text[..], separator);
        let mut cells = Cells::new(path, &name);
        let mut first = true;
        while let Some(line) = records.next_record().map_err(|e| e.in_file(path))? {
            let fields = records.fields();
            if first && !fields.iter().all(|f| f.trim().is_empty()) {
                first = false;
                if let Some(hint) = read::csv::separator_hint(&fields) {
                    bail!("{path}: line {line}: {hint}");
                }
            }
            // Saturates: no mapping has four billion lines.
            let row = u32::try_from(line.saturating_sub(1)).unwrap_or(u32::MAX);
            for (column, text) in fields.into_iter().enumerate() {
                let column = u32::try_from(column).unwrap_or(u32::MAX);
                let note = text_note(&text).or_else(|| scientific(&text).then_some(Note::Number));
                cells.push(row, column, text, note)?;
            }
        }
        Ok(cells.finish())
    })?;
    Ok(sheet.value)
}

/// The separator of a mapping CSV: `;` or a tab when its first non-blank line holds more of
/// them (outside quotes) than commas, as European Excel or "Text (tab-delimited)" save it;
/// else `,`.
fn separator(text: &[u8]) -> u8 {
    let first = text
        .split(|&b| b == b'\n')
        .find(|l| !l.iter().all(u8::is_ascii_whitespace))
        .unwrap_or_default();
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in first {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    match counts {
        [c, s, t] if s > c && s >= t => b';',
        [c, s, t] if t > c && t > s => b'\t',
        _ => b',',
    }
}

/// A number as Excel writes a long one into CSV (`1.23457E+11`): a code that passed through
/// Excel as a number, its digits lost.
fn scientific(text: &str) -> bool {
    let Some((mantissa, exponent)) = text.trim().split_once(['E', 'e']) else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, "0"));
    int.len() == 1 && digits(int) && digits(frac) && exponent.strip_prefix('+').is_some_and(digits)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_separator_is_what_the_first_line_holds_most() {
        use super::separator;
        assert_eq!(separator(b"programIndicator,dataElement\na;b,c\n"), b',');
        assert_eq!(
            separator(b"\n\nprogramIndicator;dataElement\na,b;c\n"),
            b';'
        );
        assert_eq!(separator(b"programIndicator\tdataElement\n"), b'\t');
        assert_eq!(separator(b"\"a;b;c\",dataElement\n"), b',');
        assert_eq!(separator(b"programIndicator\n"), b',');
        assert_eq!(separator(b""), b',');
    }

    #[test]
    fn excel_scientific_numbers() {
        assert!(super::scientific("1.23457E+11"));
        assert!(super::scientific("1E+15"));
        assert!(!super::scientific("E+11"));
        assert!(!super::scientific("IMM_E+1"));
        assert!(!super::scientific("12.5E+3"));
        assert!(!super::scientific("1.2E-3"));
    }
}
