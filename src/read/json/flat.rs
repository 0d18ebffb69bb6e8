//! The JSON reader's fast path: a `dataValue` object of plain strings, booleans and nulls without
//! escapes (what DHIS2 writes), parsed straight from the read buffer. It gives the values the
//! serde path gives, or hands the object to it: a field named twice is refused by both (a
//! `fuzzing::json_paths` target feeds both the same objects). The keys are expected where the
//! objects before had them ([`Shape`]), and checked by comparing words; a key elsewhere is
//! scanned.

/// The fields of one `dataValue` object.
#[derive(Default, Debug, PartialEq)]
pub(super) struct Fields<'a> {
    pub(super) data_element: Option<&'a str>,
    pub(super) period: Option<&'a str>,
    pub(super) org_unit: Option<&'a str>,
    pub(super) category_option_combo: Option<&'a str>,
    pub(super) attribute_option_combo: Option<&'a str>,
    pub(super) value: Option<&'a str>,
    pub(super) deleted: Option<&'a str>,
    /// comment, followup, storedBy, lastUpdated.
    pub(super) audit: [Option<&'a str>; 4],
    /// `followUp`, as 2.43 reads it (pi2de writes both spellings).
    pub(super) follow_up: Option<&'a str>,
    /// The line ends inside the object (the fast path only: in white space, as a plain
    /// string holds none).
    pub(super) newlines: u64,
}

/// The index of the first byte from `i` that is not white space; the line ends skipped are
/// added to `newlines`.
pub(super) fn skip_ws(s: &[u8], mut i: usize, newlines: &mut u64) -> usize {
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r') {
        *newlines += u64::from(s[i] == b'\n');
        i += 1;
    }
    i
}

/// Why the fast path did not parse an object.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Flat {
    /// The buffer ends inside the object: read more and try again.
    Short,
    /// Something the fast path does not handle (numbers, escapes, nesting, bad syntax).
    Other,
}

/// A string without escapes, control characters or line ends starting at `s[i] == '"'`: the
/// span of its text and the index after it. The bytes are checked for UTF-8 with the whole
/// object, once ([`flat_object`]).
fn plain_string(s: &[u8], i: usize) -> Result<((usize, usize), usize), Flat> {
    if s.get(i).ok_or(Flat::Short)? != &b'"' {
        return Err(Flat::Other);
    }
    // One pass, eight bytes at a time, then byte by byte.
    let start = i + 1;
    let mut k = start;
    while let Some(word) = s.get(k..k + 8) {
        let word = u64::from_le_bytes(word.try_into().map_err(|_| Flat::Other)?);
        let found = stops(word);
        if found != 0 {
            k += found.trailing_zeros() as usize / 8;
            break;
        }
        k += 8;
    }
    while let Some(&b) = s.get(k) {
        match b {
            b'"' => return Ok(((start, k), k + 1)),
            b'\\' | 0..=0x1f => return Err(Flat::Other),
            _ => k += 1,
        }
    }
    Err(Flat::Short)
}

/// The bytes of `word` (little-endian) that end a plain string's scan (`"`, `\`, a control
/// character), each as its high bit. Above the first such byte a bit may be set wrongly (a
/// borrow), never below it: the lowest bit set is the first stop.
fn stops(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |v: u64, n: u8| v.wrapping_sub(ONES * u64::from(n)) & !v & HIGH;
    below(word ^ (ONES * u64::from(b'"')), 1)
        | below(word ^ (ONES * u64::from(b'\\')), 1)
        | below(word, 0x20)
}

/// Where a field's text is in the object: a string's inside, a literal (`true`, `false`)
/// itself; [`NULL`] for `null`.
type Span = (usize, usize);

/// The span of a field that is `null` or absent (no text starts at the object's first byte).
const NULL: Span = (0, 0);

/// The keys the fast path keeps, in the order of [`Fields`]' slots (see [`slot`]).
const KEPT: usize = 12;

/// The slot of a key (`None`: a key that is not kept), found by length and first byte before
/// the bytes are compared.
fn slot(key: &[u8]) -> Option<usize> {
    // Each comparison of a length known here (no call to compare bytes).
    let slot = match (key.len(), key.first().copied().unwrap_or(0)) {
        (11, b'd') if key == b"dataElement" => 0,
        (6, b'p') if key == b"period" => 1,
        (7, b'o') if key == b"orgUnit" => 2,
        (19, b'c') if key == b"categoryOptionCombo" => 3,
        (20, b'a') if key == b"attributeOptionCombo" => 4,
        (5, b'v') if key == b"value" => 5,
        (7, b'd') if key == b"deleted" => 6,
        (7, b'c') if key == b"comment" => 7,
        (8, b'f') if key == b"followup" => 8,
        (8, b's') if key == b"storedBy" => 9,
        (11, b'l') if key == b"lastUpdated" => 10,
        (8, b'f') if key == b"followUp" => 11,
        _ => return None,
    };
    Some(slot)
}

/// The keys of the objects before, in order, each as written (its quotes and the colon right
/// after) with its slot: DHIS2 writes every object's keys in one order, so a key where the one
/// of the object before was is matched by comparing bytes, without a scan or a lookup. Only a
/// guess: a key that differs is scanned and takes that place.
#[derive(Default)]
pub(super) struct Shape {
    keys: Vec<Known>,
}

/// A key remembered: as written, its slot, and the eight-byte words it is compared by.
struct Known {
    written: Vec<u8>,
    slot: Option<usize>,
    /// The first eight bytes, the next eight and the last eight (they may overlap).
    words: [u64; 3],
}

/// Keys remembered per object.
const SHAPED: usize = 16;

impl Known {
    /// Becomes `written` with `slot`, in place (objects of two shapes in turn relearn a key
    /// each time).
    fn set(&mut self, written: &[u8], slot: Option<usize>) {
        self.written.clear();
        self.written.extend_from_slice(written);
        self.words = words(written).unwrap_or_default();
        self.slot = slot;
    }

    /// Whether `bytes` (as long as the key) are the key: by two or three word comparisons
    /// when it is 8 to 24 bytes long (a call to compare bytes costs more than the scan).
    #[inline]
    fn is(&self, bytes: &[u8]) -> bool {
        match (words(bytes), self.written.len()) {
            (Some(w), 8..=16) => w[0] == self.words[0] && w[2] == self.words[2],
            (Some(w), 17..=24) => w == self.words,
            _ => bytes == self.written,
        }
    }
}

/// The first eight bytes of `b`, the eight after them and its last eight; `None` when it is
/// shorter than eight.
#[inline]
fn words(b: &[u8]) -> Option<[u64; 3]> {
    let word = |w: Option<&[u8; 8]>| w.map(|w| u64::from_le_bytes(*w));
    let first = word(b.first_chunk())?;
    let last = word(b.last_chunk())?;
    let second = word(b.get(8..).and_then(<[u8]>::first_chunk)).unwrap_or(last);
    Some([first, second, last])
}

impl Shape {
    /// The slot of the key remembered at place `n` of an object, when `s[i..]` starts with it,
    /// and the index after its colon.
    #[inline]
    fn matched(&self, n: usize, s: &[u8], i: usize) -> Option<(Option<usize>, usize)> {
        let known = self.keys.get(n)?;
        let end = i + known.written.len();
        known.is(s.get(i..end)?).then_some((known.slot, end))
    }

    /// `written` (a plain key, its quotes and colon) is the key at place `n`.
    fn learn(&mut self, n: usize, written: &[u8], slot: Option<usize>) {
        if n == self.keys.len() && n < SHAPED {
            self.keys.push(Known {
                written: Vec::new(),
                slot: None,
                words: [0; 3],
            });
        }
        if let Some(known) = self.keys.get_mut(n) {
            known.set(written, slot);
        }
    }
}

/// The fast path: an object of plain strings, booleans and nulls at the start of `s`, and the
/// number of bytes it takes.
#[cfg(any(test, feature = "fuzzing"))]
pub(super) fn flat_object(s: &[u8]) -> Result<(Fields<'_>, usize), Flat> {
    flat_object_shaped(s, &mut Shape::default())
}

/// [`flat_object`], its keys matched against `shape` first and learnt into it.
pub(super) fn flat_object_shaped<'s>(
    s: &'s [u8],
    shape: &mut Shape,
) -> Result<(Fields<'s>, usize), Flat> {
    let mut spans: [Span; KEPT] = [NULL; KEPT];
    let mut newlines = 0;
    let len = scan_object(s, shape, &mut spans, &mut newlines)?;
    // Every byte of the object checked as UTF-8 at once (a string of it holds no byte
    // outside it): its texts are then cut from it by their spans.
    let text = std::str::from_utf8(&s[..len]).map_err(|_| Flat::Other)?;
    let cut = |i: usize| -> Result<Option<&str>, Flat> {
        match spans[i] {
            NULL => Ok(None),
            (a, b) => text.get(a..b).ok_or(Flat::Other).map(Some),
        }
    };
    let fields = Fields {
        data_element: cut(0)?,
        period: cut(1)?,
        org_unit: cut(2)?,
        category_option_combo: cut(3)?,
        attribute_option_combo: cut(4)?,
        value: cut(5)?,
        deleted: cut(6)?,
        audit: [cut(7)?, cut(8)?, cut(9)?, cut(10)?],
        follow_up: cut(11)?,
        newlines,
    };
    Ok((fields, len))
}

/// A key and its colon at `s[i]`: its slot and the index after the colon. The key is scanned
/// unless `shape` remembers it at place `n`; a scanned key is learnt.
#[inline]
fn key_at(
    s: &[u8],
    i: usize,
    n: usize,
    shape: &mut Shape,
    newlines: &mut u64,
) -> Result<(Option<usize>, usize), Flat> {
    if let Some(known) = shape.matched(n, s, i) {
        return Ok(known);
    }
    let (key, next) = plain_string(s, i)?;
    let colon = skip_ws(s, next, newlines);
    if s.get(colon).copied().ok_or(Flat::Short)? != b':' {
        return Err(Flat::Other);
    }
    let k = slot(&s[key.0..key.1]);
    if colon == next {
        shape.learn(n, &s[i..=colon], k);
    }
    Ok((k, colon + 1))
}

/// Frames the object at the start of `s`, noting where the kept fields' texts are: the
/// number of bytes it takes.
fn scan_object(
    s: &[u8],
    shape: &mut Shape,
    spans: &mut [Span; KEPT],
    newlines: &mut u64,
) -> Result<usize, Flat> {
    let at = |i: usize| s.get(i).copied().ok_or(Flat::Short);
    let mut seen = 0u16;
    let mut i = skip_ws(s, 0, newlines);
    if at(i)? != b'{' {
        return Err(Flat::Other);
    }
    i = skip_ws(s, i + 1, newlines);
    if at(i)? == b'}' {
        return Ok(i + 1);
    }
    let mut n = 0;
    loop {
        let (k, next) = key_at(s, i, n, shape, newlines)?;
        n += 1;
        i = skip_ws(s, next, newlines);
        let literal = |word: &[u8], i: usize| -> Result<bool, Flat> {
            let rest = &s[i..];
            if rest.len() < word.len() {
                return if word.starts_with(rest) {
                    Err(Flat::Short)
                } else {
                    Ok(false)
                };
            }
            Ok(rest.starts_with(word))
        };
        let value: Span = match at(i)? {
            b'"' => {
                let (span, next) = plain_string(s, i)?;
                i = next;
                span
            }
            b't' if literal(b"true", i)? => {
                i += 4;
                (i - 4, i)
            }
            b'f' if literal(b"false", i)? => {
                i += 5;
                (i - 5, i)
            }
            b'n' if literal(b"null", i)? => {
                i += 4;
                NULL
            }
            _ => return Err(Flat::Other),
        };
        if let Some(k) = k {
            // A field named twice: the serde path refuses the object, naming the field and
            // place.
            if seen & (1 << k) != 0 {
                return Err(Flat::Other);
            }
            seen |= 1 << k;
            spans[k] = value;
        }
        i = skip_ws(s, i, newlines);
        match at(i)? {
            b',' => i = skip_ws(s, i + 1, newlines),
            b'}' => return Ok(i + 1),
            _ => return Err(Flat::Other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scan's rule, byte by byte: where a plain string starting after `s[0] == '"'` ends.
    fn model(s: &[u8]) -> Result<((usize, usize), usize), Flat> {
        match s[1..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        {
            None => Err(Flat::Short),
            Some(k) if s[1 + k] == b'"' => Ok(((1, 1 + k), 2 + k)),
            Some(_) => Err(Flat::Other),
        }
    }

    #[test]
    fn plain_strings_end_where_the_byte_rule_says_on_generated_text() {
        let mut next = crate::fuzzing::xorshift(0x9e37_79b9_7f4a_7c15);
        // Mostly plain bytes (ASCII and UTF-8 lead and continuation bytes), sometimes a stop,
        // at every distance from the start so that each lane of the eight-byte scan is met.
        let alphabet: Vec<u8> = (0x20..0x7f)
            .chain([0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xff])
            .collect();
        let enders = [b'"', b'\\', 0x00, 0x09, 0x0a, 0x1f];
        for round in 0..20_000 {
            let len = next(40);
            let mut s = vec![b'"'];
            for _ in 0..len {
                let b = if next(12) == 0 {
                    enders[next(enders.len())]
                } else {
                    alphabet[next(alphabet.len())]
                };
                s.push(b);
            }
            if round % 3 == 0 {
                s.push(b'"');
            }
            assert_eq!(
                plain_string(&s, 0),
                model(&s),
                "{:?}",
                String::from_utf8_lossy(&s)
            );
        }
        for word in 0..=255u8 {
            let bytes = [word; 8];
            let want = (word == b'"' || word == b'\\' || word < 0x20) as u32 * 0x80;
            assert_eq!(
                stops(u64::from_le_bytes(bytes)) & 0xff,
                u64::from(want),
                "{word:#x}"
            );
        }
    }

    #[test]
    pub(super) fn flat_objects() {
        let text = br#"{ "dataElement" : "A", "period":"202401","orgUnit":"O","value":"12.0","followup":false,"comment":null },{"#;
        let (f, len) = flat_object(text).unwrap();
        assert_eq!(
            (f.data_element, f.value, f.category_option_combo),
            (Some("A"), Some("12.0"), None)
        );
        assert_eq!(&text[len..], b",{", "stops after the object");
        assert_eq!(
            flat_object(br#"{"value":12}"#).err(),
            Some(Flat::Other),
            "numbers take the serde path"
        );
        assert_eq!(
            flat_object(br#"{"value":"a\"b"}"#).err(),
            Some(Flat::Other),
            "escapes take the serde path"
        );
        assert_eq!(
            flat_object(br#"{"value":{"a":1}}"#).err(),
            Some(Flat::Other)
        );
        assert_eq!(
            flat_object(br#"{"value":"1","follow"#).err(),
            Some(Flat::Short)
        );
        assert_eq!(flat_object(br#"{"followup":fal"#).err(), Some(Flat::Short));
        assert_eq!(flat_object(br#"{"followup":fax}"#).err(), Some(Flat::Other));
        assert_eq!(flat_object(b"{}").map(|(_, n)| n), Ok(2));
        for not_utf8 in [
            &b"{\"value\":\"a\xffb\"}"[..],
            b"{\"cr\xc3eated\":\"1\"}",
            b"{\"value\":\"\xe2\x82\"}",
        ] {
            assert_eq!(
                flat_object(not_utf8).err(),
                Some(Flat::Other),
                "not UTF-8 (in a kept field, in a key that is not): the serde path says where"
            );
        }
        let (f, _) = flat_object("{\"comment\":\"été €\",\"followUp\":true}".as_bytes()).unwrap();
        assert_eq!((f.audit[0], f.follow_up), (Some("été €"), Some("true")));
        assert!(
            flat_object(br#"{"":"x","value":"1"}"#).is_ok(),
            "an empty key is just another key"
        );
        // The keys remembered from the objects before: met again where they were, or not.
        let mut shape = Shape::default();
        let objects: [&[u8]; 5] = [
            b"{\"value\"\n:\"1\",\"period\":\"2024\"}",
            b"{\"value\"\n:\"2\",\"period\":\"2025\"}",
            b"{\"period\":\"2026\",\"value\":\"3\"}",
            b"{\"period\":\"2027\",\"value\":\"4\",\"orgUnit\":\"O\"}",
            b"{\"periods\":\"x\",\"value\":\"5\"}",
        ];
        for object in objects.into_iter().cycle().take(12) {
            assert_eq!(
                flat_object_shaped(object, &mut shape),
                flat_object(object),
                "{}",
                String::from_utf8_lossy(object)
            );
        }
        // Cut short anywhere, with the keys remembered: what it gives alone (`Short` mostly).
        for end in 0..objects[3].len() {
            let cut = &objects[3][..end];
            assert_eq!(
                flat_object_shaped(cut, &mut shape),
                flat_object(cut),
                "{end}"
            );
        }
        let (f, _) = flat_object_shaped(objects[1], &mut shape).unwrap();
        assert_eq!((f.value, f.newlines), (Some("2"), 1), "a line end counted");
    }
}
