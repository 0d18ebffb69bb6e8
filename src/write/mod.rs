//! Writing dataValueSets (docs/dhis2-rules.md): the writers for each format, and the
//! output file itself, written to a temporary file beside the target and moved into place with
//! the run's other files only when all are complete ([`staging`]), so a failed run never leaves
//! a partial output.

pub mod csv;
pub mod folder;
pub mod json;
mod pgzip;
pub mod pieces;
pub mod registry;
pub mod staging;
pub mod xml;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
pub use registry::Registry;
use sha2::{Digest, Sha256};
pub use staging::{PartialCommit, Staged, Staging};

use crate::ids::DataSetId;
use crate::ids::IdScheme;
use crate::model::{Format, hex};

/// One value as written.
#[derive(Debug, Clone, Copy)]
pub struct OutputValue<'a> {
    pub data_element: &'a str,
    pub period: &'a str,
    pub org_unit: &'a str,
    /// Blank for the default combo (then omitted).
    pub category_option_combo: &'a str,
    pub attribute_option_combo: &'a str,
    pub value: &'a str,
    pub comment: Option<&'a str>,
    /// The follow-up flag to write (`--keep-hmis-comments`); otherwise none is written.
    pub followup: bool,
    /// A value of an earlier output that is gone at the source: written as a deletion.
    pub deleted: bool,
}

impl<'a> OutputValue<'a> {
    /// The value `value` of `key`.
    pub fn of(
        key: &'a crate::ids::KeyText,
        value: &'a str,
        comment: Option<&'a str>,
        deleted: bool,
    ) -> OutputValue<'a> {
        OutputValue {
            data_element: &key.data_element,
            period: &key.period,
            org_unit: &key.org_unit,
            category_option_combo: &key.category_option_combo,
            attribute_option_combo: &key.attribute_option_combo,
            value,
            comment,
            followup: false,
            deleted,
        }
    }

    /// The key's five ids and the value, in the order of DHIS2's CSV columns.
    pub fn fields(&self) -> [&'a str; 6] {
        [
            self.data_element,
            self.period,
            self.org_unit,
            self.category_option_combo,
            self.attribute_option_combo,
            self.value,
        ]
    }
}

/// The id schemes the output's ids follow (`UID`, `CODE`, `ATTRIBUTE:…`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Schemes {
    pub data_element: IdScheme,
    pub category_option_combo: IdScheme,
    pub attribute_option_combo: IdScheme,
    pub org_unit: IdScheme,
}

impl Schemes {
    /// The payload-level keys of a JSON or XML output, in order: the data set (when the file
    /// is for one) and the id schemes (dhis2-core 2.43 `DataEntryInput.fromJson`, ≤ 2.42
    /// `DataValueSet`).
    pub fn payload(&self, data_set: Option<&DataSetId>) -> Vec<(&'static str, String)> {
        let mut keys = Vec::with_capacity(6);
        if let Some(ds) = data_set {
            keys.push(("dataSet", ds.id.clone()));
            keys.push(("dataSetIdScheme", ds.scheme.to_string()));
        }
        keys.extend([
            ("dataElementIdScheme", self.data_element.to_string()),
            (
                "categoryOptionComboIdScheme",
                self.category_option_combo.to_string(),
            ),
            (
                "attributeOptionComboIdScheme",
                self.attribute_option_combo.to_string(),
            ),
            ("orgUnitIdScheme", self.org_unit.to_string()),
        ]);
        keys
    }
}

impl Schemes {
    /// Checks that every id can be what its scheme declares: under `UID`, an 11-character
    /// DHIS2 UID (DHIS2 2.43 rejects the whole import otherwise, E8004 / E8106; 2.42 every
    /// value, E7600 / E7612). Returns the first id that cannot, with its kind and the option
    /// that names the scheme it is in.
    pub fn misfit<'a>(
        &self,
        values: impl Iterator<Item = OutputValue<'a>>,
        data_sets: impl Iterator<Item = DataSetId>,
    ) -> Option<Misfit> {
        let uid =
            |s: &IdScheme, id: &str| *s != IdScheme::Uid || id.is_empty() || crate::ids::is_uid(id);
        for ds in data_sets {
            if !uid(&ds.scheme, &ds.id) {
                return Some(Misfit::new("data set", &ds.id, "--target-scheme code"));
            }
        }
        for v in values {
            let checks = [
                (
                    &self.data_element,
                    v.data_element,
                    "data element",
                    "--target-scheme code",
                ),
                (
                    &self.category_option_combo,
                    v.category_option_combo,
                    "category option combo",
                    "--target-scheme code",
                ),
                (
                    &self.attribute_option_combo,
                    v.attribute_option_combo,
                    "attribute option combo",
                    "--target-scheme code",
                ),
                (
                    &self.org_unit,
                    v.org_unit,
                    "org unit",
                    "--org-unit-scheme code",
                ),
            ];
            for (scheme, id, what, option) in checks {
                if !uid(scheme, id) {
                    return Some(Misfit::new(what, id, option));
                }
            }
        }
        None
    }
}

/// An id that is not what its declared scheme says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misfit {
    pub what: &'static str,
    pub id: String,
    pub option: &'static str,
}

impl Misfit {
    fn new(what: &'static str, id: &str, option: &'static str) -> Misfit {
        Misfit {
            what,
            id: id.to_string(),
            option,
        }
    }
}

impl std::fmt::Display for Misfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the {} `{}` is not a UID, but the output would declare its {} ids UID, and DHIS2 \
             would refuse the import; give {} if these are codes, or use UIDs; nothing was \
             written",
            self.what, self.id, self.what, self.option
        )
    }
}

/// A writer of one format: a sink for output values.
pub trait DataValueWriter {
    fn value(&mut self, v: &OutputValue) -> io::Result<()>;
    /// Writes what closes the document.
    fn finish(&mut self) -> io::Result<()>;
}

/// Creates the writer for `format`, writing the document's opening to `out`; its `finish`
/// closes the document. `data_set` goes into the payload (JSON, XML); CSV carries it in the
/// import URL instead.
pub fn writer<'w>(
    format: Format,
    out: &'w mut dyn Write,
    schemes: &Schemes,
    data_set: Option<&DataSetId>,
) -> io::Result<Box<dyn DataValueWriter + 'w>> {
    opening(format, out, schemes, data_set)?;
    Ok(piece_writer(format, out, Piece::Whole))
}

/// The opening of a document, before its values.
fn opening(
    format: Format,
    out: &mut dyn Write,
    schemes: &Schemes,
    data_set: Option<&DataSetId>,
) -> io::Result<()> {
    match format {
        Format::Json => json::opening(out, schemes, data_set),
        Format::Xml => xml::opening(out, schemes, data_set),
        Format::Csv => csv::opening(out),
    }
}

/// Which values of a document a writer writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    /// All of them, then the closing.
    Whole,
    /// The first ones (no closing).
    First,
    /// Values after others (no closing).
    Later,
    /// No values: only the closing.
    Closing,
}

/// A writer of values for `piece` of a document whose opening is written.
fn piece_writer<'w>(
    format: Format,
    out: &'w mut dyn Write,
    piece: Piece,
) -> Box<dyn DataValueWriter + 'w> {
    let first = matches!(piece, Piece::Whole | Piece::First);
    let close = matches!(piece, Piece::Whole | Piece::Closing);
    match format {
        Format::Json => Box::new(json::Writer::new(out, first, close)),
        Format::Xml => Box::new(xml::Writer::new(out, close)),
        Format::Csv => Box::new(csv::Writer::new(out)),
    }
}

/// A writer that feeds the bytes it passes on into a SHA-256 digest, when there is one.
struct Hashing<W> {
    inner: W,
    digest: Option<Sha256>,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        if let Some(d) = self.digest.as_mut() {
            d.update(&buf[..n]);
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Written {
    /// The file's SHA-256, when asked for.
    pub sha256: Option<String>,
}

/// The output file being written: a temporary file beside the target (or stdout for `-`).
pub struct Output {
    path: String,
    staged: Option<Staged>,
    stream: Stream,
}

/// The buffered, hashing file (or stdout) under an optional gzip encoder.
type Buffered = BufWriter<Hashing<Box<dyn Write + Send>>>;

enum Stream {
    Plain(Buffered),
    Gzip(Box<pgzip::ParallelGz<Buffered>>),
}

impl Output {
    /// Checks the target and opens a temporary file beside it. `gzip` compresses the output;
    /// `hash` computes its SHA-256.
    pub fn create(path: &str, gzip: bool, hash: bool) -> Result<Output> {
        // Send: an output may be written on a thread of its own (the trace beside the values).
        let (sink, staged): (Box<dyn Write + Send>, _) = if crate::location::is_standard(path) {
            (Box::new(io::stdout()), None)
        } else {
            let dir = check_output(path)?;
            let (file, temp) = staging::temp_in(&dir, path)?.into_parts();
            (
                Box::new(file) as Box<dyn Write + Send>,
                Some(Staged::new(path, temp)),
            )
        };
        let hashing = BufWriter::with_capacity(
            256 * 1024,
            Hashing {
                inner: sink,
                digest: hash.then(Sha256::new),
            },
        );
        let stream = if gzip {
            // On every core, one gzip member (pgzip.rs). Level 3: 1,000,000 values in 0.74 s
            // on 2 cores against 0.90 s at level 6 (plain output 0.66 s), for a file 12%
            // larger (6.3 MB against 5.6 MB from 83 MB of JSON).
            Stream::Gzip(Box::new(pgzip::ParallelGz::new(
                hashing,
                flate2::Compression::new(3),
            )))
        } else {
            Stream::Plain(hashing)
        };
        Ok(Output {
            path: path.to_string(),
            staged,
            stream,
        })
    }

    /// The stream to write the document to.
    pub fn stream(&mut self) -> &mut dyn Write {
        match &mut self.stream {
            Stream::Plain(w) => w,
            Stream::Gzip(w) => w,
        }
    }

    /// Flushes everything to disk; the file waits in `staging` to be moved into place.
    pub fn finish(self, staging: &mut Staging) -> Result<Written> {
        let path = self.path;
        let cannot = || format!("{path}: cannot write the output");
        let buffered = match self.stream {
            Stream::Plain(w) => w,
            Stream::Gzip(w) => w.finish().with_context(cannot)?,
        };
        let hashing = buffered
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(cannot)?;
        let Hashing { mut inner, digest } = hashing;
        inner.flush().with_context(cannot)?;
        drop(inner);
        if let Some(staged) = self.staged {
            staged.sync().with_context(cannot)?;
            staging.add(staged);
        }
        Ok(Written {
            sha256: digest.map(|d| hex(&d.finalize())),
        })
    }
}

/// Writes a whole small file (a workbook) on its own: staged, then moved into place.
pub fn write_atomic(path: &str, bytes: &[u8]) -> Result<()> {
    let mut staging = Staging::default();
    staging.bytes(path, bytes)?;
    staging.commit()?;
    Ok(())
}

#[cfg(unix)]
fn readable(file: &File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn readable(_: &File) -> io::Result<()> {
    Ok(())
}

/// Refuses a workbook name that does not end in `.xlsx`: pi2de writes only that format, and a
/// file named `.ods` or `.csv` holding an .xlsx would mislead whoever opens it.
pub fn check_xlsx(path: &str, what: &str) -> Result<()> {
    if !path.to_ascii_lowercase().ends_with(".xlsx") {
        bail!("{what} {path}: pi2de writes .xlsx workbooks; name it FILE.xlsx");
    }
    Ok(())
}

/// Checks an output path before anything is read: its folder must exist, and it must not be
/// something other than a regular file (a folder, a device). Returns the folder. Whether it is
/// one of the run's other files is the [`Registry`]'s one check.
pub fn check_output(path: &str) -> Result<PathBuf> {
    let dir = match Path::new(path).parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        bail!("{path}: the output folder {} does not exist", dir.display());
    }
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        bail!("{path}: exists and is not a regular file; pi2de only replaces regular files");
    }
    Ok(dir)
}

/// A byte buffer in front of the output: writers format into it (statically dispatched, so
/// each small write is a copy) and it is handed on in large pieces.
pub struct Buffer<'w> {
    out: &'w mut dyn Write,
    buf: Vec<u8>,
}

impl<'w> Buffer<'w> {
    const SIZE: usize = 1 << 18;

    pub fn new(out: &'w mut dyn Write) -> Self {
        Buffer {
            out,
            buf: Vec::with_capacity(Self::SIZE + 4096),
        }
    }

    /// Hands everything buffered on and gives the output behind the buffer, for bytes too
    /// many to copy through it.
    pub fn inner(&mut self) -> io::Result<&mut dyn Write> {
        self.flush()?;
        Ok(&mut *self.out)
    }

    /// Hands the buffer on once it is full.
    pub fn spill_if_full(&mut self) -> io::Result<()> {
        if self.buf.len() >= Self::SIZE {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

impl Write for Buffer<'_> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }

    fn write_all(&mut self, b: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(b);
        Ok(())
    }

    /// Hands everything buffered on (the layers below are flushed when the output is
    /// committed).
    fn flush(&mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }
}

/// Escapes `s` for a JSON string body.
pub fn json_escape<W: Write + ?Sized>(out: &mut W, s: &str) -> io::Result<()> {
    let bytes = s.as_bytes();
    if !bytes.iter().any(|&b| b == b'"' || b == b'\\' || b < 0x20) {
        return out.write_all(bytes);
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0..=0x1f => None,
            _ => continue,
        };
        out.write_all(&bytes[start..i])?;
        match escaped {
            Some(e) => out.write_all(e)?,
            None => write!(out, "\\u{:04x}", b)?,
        }
        start = i + 1;
    }
    out.write_all(&bytes[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escaping() {
        let mut out = Vec::new();
        json_escape(&mut out, "a\"b\\c\nd\u{1}é").unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "a\\\"b\\\\c\\nd\\u0001é");
    }
}
