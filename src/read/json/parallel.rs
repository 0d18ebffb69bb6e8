//! The `dataValues` array parsed on several threads. The reading thread cuts the array into
//! chunks of about a megabyte, each ending just after a `},` that a `{` follows; workers parse
//! them with the fast path ([`flat_object_shaped`]) into batches; the reading thread passes the
//! batches on in input order, each value's number and line shifted by what came before, so the
//! values and their places are those of the serial read.
//!
//! A cut is only a guess (a string may hold `},{`): a chunk counts only when its worker, which
//! starts at a true object start, ends exactly at the cut, after a comma. Anything else (an
//! object the fast path does not take: numbers, escapes, broken JSON; a cut inside a string;
//! the end of the array) stops the parallel read there: the bytes from that point on go back to
//! the scanner and the serial reader goes on, with its own errors and their places.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};

use anyhow::{Result, anyhow};

use super::flat::{Shape, flat_object_shaped, skip_ws};
use super::scanner::Scanner;
use super::{Ctx, Resume};
use crate::model::{Header, Place};
use crate::relay::Collector;

/// The size of a chunk.
pub(super) const CHUNK: usize = 1 << 20;

/// Bytes of the array and the file offset of the first.
struct Chunk {
    bytes: Vec<u8>,
    base: u64,
}

/// A chunk parsed: its values (numbered from 1, lines counted from 0 at the chunk's start),
/// where the worker stopped, and in which state.
struct Parsed {
    values: Collector,
    count: u64,
    lacking: [bool; 3],
    stop: usize,
    /// Line ends before `stop`.
    lines: u64,
    resume: Resume,
}

/// Parses the plain objects at the start of `bytes`, each followed by a comma, as far as
/// they go.
fn parse(bytes: &[u8], header: &Header) -> Parsed {
    let mut values = Collector::default();
    let mut ctx = Ctx {
        header: header.clone(),
        sink: &mut values,
        values: 0,
        lacking: [false; 3],
        late_defaults: false,
        answer: Vec::new(),
        parallel: (1, CHUNK),
        shape: Shape::default(),
    };
    let (mut i, mut lines) = (0, 0);
    let resume = loop {
        let mut nl = 0;
        let start = skip_ws(bytes, i, &mut nl);
        let Ok((fields, len)) = flat_object_shaped(&bytes[start..], &mut ctx.shape) else {
            break Resume::Object;
        };
        if ctx.emit(&fields, lines + nl).is_err() {
            break Resume::Object;
        }
        i = start + len;
        lines += nl + fields.newlines;
        let mut nl = 0;
        let next = skip_ws(bytes, i, &mut nl);
        if bytes.get(next) != Some(&b',') {
            break Resume::Separator;
        }
        i = next + 1;
        lines += nl;
    };
    let lacking = ctx.lacking;
    let count = values.len() as u64;
    Parsed {
        values,
        count,
        lacking,
        stop: i,
        lines,
        resume,
    }
}

/// Reads the array from the scanner's position (an object's start) on `threads` workers, as
/// far as chunks parse whole; returns where the serial reader resumes, the scanner set there.
pub(super) fn read(sc: &mut Scanner, ctx: &mut Ctx, threads: usize, size: usize) -> Result<Resume> {
    let header = ctx.header.clone();
    let stopped = AtomicBool::new(false);
    let (jobs, queue) = sync_channel::<(usize, Arc<Chunk>)>(2 * threads);
    let queue = Mutex::new(queue);
    let (done_tx, done) = channel::<(usize, Parsed)>();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (queue, done_tx, header, stopped) = (&queue, done_tx.clone(), &header, &stopped);
            scope.spawn(move || {
                loop {
                    let job = queue
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .recv();
                    let Ok((k, chunk)) = job else { return };
                    if stopped.load(Ordering::Relaxed)
                        || done_tx.send((k, parse(&chunk.bytes, header))).is_err()
                    {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let resume = merge(sc, ctx, &jobs, &done, threads, size);
        stopped.store(true, Ordering::Relaxed);
        drop(jobs);
        resume
    })
}

/// Cuts chunks, hands them out, and passes their values on in order.
fn merge(
    sc: &mut Scanner,
    ctx: &mut Ctx,
    jobs: &SyncSender<(usize, Arc<Chunk>)>,
    done: &Receiver<(usize, Parsed)>,
    threads: usize,
    size: usize,
) -> Result<Resume> {
    let mut line = sc.line_here();
    let mut pending: VecDeque<Arc<Chunk>> = VecDeque::new();
    let mut arrived: BTreeMap<usize, Parsed> = BTreeMap::new();
    let (mut next, mut sent) = (0, 0);
    let gone = || anyhow!("internal error: a parsing thread stopped");
    loop {
        while pending.len() < 2 * threads {
            let Some(chunk) = cut(sc, size)? else { break };
            let chunk = Arc::new(chunk);
            jobs.send((sent, Arc::clone(&chunk))).map_err(|_| gone())?;
            pending.push_back(chunk);
            sent += 1;
        }
        // Nothing more cut (an object larger than a chunk): the serial reader goes on from the
        // scanner's position, the lines the workers counted known.
        let Some(chunk) = pending.pop_front() else {
            sc.line = line;
            sc.counted = sc.pos;
            return Ok(Resume::Object);
        };
        let parsed = loop {
            if let Some(p) = arrived.remove(&next) {
                break p;
            }
            let (k, p) = done.recv().map_err(|_| gone())?;
            arrived.insert(k, p);
        };
        next += 1;
        let (records, lines) = (ctx.values, line);
        parsed.values.replay(&mut *ctx.sink, |p| Place {
            record: p.record + records,
            line: p.line.map(|l| l + lines),
        })?;
        ctx.values += parsed.count;
        for (lack, more) in ctx.lacking.iter_mut().zip(parsed.lacking) {
            *lack |= more;
        }
        line += parsed.lines;
        if parsed.resume != Resume::Object || parsed.stop != chunk.bytes.len() {
            give_back(sc, &chunk, parsed.stop, &pending, line);
            return Ok(parsed.resume);
        }
    }
}

/// The next chunk: up to `size` bytes ending after a likely object boundary (the rest of the
/// input when it ends within `size`), or `None` when there is none.
fn cut(sc: &mut Scanner, size: usize) -> Result<Option<Chunk>> {
    // Lines are counted by the workers: the scanner's count restarts in `give_back`.
    while sc.buf.len() - sc.pos < size {
        sc.counted = sc.pos;
        match sc.fill(sc.pos) {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => return Err(sc.fail(e, "")),
        }
    }
    let avail = &sc.buf[sc.pos..];
    if avail.is_empty() {
        return Ok(None);
    }
    let end = if sc.eof && avail.len() <= size {
        avail.len()
    } else {
        match boundary(avail, size) {
            Some(end) => end,
            None => return Ok(None),
        }
    };
    let chunk = Chunk {
        bytes: avail[..end].to_vec(),
        base: sc.base + sc.pos as u64,
    };
    sc.pos += end;
    sc.counted = sc.pos;
    Ok(Some(chunk))
}

fn is_space(b: &u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The index after the last comma in `bytes[..limit]` that follows a `}` and precedes a `{`
/// (white space between).
fn boundary(bytes: &[u8], limit: usize) -> Option<usize> {
    let mut end = limit.min(bytes.len());
    while let Some(c) = memchr::memrchr(b',', &bytes[..end]) {
        let before = bytes[..c].iter().rposition(|b| !is_space(b));
        let after = bytes[c + 1..].iter().position(|b| !is_space(b));
        if before.map(|i| bytes[i]) == Some(b'}') && after.map(|i| bytes[c + 1 + i]) == Some(b'{') {
            return Some(c + 1);
        }
        end = c;
    }
    None
}

/// Puts the bytes from `stop` in `chunk` on (the chunks handed out after it, and what the
/// scanner still holds) back into the scanner, at line `line`.
fn give_back(
    sc: &mut Scanner,
    chunk: &Chunk,
    stop: usize,
    later: &VecDeque<Arc<Chunk>>,
    line: u64,
) {
    let rest = sc.buf.len() - sc.pos;
    let mut buf = Vec::with_capacity(
        chunk.bytes.len() - stop + later.iter().map(|c| c.bytes.len()).sum::<usize>() + rest,
    );
    buf.extend_from_slice(&chunk.bytes[stop..]);
    for c in later {
        buf.extend_from_slice(&c.bytes);
    }
    buf.extend_from_slice(&sc.buf[sc.pos..]);
    sc.buf = buf;
    sc.pos = 0;
    sc.counted = 0;
    sc.base = chunk.base + stop as u64;
    sc.line = line;
}

/// Every value as text, place included.
#[cfg(any(test, feature = "fuzzing"))]
#[derive(Default)]
struct Record(Vec<String>);

#[cfg(any(test, feature = "fuzzing"))]
impl crate::read::Sink for Record {
    fn begin_input(&mut self, _: usize, _: &str) {}
    fn data_value(&mut self, v: crate::model::DataValue<'_>) -> Result<()> {
        self.0.push(format!("{v:?}"));
        Ok(())
    }
}

/// What one read of `text` gives: the values, and the outcome or the error's text.
#[cfg(any(test, feature = "fuzzing"))]
fn read_all(text: &[u8], parallel: (usize, usize)) -> (Vec<String>, String) {
    let mut reader = std::io::BufReader::with_capacity(4096, text);
    let mut record = Record::default();
    let outcome = super::read_on(
        &mut reader,
        "t.json",
        &Header::default(),
        &mut record,
        parallel,
    );
    let end = match outcome {
        Ok(o) => format!(
            "{} values, late defaults {}, {:?}",
            o.values, o.late_defaults, o.header.period
        ),
        Err(e) => format!("error: {e:#}"),
    };
    (record.0, end)
}

/// The serial read of `data` and the parallel one (chunks of `chunk` bytes on two threads)
/// give the same values at the same places and the same end (the fuzz target
/// `json_parallel`).
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn same_in_parallel(data: &[u8], chunk: usize) {
    let serial = read_all(data, (1, CHUNK));
    let parallel = read_all(data, (2, chunk.max(1)));
    assert!(
        parallel == serial,
        "chunks of {chunk}: {} values and `{}` in parallel, {} and `{}` serially; first difference {:?}",
        parallel.0.len(),
        parallel.1,
        serial.0.len(),
        serial.1,
        parallel
            .0
            .iter()
            .zip(&serial.0)
            .position(|(a, b)| a != b)
            .map(|i| (&parallel.0[i], &serial.0[i]))
    );
}

#[cfg(test)]
mod tests {
    use super::{boundary, read_all};
    use crate::fuzzing::xorshift;

    /// Generated exports (plain objects and objects of the serde path, strings holding `},{`,
    /// line ends of every kind, deletions and comments, defaults before and after the array,
    /// broken objects and truncated files) read in chunks of many sizes on 2 and 3 threads:
    /// the same values at the same places, and the same end or error, as the serial read.
    #[test]
    fn chunks_parsed_on_several_threads_read_as_the_serial_read() {
        let spaces = ["", " ", "\n", "\r\n", "\n\n  ", "\t"];
        let objects = [
            r#"{"dataElement":"D1","period":"202401","orgUnit":"O1","value":"5"}"#,
            r#"{"dataElement":"D2","period":"202402","orgUnit":"O2","value":"1.0","deleted":"true"}"#,
            r#"{"dataElement":"D3", "orgUnit":"O3",
  "value":"},{\"x\":1},{", "comment":"a }, { b"}"#,
            r#"{"dataElement":"D4","period":"202401","orgUnit":"O1","value":12}"#,
            r#"{"dataElement":"D\u0035","period":"202401","orgUnit":"O1","value":"x"}"#,
            r#"{"dataElement":"D6","period":"202401","orgUnit":"O1","value":"é","followUp":true}"#,
            r#"{"dataElement":"D7","value":"},{"}"#,
            r#"{}"#,
        ];
        let broken = [
            r#"{"dataElement":"D8","value":}"#,
            r#"{"dataElement":"D9" "value":"1"}"#,
            "[1]",
        ];
        let mut next = xorshift(0x5bd1_e995_0000_0001u64);
        let mut parallel_runs = 0;
        for round in 0..160 {
            let mut text = String::new();
            text.push_str(if next(3) == 0 {
                "{\"period\":\"202412\",\"dataValues\":["
            } else {
                "{\"dataValues\":["
            });
            let count = if round % 40 == 39 { 3000 } else { next(60) };
            for i in 0..count {
                if i > 0 {
                    text.push_str(spaces[next(spaces.len())]);
                    text.push(',');
                }
                text.push_str(spaces[next(spaces.len())]);
                if next(400) == 0 && round % 4 == 1 {
                    text.push_str(broken[next(broken.len())]);
                } else {
                    text.push_str(objects[next(objects.len())]);
                }
            }
            text.push_str(spaces[next(spaces.len())]);
            text.push(']');
            if next(4) == 0 {
                text.push_str(",\"orgUnit\":\"LATE\"");
            }
            text.push_str("}\n");
            let mut bytes = text.into_bytes();
            if round % 10 == 7 {
                bytes.truncate(next(bytes.len().max(1)));
            }
            if round % 10 == 3 && !bytes.is_empty() {
                let at = next(bytes.len());
                bytes[at] = 0xff;
            }
            let serial = read_all(&bytes, (1, super::CHUNK));
            for (threads, chunk) in [
                (2, 16),
                (2, 61),
                (3, 200),
                (2, 1000),
                (3, 4096),
                (2, super::CHUNK),
            ] {
                let parallel = read_all(&bytes, (threads, chunk));
                parallel_runs += 1;
                assert!(
                    parallel == serial,
                    "round {round}, {threads} threads, chunks of {chunk}: {} values and `{}` in parallel, {} and `{}` serially; first difference at {:?}",
                    parallel.0.len(),
                    parallel.1,
                    serial.0.len(),
                    serial.1,
                    parallel
                        .0
                        .iter()
                        .zip(&serial.0)
                        .position(|(a, b)| a != b)
                        .map(|i| (&parallel.0[i], &serial.0[i]))
                );
            }
        }
        assert!(parallel_runs > 900);
    }

    #[test]
    fn a_cut_falls_after_a_comma_between_objects() {
        let text = br#"{"a":"1"}, {"b":"},{"}  ,
{"c":"3"}"#;
        assert_eq!(boundary(text, text.len()), Some(25));
        assert_eq!(
            boundary(text, 24),
            Some(19),
            "a `}},{{` in a string is a guess too"
        );
        assert_eq!(boundary(text, 18), Some(10));
        assert_eq!(boundary(text, 9), None);
        assert_eq!(boundary(b"{}, ", 4), None, "no object after it");
    }
}
