//! Sheets of OpenDocument spreadsheets (.ods, LibreOffice's own format), read from the
//! archive's `content.xml` as a stream: repeated rows and columns advance the position and
//! only cells that hold something are kept, so a stray cell at XFD1048576 costs one row. Cells
//! keep what LibreOffice says they are: `calcext:value-type="error"` is a spreadsheet error, a
//! `table:formula` without a value type was never calculated, and float, date, time and boolean
//! cells are noted as such (ODF 1.2 part 1, §19.385–19.389).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

use anyhow::{Context, Result, anyhow, bail};
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use super::{Cells, Note, Sheet, number_text, text_note};

pub struct Book {
    path: String,
    names: Vec<String>,
}

type Xml = quick_xml::Reader<Box<dyn BufRead>>;

impl Book {
    pub fn open(path: &str) -> Result<Book> {
        let mut xml = content(path)?;
        let mut names = Vec::new();
        let mut buf = Vec::new();
        loop {
            match next(&mut xml, &mut buf, path)? {
                Event::Start(e) if e.name().as_ref() == "table:table" => {
                    names.push(attr(&e, "table:name", path)?.unwrap_or_default());
                    let end = e.to_end().into_owned();
                    xml.read_to_end_into(end.name(), &mut Vec::new())
                        .map_err(|e| anyhow!("{path}: the workbook's content is damaged: {e}"))?;
                }
                Event::Eof => break,
                _ => {}
            }
        }
        Ok(Book {
            path: path.to_string(),
            names,
        })
    }

    pub fn names(&self) -> Vec<String> {
        self.names.clone()
    }

    pub fn read(&mut self, path: &str, name: &str) -> Result<Sheet> {
        let mut xml = content(&self.path)?;
        let mut buf = Vec::new();
        loop {
            match next(&mut xml, &mut buf, path)? {
                Event::Start(e)
                    if e.name().as_ref() == "table:table"
                        && attr(&e, "table:name", path)?.as_deref() == Some(name) =>
                {
                    return read_table(&mut xml, path, name);
                }
                Event::Eof => bail!("{path}: there is no sheet `{name}`"),
                _ => {}
            }
        }
    }
}

/// The XML of the sheets, decompressed within the bounds of exports. The entry is located
/// through the archive's directory, then read from its own file handle, so that the reader owns
/// what it reads.
fn content(path: &str) -> Result<Xml> {
    let open = || File::open(path).with_context(|| format!("{path}: cannot open the mapping"));
    let mut archive = zip::ZipArchive::new(open()?)
        .map_err(|e| anyhow!("{path}: cannot open the mapping workbook: {e}"))?;
    let (start, size, method) = {
        let entry = archive
            .by_name("content.xml")
            .map_err(|_| anyhow!("{path}: is not an OpenDocument spreadsheet (no content.xml)"))?;
        (
            entry.data_start(),
            entry.compressed_size(),
            entry.compression(),
        )
    };
    let start = start.ok_or_else(|| anyhow!("{path}: the workbook's content.xml is damaged"))?;
    let mut file = open()?;
    file.seek(SeekFrom::Start(start))
        .with_context(|| format!("{path}: cannot read the mapping"))?;
    let raw = BufReader::new(file).take(size);
    let inner: Box<dyn Read> = match method {
        zip::CompressionMethod::Stored => Box::new(raw),
        zip::CompressionMethod::Deflated => Box::new(flate2::read::DeflateDecoder::new(raw)),
        other => bail!(
            "{path}: the workbook is compressed with {other}, which pi2de cannot read; save it again in LibreOffice"
        ),
    };
    let reader: Box<dyn BufRead> = Box::new(BufReader::new(crate::read::bounded(inner, size)));
    Ok(quick_xml::Reader::from_reader(reader))
}

fn next<'b>(xml: &mut Xml, buf: &'b mut Vec<u8>, path: &str) -> Result<Event<'b>> {
    buf.clear();
    xml.read_event_into(buf)
        .map_err(|e| anyhow!("{path}: the workbook's content is damaged: {e}"))
}

fn attr(e: &BytesStart, name: &str, path: &str) -> Result<Option<String>> {
    for a in e.attributes() {
        let a = a.map_err(|err| anyhow!("{path}: the workbook's content is damaged: {err}"))?;
        if a.key.as_ref() == name {
            let v = a
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|err| anyhow!("{path}: the workbook's content is damaged: {err}"))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

/// A repeat count (`table:number-rows-repeated`, `…-columns-repeated`), at least 1.
fn repeats(e: &BytesStart, name: &str, path: &str) -> Result<u32> {
    Ok(attr(e, name, path)?
        .and_then(|v| v.trim().parse::<u32>().ok())
        .unwrap_or(1)
        .max(1))
}

/// One cell as read: its text and note, and how many columns it covers.
struct OdsCell {
    text: String,
    note: Option<Note>,
    repeat: u32,
}

fn read_table(xml: &mut Xml, path: &str, name: &str) -> Result<Sheet> {
    let mut cells = Cells::new(path, name);
    let mut row = 0u32;
    let mut buf = Vec::new();
    loop {
        match next(xml, &mut buf, path)? {
            Event::Start(e) if e.name().as_ref() == "table:table-row" => {
                let repeat = repeats(&e, "table:number-rows-repeated", path)?;
                let found = read_row(xml, path)?;
                if !found.is_empty() {
                    for r in 0..repeat {
                        push_row(&mut cells, row.saturating_add(r), &found)?;
                    }
                }
                row = row.saturating_add(repeat);
            }
            Event::Empty(e) if e.name().as_ref() == "table:table-row" => {
                row = row.saturating_add(repeats(&e, "table:number-rows-repeated", path)?);
            }
            Event::End(e) if e.name().as_ref() == "table:table" => break,
            Event::Eof => bail!("{path}: the workbook's content is cut short in sheet `{name}`"),
            _ => {}
        }
    }
    Ok(cells.finish())
}

fn push_row(cells: &mut Cells, row: u32, found: &[(u32, OdsCell)]) -> Result<()> {
    for (column, c) in found {
        for k in 0..c.repeat {
            cells.push(
                row,
                column.saturating_add(k),
                c.text.clone(),
                c.note.clone(),
            )?;
        }
    }
    Ok(())
}

/// The cells of a row that hold something, with their first column.
fn read_row(xml: &mut Xml, path: &str) -> Result<Vec<(u32, OdsCell)>> {
    let mut column = 0u32;
    let mut found = Vec::new();
    let mut buf = Vec::new();
    loop {
        let (e, empty) = match next(xml, &mut buf, path)? {
            Event::Start(e) => (e.into_owned(), false),
            Event::Empty(e) => (e.into_owned(), true),
            Event::End(e) if e.name().as_ref() == "table:table-row" => return Ok(found),
            Event::Eof => bail!("{path}: the workbook's content is cut short"),
            _ => continue,
        };
        if !matches!(
            e.name().as_ref(),
            "table:table-cell" | "table:covered-table-cell"
        ) {
            continue;
        }
        let content = if empty {
            String::new()
        } else {
            cell_text(xml, path)?
        };
        let c = cell(&e, content, path)?;
        let repeat = c.repeat;
        if !c.text.is_empty() || c.note.is_some() {
            found.push((column, c));
        }
        column = column.saturating_add(repeat);
    }
}

/// What a cell element says it holds.
fn cell(e: &BytesStart, content: String, path: &str) -> Result<OdsCell> {
    let repeat = repeats(e, "table:number-columns-repeated", path)?;
    let get = |name: &str| attr(e, name, path);
    let value_type = get("office:value-type")?;
    let (text, note) = match value_type.as_deref() {
        // A boolean made by a formula (`=TRUE()`, or imported from .xlsx) is a float shown as
        // TRUE or FALSE.
        Some("float") if matches!(content.as_str(), "TRUE" | "FALSE") => {
            (content.to_ascii_lowercase(), Some(Note::Bool))
        }
        Some("float" | "percentage" | "currency") => {
            let v = get("office:value")?.unwrap_or_default();
            let text = v.trim().parse::<f64>().map(number_text).unwrap_or(v);
            (text, Some(Note::Number))
        }
        Some("date") => (
            get("office:date-value")?
                .unwrap_or_default()
                .trim_end_matches("T00:00:00")
                .to_string(),
            Some(Note::Date),
        ),
        Some("time") => (
            get("office:time-value")?.unwrap_or_default(),
            Some(Note::Date),
        ),
        Some("boolean") => (
            get("office:boolean-value")?.unwrap_or_default(),
            Some(Note::Bool),
        ),
        Some(_) if get("calcext:value-type")?.as_deref() == Some("error") => {
            (content.clone(), Some(Note::Error(content)))
        }
        Some(_) => {
            let note = text_note(&content);
            (content, note)
        }
        None => match get("table:formula")? {
            Some(f) => (content, Some(Note::NoCachedValue(f))),
            None => {
                let note = text_note(&content);
                (content, note)
            }
        },
    };
    Ok(OdsCell { text, note, repeat })
}

/// The text of a cell's paragraphs (`text:p`, joined by line breaks), with `text:s` spaces,
/// tabs and line breaks; comments (`office:annotation`) are skipped.
fn cell_text(xml: &mut Xml, path: &str) -> Result<String> {
    let mut out = String::new();
    let mut paragraphs = 0;
    let mut buf = Vec::new();
    loop {
        match next(xml, &mut buf, path)? {
            Event::Start(e) if e.name().as_ref() == "office:annotation" => {
                let end = e.to_end().into_owned();
                xml.read_to_end_into(end.name(), &mut Vec::new())
                    .map_err(|e| anyhow!("{path}: the workbook's content is damaged: {e}"))?;
            }
            Event::Start(e) if e.name().as_ref() == "text:p" => {
                if paragraphs > 0 {
                    out.push('\n');
                }
                paragraphs += 1;
            }
            Event::Empty(e) => match e.name().as_ref() {
                "text:s" => {
                    let n = attr(&e, "text:c", path)?
                        .and_then(|c| c.parse::<usize>().ok())
                        .unwrap_or(1);
                    out.extend(std::iter::repeat_n(' ', n.min(1000)));
                }
                "text:tab" => out.push('\t'),
                "text:line-break" => out.push('\n'),
                _ => {}
            },
            Event::Text(t) => out.push_str(&t.xml10_content()),
            Event::CData(t) => out.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    out.push(c);
                } else if let Some(s) =
                    quick_xml::escape::resolve_predefined_entity(&r.xml10_content())
                {
                    out.push_str(s);
                }
            }
            Event::End(e)
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                return Ok(out);
            }
            Event::Eof => bail!("{path}: the workbook's content is cut short"),
            _ => {}
        }
    }
}
