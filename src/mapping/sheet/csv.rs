//! A mapping saved as CSV: one sheet named after the file. Every cell is text, so what a
//! spreadsheet did to it shows only in the text: error values (`#N/A`) are noted as such.

use std::path::Path;

use anyhow::{Result, bail};

use super::{Cells, Note, Sheet, text_note};
use crate::read;

pub fn load(path: &str) -> Result<Sheet> {
    let name = Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(path)
        .to_string();
    let sheet = read::with_input(path, false, None, |reader, _| {
        let mut records = read::csv::Records::new(reader);
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
    fn excel_scientific_numbers() {
        assert!(super::scientific("1.23457E+11"));
        assert!(super::scientific("1E+15"));
        assert!(!super::scientific("E+11"));
        assert!(!super::scientific("IMM_E+1"));
        assert!(!super::scientific("12.5E+3"));
        assert!(!super::scientific("1.2E-3"));
    }
}
