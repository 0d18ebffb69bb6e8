//! The JSON reader's fast path: a `dataValue` object of plain strings, booleans and nulls without
//! escapes (what DHIS2 writes), parsed straight from the read buffer. It gives the values the
//! serde path gives, or hands the object to it: a field named twice is refused by both (a
//! `fuzzing::json_paths` target feeds both the same objects).

use std::borrow::Cow;

/// The fields of one `dataValue` object.
#[derive(Default)]
pub(super) struct Fields<'a> {
    pub(super) data_element: Option<Cow<'a, str>>,
    pub(super) period: Option<Cow<'a, str>>,
    pub(super) org_unit: Option<Cow<'a, str>>,
    pub(super) category_option_combo: Option<Cow<'a, str>>,
    pub(super) attribute_option_combo: Option<Cow<'a, str>>,
    pub(super) value: Option<Cow<'a, str>>,
    pub(super) deleted: Option<Cow<'a, str>>,
    /// comment, followup, storedBy, lastUpdated.
    pub(super) audit: [Option<Cow<'a, str>>; 4],
    /// `followUp`, as 2.43 reads it (pi2de writes both spellings).
    pub(super) follow_up: Option<Cow<'a, str>>,
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

/// A string without escapes starting at `s[i] == '"'`: its text and the index after it.
pub(super) fn plain_string(s: &[u8], i: usize) -> Result<(&str, usize), Flat> {
    if s.get(i).ok_or(Flat::Short)? != &b'"' {
        return Err(Flat::Other);
    }
    let k = memchr::memchr2(b'"', b'\\', &s[i + 1..]).ok_or(Flat::Short)?;
    if s[i + 1 + k] != b'"' {
        return Err(Flat::Other);
    }
    let text = std::str::from_utf8(&s[i + 1..i + 1 + k]).map_err(|_| Flat::Other)?;
    if text.bytes().any(|b| b < 0x20) {
        return Err(Flat::Other);
    }
    Ok((text, i + 2 + k))
}

/// The fast path: an object of plain strings, booleans and nulls at the start of `s`, and the
/// number of bytes it takes.
pub(super) fn flat_object(s: &[u8]) -> Result<(Fields<'_>, usize), Flat> {
    let at = |i: usize| s.get(i).copied().ok_or(Flat::Short);
    let mut f = Fields::default();
    let mut seen = 0u16;
    let mut i = skip_ws(s, 0, &mut f.newlines);
    if at(i)? != b'{' {
        return Err(Flat::Other);
    }
    i = skip_ws(s, i + 1, &mut f.newlines);
    if at(i)? == b'}' {
        return Ok((f, i + 1));
    }
    loop {
        let (key, next) = plain_string(s, i)?;
        i = skip_ws(s, next, &mut f.newlines);
        if at(i)? != b':' {
            return Err(Flat::Other);
        }
        i = skip_ws(s, i + 1, &mut f.newlines);
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
        let value: Option<&str> = match at(i)? {
            b'"' => {
                let (text, next) = plain_string(s, i)?;
                i = next;
                Some(text)
            }
            b't' if literal(b"true", i)? => {
                i += 4;
                Some("true")
            }
            b'f' if literal(b"false", i)? => {
                i += 5;
                Some("false")
            }
            b'n' if literal(b"null", i)? => {
                i += 4;
                None
            }
            _ => return Err(Flat::Other),
        };
        // Length and first byte rule out the other keys (created, comment, …) without a
        // string comparison.
        let (bit, slot) = match (key.len(), key.as_bytes().first().copied().unwrap_or(0)) {
            (11, b'd') if key == "dataElement" => (1, &mut f.data_element),
            (6, b'p') if key == "period" => (2, &mut f.period),
            (7, b'o') if key == "orgUnit" => (4, &mut f.org_unit),
            (19, b'c') if key == "categoryOptionCombo" => (8, &mut f.category_option_combo),
            (20, b'a') if key == "attributeOptionCombo" => (16, &mut f.attribute_option_combo),
            (5, b'v') if key == "value" => (32, &mut f.value),
            (7, b'd') if key == "deleted" => (64, &mut f.deleted),
            (7, b'c') if key == "comment" => (128, &mut f.audit[0]),
            (8, b'f') if key == "followup" => (256, &mut f.audit[1]),
            (8, b'f') if key == "followUp" => (2048, &mut f.follow_up),
            (8, b's') if key == "storedBy" => (512, &mut f.audit[2]),
            (11, b'l') if key == "lastUpdated" => (1024, &mut f.audit[3]),
            _ => (0, &mut None),
        };
        // A field named twice: the serde path refuses the object, naming the field and place.
        if seen & bit != 0 {
            return Err(Flat::Other);
        }
        seen |= bit;
        *slot = value.map(Cow::Borrowed);
        i = skip_ws(s, i, &mut f.newlines);
        match at(i)? {
            b',' => i = skip_ws(s, i + 1, &mut f.newlines),
            b'}' => return Ok((f, i + 1)),
            _ => return Err(Flat::Other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn flat_objects() {
        let text = br#"{ "dataElement" : "A", "period":"202401","orgUnit":"O","value":"12.0","followup":false,"comment":null },{"#;
        let (f, len) = flat_object(text).unwrap();
        assert_eq!(
            (
                f.data_element.as_deref(),
                f.value.as_deref(),
                f.category_option_combo.as_deref()
            ),
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
        assert!(
            flat_object(br#"{"":"x","value":"1"}"#).is_ok(),
            "an empty key is just another key"
        );
    }
}
