//! Reading exports: opens each input (a path or `-` for stdin; plain, `.gz`, or a `.zip` holding
//! one export), drops a UTF-8 BOM, decides the format (`--from`, else extension, else content) and
//! streams its data values into a [`Sink`]. Nothing is loaded whole.

pub mod csv;
pub mod json;
mod progress;
pub mod xml;

use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use indicatif::ProgressBar;
use sha2::{Digest, Sha256};

use crate::location::{self, Location};
pub use crate::model::Format;
use crate::model::{DataValue, Header, hex};
use progress::advance;
pub use progress::{PROGRESS_LINE, Progress, progress_bar};

/// Buffer size for input streams.
const BUFFER: usize = 256 * 1024;

/// How an input was compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Gzip,
    Zip,
}

/// What was learnt about one input while reading it.
#[derive(Debug, Clone)]
pub struct InputInfo {
    pub path: String,
    pub format: Format,
    pub compression: Compression,
    pub sha256: Option<String>,
    pub values: u64,
    pub header: Header,
}

/// Receives the data values of every input, in order.
pub trait Sink {
    /// Called before the first value of input number `index`.
    fn begin_input(&mut self, index: usize, path: &str);
    /// One data value, with the payload defaults already applied.
    fn data_value(&mut self, value: DataValue<'_>) -> Result<()>;
}

/// The result of one format reader's pass over one input.
pub struct ReadOutcome {
    pub header: Header,
    pub values: u64,
    /// The JSON payload declared a default (`period`, `orgUnit`, `attributeOptionCombo`) after
    /// `dataValues`, so values already passed on lacked it: read the input again with `header`.
    pub late_defaults: bool,
}

/// Reads every input into a fresh sink from `make_sink`. When a JSON input declares its defaults
/// after `dataValues`, the whole read starts again with those defaults known from the start (only
/// that rare layout costs a second pass).
pub fn read_inputs<S: Sink>(
    inputs: &[String],
    from: Option<Format>,
    hash: bool,
    progress: Option<&ProgressBar>,
    mut make_sink: impl FnMut() -> S,
) -> Result<(S, Vec<InputInfo>)> {
    let mut hints: Vec<Header> = vec![Header::default(); inputs.len()];
    let mut stdin_used = false;
    for path in inputs {
        if location::is_standard(path) {
            if stdin_used {
                bail!("`-` (standard input) is given more than once");
            }
            stdin_used = true;
        }
    }
    'attempt: for attempt in 0..2 {
        let mut sink = make_sink();
        let mut infos = Vec::with_capacity(inputs.len());
        for (index, path) in inputs.iter().enumerate() {
            sink.begin_input(index, path);
            let (info, late) = read_one(path, from, hash, progress, &hints[index], &mut sink)?;
            if late {
                if location::is_standard(path) || attempt > 0 {
                    bail!(
                        "{path}: the JSON payload sets `period`, `orgUnit` or `attributeOptionCombo` \
                         after `dataValues`; save standard input to a file and convert the file"
                    );
                }
                hints[index] = info.header.clone();
                continue 'attempt;
            }
            infos.push(info);
        }
        return Ok((sink, infos));
    }
    unreachable!("the second attempt has every header known")
}

/// Opens one input and streams it through the reader of its format.
fn read_one(
    path: &str,
    from: Option<Format>,
    hash: bool,
    progress: Option<&ProgressBar>,
    hint: &Header,
    sink: &mut dyn Sink,
) -> Result<(InputInfo, bool)> {
    if let Some(bar) = progress {
        let name = Path::new(path)
            .file_name()
            .map_or(path.into(), |n| n.to_string_lossy());
        bar.set_message(crate::term::escape(&name).into_owned());
    }
    let opened = with_input(path, hash, progress, |reader, entry| {
        let format = match from {
            Some(f) => f,
            None => detect_format(path, entry, reader)?,
        };
        let outcome = match format {
            Format::Json => json::read(reader, path, hint, sink)?,
            Format::Xml => xml::read(reader, path, sink)?,
            Format::Csv => csv::read(reader, path, sink)?,
        };
        Ok((outcome, format))
    })?;
    let ((outcome, format), compression, sha256) =
        (opened.value, opened.compression, opened.sha256);
    let late = outcome.late_defaults;
    Ok((
        InputInfo {
            path: path.to_string(),
            format,
            compression,
            sha256,
            values: outcome.values,
            header: outcome.header,
        },
        late,
    ))
}

/// The line ends (`\n`; a CR-only file is one line) in `bytes`, for the readers' line numbers:
/// a loop the compiler vectorises, as fast as memchr's count on a block and cheaper than a
/// call on the few bytes of one object or element.
pub(crate) fn newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// A `deleted` field read as DHIS2 reads it: `true` in any case (Java's `Boolean.parseBoolean`,
/// a JSON `true`).
pub fn is_true(s: &str) -> bool {
    s.trim().eq_ignore_ascii_case("true")
}

/// A reader that feeds every byte it passes through into a SHA-256 digest, and moves the
/// progress bar.
struct Hashing<R> {
    inner: R,
    digest: Rc<RefCell<Option<Sha256>>>,
    progress: Option<ProgressBar>,
    /// Bytes read so far (what a decompressor has consumed).
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        if let Some(d) = self.digest.borrow_mut().as_mut() {
            d.update(&buf[..n]);
        }
        if let Some(bar) = &self.progress {
            advance(bar, n as u64);
        }
        Ok(n)
    }
}

/// Decompressed bytes beyond which the ratio to the compressed bytes is watched.
const BOMB_FLOOR: u64 = 256 << 20;
/// The most a compressed export may expand (real exports expand about 10 to 30 times).
const BOMB_RATIO: u64 = 100;

/// A decompressing reader that stops a decompression bomb: past [`BOMB_FLOOR`] bytes, output
/// may not exceed [`BOMB_RATIO`] times the compressed bytes read.
struct Bounded<R> {
    inner: R,
    compressed: Rc<Cell<u64>>,
    out: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("the compressed data is damaged or cut short ({e})"),
            )
        })?;
        self.out += n as u64;
        if self.out > BOMB_FLOOR && self.out > BOMB_RATIO * self.compressed.get().max(1) {
            return Err(io::Error::other(format!(
                "decompression stopped after {} MB from {} KB: more than {BOMB_RATIO} times its compressed size, \
                 this looks like a decompression bomb, not an export",
                self.out >> 20,
                self.compressed.get() >> 10
            )));
        }
        Ok(n)
    }
}

/// `inner`, a decompressing reader of `compressed` bytes, stopped as a bomb past the bounds of
/// [`Bounded`] (a zip entry: an export's, or a workbook's part).
pub(crate) fn bounded<R: Read>(inner: R, compressed: u64) -> impl Read {
    Bounded {
        inner,
        compressed: Rc::new(Cell::new(compressed)),
        out: 0,
    }
}

/// Threads that parse a JSON export's `dataValues` (`convert -j`); 1 parses them on the
/// reading thread. Set once, before reading.
static PARSE_THREADS: AtomicUsize = AtomicUsize::new(1);

/// Parses JSON exports on `n` threads from here on (the results are the same on any number).
pub fn set_parse_threads(n: usize) {
    PARSE_THREADS.store(n.max(1), Ordering::Relaxed);
}

fn parse_threads() -> usize {
    PARSE_THREADS.load(Ordering::Relaxed)
}

/// An input read through by [`with_input`].
pub struct Opened<T> {
    /// What the reader returned.
    pub value: T,
    pub compression: Compression,
    /// The SHA-256 of the file's bytes as stored, when asked for.
    pub sha256: Option<String>,
}

/// Opens `path` (or stdin for `-`), undoes gzip or zip, drops a UTF-8 BOM and hands the stream
/// and, for a zip, the entry's name to `f`. Returns what `f` returns, the compression seen and,
/// with `hash`, the digest of the bytes as stored.
pub fn with_input<T>(
    path: &str,
    hash: bool,
    progress: Option<&ProgressBar>,
    f: impl FnOnce(&mut dyn BufRead, Option<&str>) -> Result<T>,
) -> Result<Opened<T>> {
    let digest = Rc::new(RefCell::new(hash.then(Sha256::new)));
    let (value, compression) = open(path, digest.clone(), progress, f)?;
    let sha256 = digest.borrow_mut().take().map(|d| hex(&d.finalize()));
    Ok(Opened {
        value,
        compression,
        sha256,
    })
}

fn open<T>(
    path: &str,
    digest: Rc<RefCell<Option<Sha256>>>,
    progress: Option<&ProgressBar>,
    f: impl FnOnce(&mut dyn BufRead, Option<&str>) -> Result<T>,
) -> Result<(T, Compression)> {
    let raw: Box<dyn Read> = match Location::of(path) {
        Location::Standard => Box::new(io::stdin().lock()),
        Location::File(file) => {
            let meta = std::fs::metadata(file)
                .with_context(|| format!("{path}: cannot read the input"))?;
            if meta.is_dir() {
                bail!("{path}: is a folder, not an export file");
            }
            Box::new(File::open(file).with_context(|| format!("{path}: cannot open the input"))?)
        }
    };
    let compressed = Rc::new(Cell::new(0u64));
    let mut raw = BufReader::with_capacity(
        BUFFER,
        Hashing {
            inner: raw,
            digest: digest.clone(),
            progress: progress.cloned(),
            count: compressed.clone(),
        },
    );
    let magic = raw
        .fill_buf()
        .with_context(|| format!("{path}: cannot read the input"))?;
    if magic.starts_with(&[0x1f, 0x8b]) {
        let gz = Bounded {
            inner: flate2::read::MultiGzDecoder::new(raw),
            compressed,
            out: 0,
        };
        let mut reader = BufReader::with_capacity(BUFFER, gz);
        let result = decoded(path, &mut reader, None, f)?;
        return Ok((result, Compression::Gzip));
    }
    if magic.starts_with(b"PK\x03\x04") || magic.starts_with(b"PK\x05\x06") {
        return Ok((from_zip(path, raw, f)?, Compression::Zip));
    }
    let result = decoded(path, &mut raw, None, f)?;
    Ok((result, Compression::None))
}

/// Reads the one export file a zip holds (the zip on standard input is spooled to a temporary
/// file first: a zip is read from its end).
fn from_zip<T, R: BufRead>(
    path: &str,
    mut raw: R,
    f: impl FnOnce(&mut dyn BufRead, Option<&str>) -> Result<T>,
) -> Result<T> {
    let file = if location::is_standard(path) {
        let mut spool = tempfile::tempfile()
            .context("cannot create a temporary file for the zip on standard input")?;
        io::copy(&mut raw, &mut spool).context("-: cannot read the zip from standard input")?;
        spool
    } else {
        // The digest sees the zip's bytes as they are read in full here.
        io::copy(&mut raw, &mut io::sink())
            .with_context(|| format!("{path}: cannot read the input"))?;
        File::open(path).with_context(|| format!("{path}: cannot open the input"))?
    };
    let mut archive = zip::ZipArchive::new(file)
        .with_context(|| format!("{path}: not a readable zip archive"))?;
    let index = the_export(path, &mut archive)?;
    let entry = archive
        .by_index(index)
        .with_context(|| format!("{path}: cannot read the zip entry"))?;
    let name = entry
        .name()
        .map(|n| n.to_string())
        .with_context(|| format!("{path}: cannot read the zip entry's name"))?;
    let size = entry.compressed_size();
    let mut reader = BufReader::with_capacity(BUFFER, bounded(entry, size));
    decoded(path, &mut reader, Some(&name), f)
}

/// The one export file of a zip, past what macOS adds (`__MACOSX/`, `._*`, `.DS_Store`) and
/// folders; a workbook (which is a zip) or several files are refused, naming what was found.
fn the_export(path: &str, archive: &mut zip::ZipArchive<File>) -> Result<usize> {
    let mut names = Vec::new();
    for i in 0..archive.len() {
        let entry = archive
            .by_index(i)
            .with_context(|| format!("{path}: cannot read the zip's entry {i}"))?;
        let name = entry.name().map(|n| n.to_string()).unwrap_or_default();
        if !entry.is_dir() {
            names.push((i, name));
        }
    }
    let workbook = |part: &str| names.iter().any(|(_, n)| n == part);
    if workbook("xl/workbook.xml") || workbook("xl/workbook.bin") {
        bail!(
            "{path}: is an Excel workbook, not an export; exports come from DHIS2 as JSON, XML \
             or CSV (/api/analytics/dataValueSet.json). A mapping workbook goes after -m"
        );
    }
    if workbook("content.xml") && workbook("mimetype") {
        bail!(
            "{path}: is an OpenDocument (LibreOffice) file, not an export; exports come from \
             DHIS2 as JSON, XML or CSV (/api/analytics/dataValueSet.json). A mapping workbook \
             goes after -m"
        );
    }
    let real: Vec<&(usize, String)> = names
        .iter()
        .filter(|(_, n)| {
            let base = n.rsplit('/').next().unwrap_or(n);
            !n.starts_with("__MACOSX/") && !base.starts_with("._") && base != ".DS_Store"
        })
        .collect();
    match real.as_slice() {
        [(index, _)] => Ok(*index),
        [] => bail!("{path}: the zip holds no export file"),
        several => {
            let listed: Vec<&str> = several.iter().take(10).map(|(_, n)| n.as_str()).collect();
            bail!(
                "{path}: a zip must hold exactly one export file, this one holds {}: {}{}; unzip \
                 it and give the files as inputs",
                several.len(),
                listed.join(", "),
                if several.len() > 10 { ", …" } else { "" }
            )
        }
    }
}

/// Checks the text encoding at the start of a decompressed stream and drops a UTF-8 BOM.
fn decoded<T>(
    path: &str,
    reader: &mut dyn BufRead,
    entry: Option<&str>,
    f: impl FnOnce(&mut dyn BufRead, Option<&str>) -> Result<T>,
) -> Result<T> {
    let head = reader
        .fill_buf()
        .with_context(|| format!("{path}: cannot read the input"))?;
    let what = entry.map_or(String::new(), |e| format!(" (zip entry {e})"));
    if head.is_empty() {
        bail!("{path}{what}: the file is empty");
    }
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        reader.consume(3);
    } else if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        bail!("{path}{what}: the file is UTF-16; pi2de reads UTF-8 (save it again as UTF-8)");
    } else if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        bail!(
            "{path}{what}: is an old Excel .xls workbook (or a password-protected one), not an \
             export; exports come from DHIS2 as JSON, XML or CSV. A mapping workbook goes after -m"
        );
    } else if is_html(head) {
        bail!(
            "{path}{what}: is an HTML page, not an export (a login or error page saved in its \
             place?): export again while logged in (curl -u USER --fail …) and look at the file"
        );
    } else if head.starts_with(&[0x1f, 0x8b]) || head.starts_with(b"PK\x03\x04") {
        bail!("{path}{what}: the export is compressed twice; unpack the outer layer first");
    } else if head.iter().take(4096).any(|&b| b == 0) {
        bail!(
            "{path}{what}: holds NUL bytes, so it is not UTF-8 text (UTF-16 without a byte-order \
             mark, or a binary file); save the export as UTF-8"
        );
    }
    f(reader, entry)
}

/// The start of an HTML page: `<!DOCTYPE html` or `<html`, in any case, after white space.
fn is_html(head: &[u8]) -> bool {
    let text: Vec<u8> = head
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(14)
        .map(u8::to_ascii_lowercase)
        .collect();
    text.starts_with(b"<!doctype html") || text.starts_with(b"<html")
}

/// Decides the format from the file name (or zip entry name), else from the first bytes.
fn detect_format(path: &str, entry: Option<&str>, reader: &mut dyn BufRead) -> Result<Format> {
    let name = entry.unwrap_or(path);
    let name = name
        .strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".GZ"))
        .unwrap_or(name);
    if let Some(f) = Format::from_extension(name) {
        return Ok(f);
    }
    let head = reader
        .fill_buf()
        .with_context(|| format!("{path}: cannot read the input"))?;
    Ok(sniff(head))
}

/// Guesses the format from the first bytes: `{` is JSON, `<` is XML, anything else CSV.
pub fn sniff(head: &[u8]) -> Format {
    match head.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | Some(b'[') => Format::Json,
        Some(b'<') => Format::Xml,
        _ => Format::Csv,
    }
}

/// A place in an input, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// A byte offset: turned into a line and column when the input can be read again.
    Byte(u64),
    Line(u64),
    LineColumn(u64, u64),
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            At::Byte(n) => write!(f, "byte {n}"),
            At::Line(l) => write!(f, "line {l}"),
            At::LineColumn(l, c) => write!(f, "line {l}, column {c}"),
        }
    }
}

/// The one form of a located error: `FILE: line L, column C: WHAT`.
pub fn error_at(path: &str, at: At, what: impl std::fmt::Display) -> anyhow::Error {
    let at = match at {
        At::Byte(offset) => line_column(path, offset).map_or(at, |(l, c)| At::LineColumn(l, c)),
        other => other,
    };
    anyhow::anyhow!("{path}: {at}: {what}")
}

/// Line and column (1-based) of byte `offset` in a re-readable input, for error messages.
/// `None` for standard input or when the input cannot be read again.
pub fn line_column(path: &str, offset: u64) -> Option<(u64, u64)> {
    if location::is_standard(path) {
        return None;
    }
    with_input(path, false, None, |reader, _| {
        let (mut line, mut column, mut seen) = (1u64, 1u64, 0u64);
        let mut buf = Vec::new();
        while seen < offset {
            buf.clear();
            let n = reader
                .take(offset - seen)
                .read_until(b'\n', &mut buf)
                .map_err(anyhow::Error::from)?;
            if n == 0 {
                break;
            }
            seen += n as u64;
            if buf.last() == Some(&b'\n') {
                line += 1;
                column = 1;
            } else {
                column += String::from_utf8_lossy(&buf).chars().count() as u64;
            }
        }
        Ok((line, column))
    })
    .ok()
    .map(|o| o.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"  {\"dataValues\":[]}"), Format::Json);
        assert_eq!(sniff(b"\n<dataValueSet/>"), Format::Xml);
        assert_eq!(sniff(b"dataelement,period"), Format::Csv);
        assert_eq!(sniff(b""), Format::Csv);
    }

    #[test]
    fn extensions() {
        assert_eq!(Format::from_extension("a/b.JSON"), Some(Format::Json));
        assert_eq!(Format::from_extension("x.csv"), Some(Format::Csv));
        assert_eq!(Format::from_extension("x.txt"), None);
    }
}
