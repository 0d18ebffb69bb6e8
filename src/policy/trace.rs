//! `--trace FILE.csv`: the chain of custody of every value written. One row per written value
//! and per deletion, in the order of the output files and, within a file, of DHIS2's value
//! indexes (0-based, as its import conflicts number them), with where the value came from: the
//! source item and combos as exported, the input file and place, and the mapping cell of the
//! row that mapped it. A key that received several values lists every source (one row each,
//! same index), with the value each source gave. `pi2de reconcile` reads the file back.

use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use super::Entries;
use super::split::Group;
use crate::ids::{Id, Interner};
use crate::mapping::{Col, Mapping};
use crate::write::Buffer;
use crate::write::csv::people_field;
use crate::write::pieces::{PIECE, in_pieces};

/// The columns, in order: the field names of [`TraceRow`] (`pi2de reconcile` finds them by
/// name; a test holds the two to one list).
pub const HEADER: [&str; 18] = [
    "file",
    "index",
    "dataElement",
    "period",
    "orgUnit",
    "categoryOptionCombo",
    "attributeOptionCombo",
    "value",
    "deleted",
    "source",
    "sourceCategoryOptionCombo",
    "sourceAttributeOptionCombo",
    "sourceOrgUnit",
    "sourceValue",
    "input",
    "line",
    "valueNumber",
    "mappingCell",
];

/// One row of the trace, the one definition its writer and `pi2de reconcile` share: text
/// fields of type `T`, numbers of type `N` (written as numbers, read back as the text a
/// spreadsheet may have left).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceRow<T, N> {
    pub file: T,
    pub index: N,
    pub data_element: T,
    pub period: T,
    pub org_unit: T,
    pub category_option_combo: T,
    pub attribute_option_combo: T,
    pub value: T,
    pub deleted: T,
    pub source: T,
    pub source_category_option_combo: T,
    pub source_attribute_option_combo: T,
    pub source_org_unit: T,
    pub source_value: T,
    pub input: T,
    pub line: N,
    pub value_number: N,
    pub mapping_cell: T,
}

/// A row as read back (guards removed).
pub type ReadRow = TraceRow<String, String>;

impl ReadRow {
    /// The fields in [`HEADER`]'s order.
    pub fn fields(&self) -> [&str; 18] {
        [
            &self.file,
            &self.index,
            &self.data_element,
            &self.period,
            &self.org_unit,
            &self.category_option_combo,
            &self.attribute_option_combo,
            &self.value,
            &self.deleted,
            &self.source,
            &self.source_category_option_combo,
            &self.source_attribute_option_combo,
            &self.source_org_unit,
            &self.source_value,
            &self.input,
            &self.line,
            &self.value_number,
            &self.mapping_cell,
        ]
    }
}

/// The files the rows name: the inputs and the `--previous` outputs.
pub struct Sources<'a> {
    pub inputs: &'a [String],
    pub previous: &'a [String],
}

/// One field of a row: text to write through the formula guard, text already written so
/// ([`Cells`]), or a number.
#[derive(Clone, Copy)]
enum Field<'a> {
    Text(&'a str),
    Ready(&'a [u8]),
    Number(Option<u64>),
}

/// Where a row's value came from: its source ids and value, the file, place and mapping row.
struct Origin<'a> {
    source: [Field<'a>; 5],
    input: Field<'a>,
    line: Option<u64>,
    number: Option<u64>,
    row: usize,
}

/// An empty field.
const ES: Field = Field::Ready(b"");

/// Texts formatted once as [`people_field`] writes them, by number: the mapping cells, the
/// inputs, every interned id (a trace writes each many times: formatting them once, not per
/// row, took a third off the instructions the trace's rows cost).
#[derive(Default)]
struct Cells {
    bytes: Vec<u8>,
    spans: Vec<(usize, usize)>,
}

impl Cells {
    fn of<'a>(texts: impl IntoIterator<Item = &'a str>) -> io::Result<Cells> {
        let mut cells = Cells::default();
        for t in texts {
            let start = cells.bytes.len();
            people_field(&mut cells.bytes, t)?;
            cells.spans.push((start, cells.bytes.len()));
        }
        Ok(cells)
    }

    /// Cell `i`; an empty field past the end.
    fn get(&self, i: usize) -> Field<'_> {
        match self.spans.get(i) {
            Some(&(start, end)) => Field::Ready(self.bytes.get(start..end).unwrap_or_default()),
            None => ES,
        }
    }
}

/// Writes the trace as CSV: a UTF-8 byte-order mark (so that Excel reads it as UTF-8), the
/// header, then the rows of each file, every text through the formula guard
/// ([`people_field`]), quoted as every CSV pi2de writes.
pub struct Trace<'w> {
    out: Buffer<'w>,
    /// The mapping cell of each mapping row's source (`mapping!A5`).
    cells: Cells,
    /// Every interned id, formatted.
    ids: Cells,
    /// Threads formatting the rows of the written keys ([`in_pieces`]; one: this thread).
    threads: usize,
}

impl<'w> Trace<'w> {
    /// A trace of the values converted with the interned `ids`.
    pub fn new(
        out: &'w mut dyn Write,
        mapping: Option<&Mapping>,
        ids: &Interner,
        threads: usize,
    ) -> io::Result<Self> {
        let mut out = Buffer::new(out);
        out.write_all("\u{feff}".as_bytes())?;
        out.write_all(HEADER.join(",").as_bytes())?;
        out.write_all(b"\n")?;
        let cells: Vec<String> = mapping.map_or(Vec::new(), |m| {
            m.rows.iter().map(|r| m.cell(Col::Source, r.row)).collect()
        });
        Ok(Trace {
            out,
            cells: Cells::of(cells.iter().map(String::as_str))?,
            ids: Cells::of((0..ids.len()).map(|i| ids.get(Id::from_bits(i as u32))))?,
            threads,
        })
    }

    /// The rows of one output file: those of the written keys, then the zeros and the
    /// deletions.
    pub fn file(&mut self, file: &str, group: &Group, e: Entries, src: &Sources) -> io::Result<()> {
        self.keys(file, group, e, src)?;
        let mut index = group.slot_count() as u64;
        for i in group.filled() {
            let z = &e.zeros[i as usize];
            let origin = Origin {
                source: [Field::Text("(zero-fill)"), ES, ES, ES, ES],
                input: ES,
                line: None,
                number: None,
                row: z.row,
            };
            self.entry((file, index), z.output_value(None).fields(), false, origin)?;
            index += 1;
        }
        for i in group.found() {
            let d = &e.deletions[i as usize];
            let p = &d.previous;
            let origin = Origin {
                source: [ES, ES, ES, ES, Field::Text(&p.value)],
                input: Field::Text(
                    src.previous
                        .get(p.input as usize)
                        .map_or("", String::as_str),
                ),
                line: p.place.line,
                number: Some(p.place.record),
                row: d.row,
            };
            self.entry((file, index), d.output_value(None).fields(), true, origin)?;
            index += 1;
        }
        Ok(())
    }

    /// The rows of the written keys, formatted on every thread when there are many.
    fn keys(&mut self, file: &str, group: &Group, e: Entries, src: &Sources) -> io::Result<()> {
        let file_cell = Cells::of([file])?;
        let known = Known {
            file: file_cell.get(0),
            cells: &self.cells,
            ids: &self.ids,
            inputs: &Cells::of(src.inputs.iter().map(String::as_str))?,
        };
        let n = group.slot_count();
        if self.threads < 2 || n <= PIECE {
            for (index, i) in group.slots().enumerate() {
                key_rows(&mut self.out, &known, index as u64, (e, i))?;
                self.out.spill_if_full()?;
            }
            return Ok(());
        }
        in_pieces(self.out.inner()?, n, self.threads, &|range, buf| {
            let first = range.start as u64;
            for (k, i) in group.slots_in(range).enumerate() {
                key_rows(buf, &known, first + k as u64, (e, i))?;
            }
            Ok(())
        })
    }

    /// One row of a zero or a deletion.
    fn entry(
        &mut self,
        at: (&str, u64),
        target: [&str; 6],
        deleted: bool,
        o: Origin,
    ) -> io::Result<()> {
        let file = Field::Text(at.0);
        let target = target.map(Field::Text);
        row(&mut self.out, &self.cells, (file, at.1), target, deleted, o)?;
        self.out.spill_if_full()
    }

    /// Writes what is buffered; the trace is complete only then.
    pub fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// What the rows of one file's written keys share, formatted: the file, the mapping cells,
/// the ids, the inputs.
struct Known<'a> {
    file: Field<'a>,
    cells: &'a Cells,
    ids: &'a Cells,
    inputs: &'a Cells,
}

/// The rows of the written key in slot `i`: one a value it received (the same index). Its
/// ids are those of the key as written ([`crate::convert::Converted::output_value`]).
fn key_rows<W: Write + ?Sized>(
    out: &mut W,
    known: &Known,
    index: u64,
    (e, i): (Entries, u32),
) -> io::Result<()> {
    let c = e.converted;
    let slot = c.slot(i as usize);
    let v = c.output_value(&slot, None);
    let id = |id: Id| known.ids.get(id.index());
    let k = &slot.key;
    let target = [
        id(k.data_element),
        id(k.period),
        id(k.org_unit),
        id(k.category_option_combo),
        id(k.attribute_option_combo),
        Field::Text(v.value),
    ];
    for k in slot.contributions() {
        let origin = Origin {
            source: [
                id(k.source.data_element),
                id(k.source.category_option_combo),
                id(k.source.attribute_option_combo),
                id(k.source.org_unit),
                Field::Text(c.exported_text(k)),
            ],
            input: known.inputs.get(k.input as usize),
            line: (k.line > 0).then_some(u64::from(k.line)),
            number: Some(u64::from(k.record)),
            row: k.row as usize,
        };
        row(
            out,
            known.cells,
            (known.file, index),
            target,
            v.deleted,
            origin,
        )?;
    }
    Ok(())
}

/// One row: the value as written (`[de, pe, ou, coc, aoc, value]`) and where it came from.
fn row<W: Write + ?Sized>(
    out: &mut W,
    cells: &Cells,
    (file, index): (Field, u64),
    target: [Field; 6],
    deleted: bool,
    o: Origin,
) -> io::Result<()> {
    let deleted = Field::Ready(if deleted { b"true" } else { b"false" });
    let [de, pe, ou, coc, aoc, value] = target;
    let [source, scoc, saoc, sou, source_value] = o.source;
    let fields = [
        file,
        Field::Number(Some(index)),
        de,
        pe,
        ou,
        coc,
        aoc,
        value,
        deleted,
        source,
        scoc,
        saoc,
        sou,
        source_value,
        o.input,
        Field::Number(o.line),
        Field::Number(o.number),
        cells.get(o.row),
    ];
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        match f {
            Field::Text(s) => people_field(out, s)?,
            Field::Ready(b) => out.write_all(b)?,
            Field::Number(n) => n.map_or(Ok(()), |n| out.write_all(decimal(n, &mut [0; 20])))?,
        }
    }
    out.write_all(b"\n")
}

/// `n` in decimal digits, written into `buf` two at a time (a trace has three numbers a row:
/// this is faster than `write!`).
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let mut i = buf.len();
    while n >= 10 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    // One digit left, or a leading zero from the last pair.
    if n > 0 || i == buf.len() {
        i -= 1;
        buf[i] = b'0' + n as u8;
    }
    &buf[i..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_display_writes_them() {
        let mut x = 1u64;
        for n in [0, 9, 10, 99, 100, 4_294_967_295, u64::MAX]
            .into_iter()
            .chain((0..64).map(|k| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(k);
                x >> (k % 64)
            }))
        {
            assert_eq!(decimal(n, &mut [0; 20]), n.to_string().as_bytes());
        }
    }

    #[test]
    fn the_header_is_the_rows_field_names() {
        let mut out = csv::Writer::from_writer(Vec::new());
        out.serialize(ReadRow::default()).unwrap();
        let text = String::from_utf8(out.into_inner().unwrap()).unwrap();
        assert_eq!(text.lines().next(), Some(HEADER.join(",").as_str()));
    }
}
