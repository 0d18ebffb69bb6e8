//! The XML reader's fast paths, for attributes written plainly (`name="value"` or
//! `name='value'`, white space between them; no prefix; no entity, `<`, tab or line end in a
//! value, which XML would normalise; each named once): their values are then exactly what
//! quick-xml's decoding gives. [`attributes`] reads them from an element quick-xml framed;
//! [`element`] frames a whole `<dataValue …/>` itself, straight from the read buffer. Either
//! gives nothing for anything else, which then goes to quick-xml (and its errors).

/// The attributes pi2de reads, by slot (see [`slot`]).
pub(super) type Plain<'a> = [Option<&'a str>; 11];

/// The slot of an attribute pi2de reads, by its local name, and a bit of its own (`followup`
/// and `followUp` share a slot, the later one read winning, as on the decoding path).
pub(super) fn slot(local_name: &[u8]) -> Option<(usize, u16)> {
    Some(match local_name {
        b"dataElement" => (0, 1),
        b"period" => (1, 1 << 1),
        b"orgUnit" => (2, 1 << 2),
        b"categoryOptionCombo" => (3, 1 << 3),
        b"attributeOptionCombo" => (4, 1 << 4),
        b"value" => (5, 1 << 5),
        b"deleted" => (6, 1 << 6),
        b"comment" => (7, 1 << 7),
        b"followup" => (8, 1 << 8),
        b"followUp" => (8, 1 << 11),
        b"storedBy" => (9, 1 << 9),
        b"lastUpdated" => (10, 1 << 10),
        _ => return None,
    })
}

/// XML's white space.
fn space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// The bytes set in `set`, as a table to look a byte up in.
const fn table(set: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < set.len() {
        t[set[i] as usize] = true;
        i += 1;
    }
    t
}

/// The bytes that end an attribute's name on the fast path (`=` the one that may).
const NAME_ENDS: [bool; 256] = table(b"=: \t\n\r\"'<>&/");

/// The bytes that end a value's scan: either quote (the one that opened it ends it), or what
/// the fast path leaves to decoding.
const VALUE_ENDS: [bool; 256] = table(b"\"'&<\t\n\r");

/// The attributes in what follows an element's name, as quick-xml framed the element (the
/// text runs to just before its `>` or `/>`).
pub(super) fn attributes(text: &str) -> Option<Plain<'_>> {
    let (spans, ..) = spans(text.as_bytes(), false)?;
    cut(text, &spans)
}

/// A `<dataValue …/>` at the start of `b` after white space, whole in it and written plainly:
/// its attributes, the bytes up to its end, and the line ends before it and in all. This is
/// the element quick-xml would read from there (it ends at the first `>` outside quotes:
/// here, `/>`).
pub(super) fn element(b: &[u8]) -> Option<Framed<'_>> {
    let (mut i, mut newlines) = (0, 0);
    while let Some(&c) = b.get(i)
        && space(c)
    {
        newlines += u64::from(c == b'\n');
        i += 1;
    }
    let after = b.get(i..)?.strip_prefix(b"<dataValue")?;
    if !after.first().is_some_and(|&c| space(c) || c == b'/') {
        return None;
    }
    let (spans, end, inside) = spans(after, true)?;
    let text = std::str::from_utf8(&after[..end]).ok()?;
    Some(Framed {
        fields: cut(text, &spans)?,
        len: i + b"<dataValue".len() + end,
        newlines_before: newlines,
        newlines: newlines + inside,
    })
}

/// An element [`element`] framed.
pub(super) struct Framed<'a> {
    pub(super) fields: Plain<'a>,
    /// The bytes it takes, with the white space before it.
    pub(super) len: usize,
    /// The line ends in the white space before it, and in all.
    pub(super) newlines_before: u64,
    pub(super) newlines: u64,
}

/// Where each slot's value is in the text.
type Spans = [Option<(usize, usize)>; 11];

fn cut<'t>(text: &'t str, spans: &Spans) -> Option<Plain<'t>> {
    let mut out: Plain = [None; 11];
    for (out, span) in out.iter_mut().zip(spans) {
        if let Some((a, b)) = *span {
            *out = Some(text.get(a..b)?);
        }
    }
    Some(out)
}

/// The spans of the plainly written attributes in `b`, where they end (at the end of `b`, or,
/// when `closed`, just after the `/>` that follows them), and the line ends between them.
fn spans(b: &[u8], closed: bool) -> Option<(Spans, usize, u64)> {
    let mut out: Spans = [None; 11];
    let (mut seen, mut others, mut other, mut i) = (0u16, [&b""[..]; 4], 0, 0);
    let mut newlines = 0;
    loop {
        let start = i;
        while let Some(&c) = b.get(i)
            && space(c)
        {
            newlines += u64::from(c == b'\n');
            i += 1;
        }
        if closed && b.get(i) == Some(&b'/') {
            return (b.get(i + 1) == Some(&b'>')).then_some((out, i + 2, newlines));
        }
        if !closed && i == b.len() {
            return Some((out, i, newlines));
        }
        if i == start {
            return None; // no white space before an attribute
        }
        let name = i;
        i += b[i..].iter().position(|&c| NAME_ENDS[usize::from(c)])?;
        if b[i] != b'=' || i == name {
            return None;
        }
        let quote = *b.get(i + 1)?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let (key, from) = (&b[name..i], i + 2);
        let mut end = from;
        loop {
            end += b
                .get(end..)?
                .iter()
                .position(|&c| VALUE_ENDS[usize::from(c)])?;
            match b[end] {
                c if c == quote => break,
                b'"' | b'\'' => end += 1,
                _ => return None,
            }
        }
        let len = end - from;
        i = from + len + 1;
        match slot(key) {
            Some((_, bit)) if seen & bit != 0 => return None,
            Some((k, bit)) => {
                seen |= bit;
                out[k] = Some((from, from + len));
            }
            // Another attribute: remembered to refuse it named twice, up to a few.
            None if others[..other].contains(&key) || other == others.len() => return None,
            None => {
                others[other] = key;
                other += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use quick_xml::events::Event;

    use super::*;

    /// The fields an attribute path gives, as owned text.
    type Texts = Vec<Option<String>>;

    fn owned(f: &[Option<&str>]) -> Texts {
        f.iter().map(|x| x.map(str::to_string)).collect()
    }

    /// Both attribute paths on one `<dataValue …/>` element: `Some(fast)` when the fast path
    /// takes it, with what decoding gives.
    fn both(element: &str) -> (Option<Texts>, Result<Texts, String>) {
        let mut reader = quick_xml::Reader::from_str(element);
        let e = match reader.read_event() {
            Ok(Event::Empty(e)) => e,
            other => panic!("{element}: {other:?}"),
        };
        let name = e.name().as_ref().len();
        let fast = e.get(name..).and_then(attributes).map(|f| owned(&f));
        let decoded = super::super::decoded_attributes(&e, "t.xml", 0)
            .map(|f| owned(&f.iter().map(|x| x.as_deref()).collect::<Vec<_>>()))
            .map_err(|e| e.to_string());
        (fast, decoded)
    }

    #[test]
    fn the_fast_path_gives_what_decoding_gives_on_generated_elements() {
        let mut next = crate::fuzzing::xorshift(0x51_7cc1_b727_220a);
        let names = [
            "dataElement",
            "period",
            "orgUnit",
            "categoryOptionCombo",
            "value",
            "deleted",
            "comment",
            "followup",
            "followUp",
            "storedBy",
            "lastUpdated",
            "created",
            "x:value",
            "d:orgUnit",
            "attributeOptionCombo",
        ];
        let values = [
            "Pi0001",
            "202401",
            "12.0",
            "",
            "été €",
            "a&amp;b",
            "a\tb",
            "line\nend",
            "1 > 0",
            "x&lt;y",
            "it's",
            "say \"hi\"",
            "  padded  ",
        ];
        let (mut fast_taken, mut framed, mut rounds) = (0, 0, 0);
        for _ in 0..5_000 {
            let mut element = String::from("<dataValue");
            for _ in 0..next(8) {
                let (name, value) = (names[next(names.len())], values[next(values.len())]);
                let quote = if value.contains('"') || next(4) == 0 {
                    '\''
                } else {
                    '"'
                };
                if value.contains(quote) {
                    continue;
                }
                let space = [" ", "  ", "\n  ", "\t"][next(4)];
                element.push_str(&format!("{space}{name}={quote}{value}{quote}"));
            }
            element.push_str(["/>", " />", "\n/>"][next(3)]);
            rounds += 1;
            let (fast, decoded) = both(&element);
            // Framed here, the element gives what the attributes of quick-xml's element give,
            // and ends where it does.
            let here = super::element(element.as_bytes());
            framed += usize::from(here.is_some());
            assert_eq!(
                here.map(|f| (owned(&f.fields), f.len, f.newlines)),
                fast.clone()
                    .map(|f| (f, element.len(), crate::read::newlines(element.as_bytes()))),
                "{element}"
            );
            if let Some(fast) = fast {
                fast_taken += 1;
                assert_eq!(Ok(fast), decoded, "{element}");
            }
        }
        assert!(
            fast_taken * 5 > rounds && framed == fast_taken,
            "the fast path is taken often: {fast_taken} of {rounds}"
        );
        // What it leaves to decoding: entities, white space to normalise, prefixes, names
        // given twice, attributes run together.
        for element in [
            r#"<dataValue value="a&amp;b"/>"#,
            "<dataValue value=\"a\tb\"/>",
            r#"<dataValue x:value="1"/>"#,
            r#"<dataValue value="1" value="2"/>"#,
            r#"<dataValue created="1" created="2"/>"#,
            r#"<dataValue period="1"value="2"/>"#,
        ] {
            assert_eq!(both(element).0, None, "{element}");
            assert!(super::element(element.as_bytes()).is_none(), "{element}");
        }
        let (fast, _) = both(r#"<dataValue followup="true" followUp="false" value='1'/>"#);
        let fast = fast.expect("plain");
        assert_eq!(
            (fast[8].as_deref(), fast[5].as_deref()),
            (Some("false"), Some("1"))
        );
    }

    #[test]
    fn an_element_is_framed_only_when_whole_and_empty() {
        let whole = "\n  \r\n<dataValue value=\"1 > 0\" period='202401'/>  <dataValue/>";
        let f = element(whole.as_bytes()).expect("plain");
        assert_eq!(
            (f.fields[5], f.fields[1], f.newlines_before, f.newlines),
            (Some("1 > 0"), Some("202401"), 2, 2)
        );
        assert_eq!(&whole[f.len..], "  <dataValue/>");
        for other in [
            // Cut short at every byte: the buffer ends inside it.
            &whole[..whole.len() - 16],
            &whole[..20],
            "<dataValue value=\"1\">",
            "<dataValue value=\"1\"></dataValue>",
            "<dataValueSet/>",
            "<d:dataValue value=\"1\"/>",
            "text<dataValue/>",
            "<!-- <dataValue/> -->",
            "<dataValue value=\"1\"/ >",
            "<dataValue value=\"\u{fffd}\x7f\"\x00/>",
        ] {
            assert!(element(other.as_bytes()).is_none(), "{other:?}");
        }
        for end in 0..whole.len() - 14 {
            assert!(element(&whole.as_bytes()[..end]).is_none(), "cut at {end}");
        }
        assert!(
            element(b"<dataValue value=\"\xff\"/>").is_none(),
            "not UTF-8"
        );
    }
}
