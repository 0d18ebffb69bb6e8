//! Runs a sink on its own thread: the reader fills batches of values (one text buffer per
//! batch, no allocation per value) and sends them over a bounded channel, so reading and the
//! conversion rules use both cores; each batch replayed comes back to be filled again.

use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};

use anyhow::{Result, anyhow, ensure};

use crate::model::{DataValue, Place};
use crate::read::Sink;

/// Values per batch.
const BATCH: usize = 4096;
/// Batches in flight.
const IN_FLIGHT: usize = 8;

/// A value whose fields are spans of its batch's text.
#[derive(Clone, Copy)]
struct Packed {
    fields: [(u32, u32); 5],
    value: Option<(u32, u32)>,
    deleted: bool,
    audit: [Option<(u32, u32)>; 4],
    place: Place,
}

#[derive(Default)]
struct Batch {
    text: String,
    values: Vec<Packed>,
}

enum Message {
    Begin(usize, String),
    Batch(Batch),
    /// The read starts again (late JSON defaults): a fresh sink.
    Reset,
}

impl Batch {
    /// Appends a text; the value it belongs to [`Batch::fits`], so the offsets are under 4 GiB.
    fn push(&mut self, s: &str) -> (u32, u32) {
        let start = self.text.len() as u32;
        self.text.push_str(s);
        (start, s.len() as u32)
    }

    /// Empty, its buffers kept for the next values.
    fn cleared(mut self) -> Batch {
        self.text.clear();
        self.values.clear();
        self
    }

    /// Whether `v`'s texts fit beside the batch's (offsets stay under 4 GiB).
    fn fits(&self, v: &DataValue<'_>) -> bool {
        let size = [
            v.data_element,
            v.period,
            v.org_unit,
            v.category_option_combo,
            v.attribute_option_combo,
        ]
        .iter()
        .map(|t| t.len())
        .sum::<usize>()
            + v.value.map_or(0, str::len)
            + v.audit
                .fields()
                .iter()
                .flatten()
                .map(|t| t.len())
                .sum::<usize>();
        self.text.len() + size <= u32::MAX as usize
    }

    /// Appends a value that [`Batch::fits`].
    fn add(&mut self, v: &DataValue<'_>) {
        let texts = [
            v.data_element,
            v.period,
            v.org_unit,
            v.category_option_combo,
            v.attribute_option_combo,
        ];
        let fields = texts.map(|t| self.push(t));
        let value = v.value.map(|s| self.push(s));
        let audit = v.audit.fields().map(|t| t.map(|s| self.push(s)));
        self.values.push(Packed {
            fields,
            value,
            deleted: v.deleted,
            audit,
            place: v.place,
        });
    }

    /// Feeds the batch's values to `sink`, each place as `place` makes it.
    fn replay(&self, sink: &mut dyn Sink, place: impl Fn(Place) -> Place) -> Result<()> {
        let text = |(s, n): (u32, u32)| &self.text[s as usize..(s + n) as usize];
        for p in &self.values {
            sink.data_value(DataValue {
                data_element: text(p.fields[0]),
                period: text(p.fields[1]),
                org_unit: text(p.fields[2]),
                category_option_combo: text(p.fields[3]),
                attribute_option_combo: text(p.fields[4]),
                value: p.value.map(text),
                deleted: p.deleted,
                audit: crate::model::Audit::from_fields(p.audit.map(|t| t.map(text))),
                place: place(p.place),
            })?;
        }
        Ok(())
    }
}

/// A [`Sink`] that keeps what it receives in one batch, to be replayed elsewhere (a chunk of
/// an export parsed on another thread: [`crate::read`]'s parallel JSON reader).
#[derive(Default)]
pub struct Collector {
    batch: Batch,
}

impl Collector {
    /// The values collected.
    pub fn len(&self) -> usize {
        self.batch.values.len()
    }

    /// Feeds what was collected to `sink`, each place as `place` makes it.
    pub fn replay(&self, sink: &mut dyn Sink, place: impl Fn(Place) -> Place) -> Result<()> {
        self.batch.replay(sink, place)
    }
}

impl Sink for Collector {
    fn begin_input(&mut self, _: usize, _: &str) {}

    fn data_value(&mut self, v: DataValue<'_>) -> Result<()> {
        ensure!(
            self.batch.fits(&v),
            "{}: over 4 GiB of text in one chunk",
            v.place
        );
        self.batch.add(&v);
        Ok(())
    }
}

/// The reading side: a [`Sink`] that sends what it receives to the other thread.
pub struct Sender {
    tx: SyncSender<Message>,
    batch: Batch,
    /// Batches the other thread has replayed, sent back to be filled again (fresh ones each
    /// time cost their growth and page faults).
    spent: Arc<Mutex<Receiver<Batch>>>,
}

impl Sender {
    fn send(&mut self, m: Message) -> Result<()> {
        self.tx
            .send(m)
            .map_err(|_| anyhow!("the conversion stopped"))
    }

    /// Sends what is pending.
    pub fn flush(&mut self) -> Result<()> {
        if !self.batch.values.is_empty() {
            let spent = self.spent.lock().ok().and_then(|r| r.try_recv().ok());
            let batch = std::mem::replace(&mut self.batch, spent.unwrap_or_default());
            self.send(Message::Batch(batch))?;
        }
        Ok(())
    }
}

impl Sink for Sender {
    fn begin_input(&mut self, index: usize, path: &str) {
        // A failed send means the other side stopped; its error is reported when it is joined.
        let _ = self.flush();
        let _ = self.send(Message::Begin(index, path.to_string()));
    }

    fn data_value(&mut self, v: DataValue<'_>) -> Result<()> {
        if !self.batch.fits(&v) {
            self.flush()?;
            ensure!(self.batch.fits(&v), "{}: one value of over 4 GiB", v.place);
        }
        self.batch.add(&v);
        if self.batch.values.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }
}

/// Feeds every message to a sink made by `make`, making a new one on a reset; each batch
/// replayed goes back to the reader through `spent`.
fn receive<S: Sink>(
    rx: Receiver<Message>,
    spent: std::sync::mpsc::Sender<Batch>,
    mut make: impl FnMut() -> S,
) -> Result<S> {
    let mut sink = make();
    for message in rx {
        match message {
            Message::Begin(i, path) => sink.begin_input(i, &path),
            Message::Reset => sink = make(),
            Message::Batch(b) => {
                b.replay(&mut sink, |p| p)?;
                // The reader may have finished: then the batch is only dropped.
                let _ = spent.send(b.cleared());
            }
        }
    }
    Ok(sink)
}

/// Runs `read` (which feeds the senders it makes) on this thread and the sinks made by `make`
/// on another; returns what `read` returned and the last sink.
pub fn run<S: Sink + Send, T>(
    make: impl FnMut() -> S + Send,
    read: impl FnOnce(&mut dyn FnMut() -> Sender) -> Result<(Sender, T)>,
) -> Result<(S, T)> {
    let (tx, rx) = sync_channel(IN_FLIGHT);
    let (back, spent) = channel();
    let spent = Arc::new(Mutex::new(spent));
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || receive(rx, back, make));
        let mut first = true;
        let mut new_sender = || {
            if !first {
                let _ = tx.send(Message::Reset);
            }
            first = false;
            Sender {
                tx: tx.clone(),
                batch: Batch::default(),
                spent: Arc::clone(&spent),
            }
        };
        let read_result = read(&mut new_sender).and_then(|(mut sender, t)| {
            sender.flush()?;
            Ok(t)
        });
        drop(tx);
        let sink = worker
            .join()
            .map_err(|_| anyhow!("internal error: the conversion thread stopped"))?;
        // The reader's error comes first: a sink error is then only its consequence.
        let t = read_result?;
        Ok((sink?, t))
    })
}
