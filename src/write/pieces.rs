//! Writes a document's values on every core: workers format pieces of [`PIECE`] values into
//! buffers, and the calling thread writes the buffers in order, so that the bytes are exactly
//! those one writer writing every value would write. At most a few pieces wait in memory.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::sync_channel;

use super::{DataValueWriter, OutputValue, Piece, Schemes, opening, piece_writer};
use crate::ids::DataSetId;
use crate::model::Format;

/// Values per piece formatted on a worker.
pub const PIECE: usize = 16 * 1024;

/// The document of `len` values (`values(range)` gives those of a range, in order) written
/// to `out` in `format`; `threads` workers format it (one: this thread does, as one writer).
pub fn write_document<'a, I>(
    format: Format,
    out: &mut dyn Write,
    (schemes, data_set): (&Schemes, Option<&DataSetId>),
    len: usize,
    values: &(dyn Fn(Range<usize>) -> I + Sync),
    threads: usize,
) -> io::Result<()>
where
    I: Iterator<Item = OutputValue<'a>>,
{
    opening(format, out, schemes, data_set)?;
    if threads < 2 || len <= PIECE {
        return write_piece(format, out, Piece::Whole, values(0..len));
    }
    in_pieces(out, len, threads, &|range, buf| {
        let piece = if range.start == 0 {
            Piece::First
        } else {
            Piece::Later
        };
        write_piece(format, buf, piece, values(range))
    })?;
    write_piece(format, out, Piece::Closing, std::iter::empty())
}

/// Formats the items of a range into a buffer.
pub type FormatRange<'f> = dyn Fn(Range<usize>, &mut Vec<u8>) -> io::Result<()> + Sync + 'f;

/// Bytes for the items `0..len`, formatted by `format` a piece of [`PIECE`] items at a time on
/// `threads` workers and written to `out` in order: the bytes one thread formatting every
/// range in turn would write. At most a few pieces wait in memory.
pub fn in_pieces(
    out: &mut dyn Write,
    len: usize,
    threads: usize,
    format: &FormatRange<'_>,
) -> io::Result<()> {
    let pieces = len.div_ceil(PIECE);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = sync_channel::<(usize, io::Result<Vec<u8>>)>(threads);
    // Buffers written come back for the next pieces: a fresh one each time cost the page
    // faults of 2.6 MB a piece.
    let spent = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (tx, next, stop, spent) = (tx.clone(), &next, &stop, &spent);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= pieces || stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let range = i * PIECE..((i + 1) * PIECE).min(len);
                    let mut buf = spent
                        .lock()
                        .ok()
                        .and_then(|mut spent| spent.pop())
                        .unwrap_or_else(|| Vec::with_capacity(PIECE * 160));
                    let formatted = format(range, &mut buf).map(|()| buf);
                    if tx.send((i, formatted)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let written = write_in_order(out, rx.iter(), pieces, |mut buf| {
            buf.clear();
            if let Ok(mut spent) = spent.lock() {
                spent.push(buf);
            }
        });
        if written.is_err() {
            stop.store(true, Ordering::Relaxed);
            // Let every worker finish its piece and see the stop.
            for _ in rx.iter() {}
        }
        written
    })
}

/// Writes the pieces as they arrive, each once those before it are written; the first error
/// in document order ends it.
fn write_in_order(
    out: &mut dyn Write,
    arriving: impl Iterator<Item = (usize, io::Result<Vec<u8>>)>,
    pieces: usize,
    mut recycle: impl FnMut(Vec<u8>),
) -> io::Result<()> {
    let mut waiting = BTreeMap::new();
    let mut due = 0;
    for (i, piece) in arriving {
        waiting.insert(i, piece);
        while let Some(piece) = waiting.remove(&due) {
            let piece = piece?;
            out.write_all(&piece)?;
            recycle(piece);
            due += 1;
        }
        if due == pieces {
            break;
        }
    }
    if due < pieces {
        return Err(io::Error::other(
            "a writer stopped before its piece was written",
        ));
    }
    Ok(())
}

/// One writer writing `values` as `piece` of a document.
fn write_piece<'a>(
    format: Format,
    out: &mut dyn Write,
    piece: Piece,
    values: impl Iterator<Item = OutputValue<'a>>,
) -> io::Result<()> {
    let mut w: Box<dyn DataValueWriter + '_> = piece_writer(format, out, piece);
    for v in values {
        w.value(&v)?;
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::IdScheme;

    fn schemes() -> Schemes {
        Schemes {
            data_element: IdScheme::Uid,
            category_option_combo: IdScheme::Uid,
            attribute_option_combo: IdScheme::Uid,
            org_unit: IdScheme::Code,
        }
    }

    /// Generated values, some with text to escape, a comment or a deletion.
    fn generated(n: usize) -> Vec<[String; 3]> {
        (0..n)
            .map(|i| {
                let value = match i % 7 {
                    0 => format!("{i}.5"),
                    1 => "a \"quoted\", <b> & more\n".to_string(),
                    _ => i.to_string(),
                };
                [format!("DE{:09}", i % 301), format!("OU_{}", i % 97), value]
            })
            .collect()
    }

    fn document(format: Format, rows: &[[String; 3]], threads: usize) -> Vec<u8> {
        let values = |range: Range<usize>| {
            let start = range.start;
            rows[range]
                .iter()
                .zip(start..)
                .map(|([de, ou, v], i)| OutputValue {
                    data_element: de,
                    period: "202401",
                    org_unit: ou,
                    category_option_combo: if i % 3 == 0 { "" } else { "HllvX50cXC0" },
                    attribute_option_combo: "",
                    value: v,
                    comment: (i % 5 == 0).then_some("a comment"),
                    followup: i % 11 == 0,
                    deleted: i % 13 == 0,
                })
        };
        let mut out = Vec::new();
        let ds = DataSetId {
            id: "BfMAe6Itzgt".to_string(),
            scheme: IdScheme::Uid,
        };
        write_document(
            format,
            &mut out,
            (&schemes(), Some(&ds)),
            rows.len(),
            &values,
            threads,
        )
        .expect("written");
        out
    }

    #[test]
    fn a_document_written_on_every_core_is_the_one_a_single_writer_writes() {
        for format in [Format::Json, Format::Xml, Format::Csv] {
            for n in [0, 1, PIECE - 1, PIECE, PIECE + 1, 3 * PIECE + 17] {
                let rows = generated(n);
                let serial = document(format, &rows, 1);
                for threads in [2, 3, 8] {
                    assert!(
                        document(format, &rows, threads) == serial,
                        "{format:?}, {n} values, {threads} threads"
                    );
                }
            }
        }
    }

    #[test]
    fn the_first_value_that_cannot_be_written_is_the_error_on_every_core() {
        // XML cannot carry U+0001: pieces 2 and 4 hold such a value, piece 2's is named.
        let mut rows = generated(5 * PIECE);
        rows[2 * PIECE + 5][2] = "first\u{1}".to_string();
        rows[4 * PIECE][2] = "later\u{1}".to_string();
        let values = |range: Range<usize>| {
            rows[range].iter().map(|[de, ou, v]| OutputValue {
                data_element: de,
                period: "202401",
                org_unit: ou,
                category_option_combo: "",
                attribute_option_combo: "",
                value: v,
                comment: None,
                followup: false,
                deleted: false,
            })
        };
        for threads in [1, 2, 4] {
            let err = write_document(
                Format::Xml,
                &mut Vec::new(),
                (&schemes(), None),
                rows.len(),
                &values,
                threads,
            )
            .expect_err("U+0001 refused");
            assert!(err.to_string().contains("first"), "{threads}: {err}");
        }
    }
}
