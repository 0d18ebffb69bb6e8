//! Typed ids: an interned [`Id`], the five-id [`Key`] of a data value (and [`KeyText`], the
//! same as text at the edges), the [`Source`] it came
//! from, the [`Interner`] that owns the text (and [`PerId`], what
//! was found for each id), the [`IdScheme`] of ids in a payload, and the
//! [`DataSetId`] a payload names.

use std::fmt;

use rustc_hash::FxHashMap;

/// An interned id (data element, period, org unit, combo, data set). `Id::EMPTY` is the empty
/// string (a blank COC/AOC: the default combo).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Id(u32);

impl Id {
    pub const EMPTY: Id = Id(0);

    pub fn is_empty(self) -> bool {
        self == Id::EMPTY
    }

    /// The id's number, from 0 (the blank id) to [`Interner::len`].
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The id's number as stored on disk ([`Id::from_bits`] reads it back).
    pub fn bits(self) -> u32 {
        self.0
    }

    pub fn from_bits(bits: u32) -> Id {
        Id(bits)
    }
}

/// What was found for each interned id, kept by the id's number: a lookup by text made once
/// per distinct id, then read by index (the pre-flight's and validation's per-value lookups).
#[derive(Debug, Clone)]
pub struct PerId<T>(Vec<Option<T>>);

impl<T> Default for PerId<T> {
    fn default() -> Self {
        PerId(Vec::new())
    }
}

impl<T: Copy> PerId<T> {
    /// What is kept for `id`, found by `find` the first time.
    pub fn get_or_find(&mut self, id: Id, find: impl FnOnce() -> T) -> T {
        let i = id.index();
        if self.0.len() <= i {
            self.0.resize(i + 1, None);
        }
        *self.0[i].get_or_insert_with(find)
    }
}

/// The identity of a value in DHIS2: data element, period, org unit, category option combo,
/// attribute option combo (as written in the output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Key {
    pub data_element: Id,
    pub period: Id,
    pub org_unit: Id,
    pub category_option_combo: Id,
    pub attribute_option_combo: Id,
}

impl Key {
    /// The five ids in DHIS2's order: data element, period, org unit, category option combo,
    /// attribute option combo (the order of [`KeyText::fields`]).
    pub fn ids(&self) -> [Id; 5] {
        [
            self.data_element,
            self.period,
            self.org_unit,
            self.category_option_combo,
            self.attribute_option_combo,
        ]
    }
}

/// The five-id key as text, at the edges: what pi2de writes, reads back (`--previous`,
/// `compare`) and reports. Inside a conversion the key is a [`Key`] of interned ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyText {
    pub data_element: String,
    pub period: String,
    pub org_unit: String,
    /// Blank: the default combo.
    pub category_option_combo: String,
    pub attribute_option_combo: String,
}

impl KeyText {
    /// The key with its default combos written blank, as pi2de writes them.
    pub fn with_blank_defaults(mut self) -> KeyText {
        for c in [
            &mut self.category_option_combo,
            &mut self.attribute_option_combo,
        ] {
            let blank = combo_as_written(c).is_empty();
            if blank {
                c.clear();
            }
        }
        self
    }

    /// The ids in the order of DHIS2's CSV columns.
    pub fn fields(&self) -> [&str; 5] {
        [
            &self.data_element,
            &self.period,
            &self.org_unit,
            &self.category_option_combo,
            &self.attribute_option_combo,
        ]
    }

    /// The text of an interned key.
    pub fn of(ids: &Interner, k: &Key) -> KeyText {
        KeyText {
            data_element: ids.get(k.data_element).to_string(),
            period: ids.get(k.period).to_string(),
            org_unit: ids.get(k.org_unit).to_string(),
            category_option_combo: ids.get(k.category_option_combo).to_string(),
            attribute_option_combo: ids.get(k.attribute_option_combo).to_string(),
        }
    }
}

impl fmt::Display for KeyText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.data_element, self.period, self.org_unit)?;
        if !self.category_option_combo.is_empty() {
            write!(f, " coc={}", self.category_option_combo)?;
        }
        if !self.attribute_option_combo.is_empty() {
            write!(f, " aoc={}", self.attribute_option_combo)?;
        }
        Ok(())
    }
}

/// What a value was exported as: the source item (program indicator), its COC and AOC, and its
/// org unit before translation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Source {
    pub data_element: Id,
    pub category_option_combo: Id,
    pub attribute_option_combo: Id,
    pub org_unit: Id,
}

/// The UID DHIS2 gives its default category option combo when it creates it.
pub const DEFAULT_COMBO_UID: &str = "HllvX50cXC0";

/// A combo as an export may write the default one (blank, its code `default`, its UID): blank
/// for the default, else the id trimmed. pi2de writes the default blank.
pub fn combo_as_written(c: &str) -> &str {
    let c = c.trim();
    if c == "default" || c == DEFAULT_COMBO_UID {
        ""
    } else {
        c
    }
}

/// The UID DHIS2 gives its default category combo.
pub const DEFAULT_CATEGORY_COMBO_UID: &str = "bjDvmb4bfuf";

/// Interns the ids that repeat, so that a key costs 20 bytes.
#[derive(Debug, Clone)]
pub struct Interner {
    ids: FxHashMap<Box<str>, Id>,
    names: Vec<Box<str>>,
}

impl Default for Interner {
    fn default() -> Self {
        let mut ids = FxHashMap::default();
        ids.insert("".into(), Id::EMPTY);
        Interner {
            ids,
            names: vec!["".into()],
        }
    }
}

/// What was found for the text of the call before at one place: an export's values come grouped
/// by org unit and period, so the next text there is most often the same, and comparing it costs
/// less than hashing it.
pub struct Recent<V> {
    text: String,
    /// `None` until a text is found.
    found: Option<V>,
}

impl<V> Default for Recent<V> {
    fn default() -> Self {
        Recent {
            text: String::new(),
            found: None,
        }
    }
}

impl<V: Clone> Recent<V> {
    /// `find(s)`, called only when `s` is not the text of the call before.
    #[inline]
    pub fn get_or(&mut self, s: &str, find: impl FnOnce(&str) -> V) -> V {
        if let Some(found) = &self.found
            && s == self.text
        {
            return found.clone();
        }
        let found = find(s);
        self.text.clear();
        self.text.push_str(s);
        self.found = Some(found.clone());
        found
    }
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> Id {
        if s.is_empty() {
            return Id::EMPTY;
        }
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        // More distinct ids than u32 can count cannot fit in memory first; saturating is safe.
        let id = Id(u32::try_from(self.names.len()).unwrap_or(u32::MAX));
        self.names.push(s.into());
        self.ids.insert(s.into(), id);
        id
    }

    /// How many ids are interned, the blank one included.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The id of `s` if it was interned.
    pub fn find(&self, s: &str) -> Option<Id> {
        self.ids.get(s).copied()
    }

    pub fn get(&self, id: Id) -> &str {
        &self.names[id.0 as usize]
    }

    /// The interned key of `k`; `None` when one of its ids was never interned (then nothing
    /// was read for it).
    pub fn key_of(&self, k: &KeyText) -> Option<Key> {
        Some(Key {
            data_element: self.find(&k.data_element)?,
            period: self.find(&k.period)?,
            org_unit: self.find(&k.org_unit)?,
            category_option_combo: self.find(&k.category_option_combo)?,
            attribute_option_combo: self.find(&k.attribute_option_combo)?,
        })
    }
}

/// How the ids of one kind are written in a payload (DHIS2's `IdScheme`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IdScheme {
    Uid,
    Code,
    Name,
    /// `ATTRIBUTE:<attribute uid>`.
    Attribute(String),
    /// A name DHIS2 does not know, kept (upper-cased) as a payload declared it.
    Other(String),
}

impl IdScheme {
    /// Reads `code`, `UID`, `id` (= UID), `name`, `attribute:abc` (the attribute UID keeps its
    /// case); `None` for blank text.
    pub fn parse(s: &str) -> Option<IdScheme> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        Some(match s.split_once(':') {
            Some((kind, uid)) if kind.eq_ignore_ascii_case("attribute") => {
                IdScheme::Attribute(uid.to_string())
            }
            _ if s.eq_ignore_ascii_case("id") || s.eq_ignore_ascii_case("uid") => IdScheme::Uid,
            _ if s.eq_ignore_ascii_case("code") => IdScheme::Code,
            _ if s.eq_ignore_ascii_case("name") => IdScheme::Name,
            _ => IdScheme::Other(s.to_ascii_uppercase()),
        })
    }
}

impl fmt::Display for IdScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdScheme::Uid => f.write_str("UID"),
            IdScheme::Code => f.write_str("CODE"),
            IdScheme::Name => f.write_str("NAME"),
            IdScheme::Attribute(uid) => write!(f, "ATTRIBUTE:{uid}"),
            IdScheme::Other(name) => f.write_str(name),
        }
    }
}

impl serde::Serialize for IdScheme {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// True when `s` is a DHIS2 UID: 11 alphanumeric characters starting with a letter
/// (dhis2-core `CodeGenerator.isValidUid`).
pub fn is_uid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11 && b[0].is_ascii_alphabetic() && b.iter().all(u8::is_ascii_alphanumeric)
}

/// A data set as written in an output payload.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DataSetId {
    pub id: String,
    pub scheme: IdScheme,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recent_id_is_the_id_interned_whatever_came_before() {
        let mut next = crate::fuzzing::xorshift(0x51_7cc1_b727_220a);
        let texts = ["", "ou1", "ou2", "ou10", "OU1", "ou1 "];
        let (mut ids, mut alone) = (Interner::default(), Interner::default());
        let mut recent = Recent::default();
        let mut found = 0;
        for _ in 0..5_000 {
            // Runs of one text (as an export groups its values), then any other.
            let text = texts[next(texts.len())];
            for _ in 0..next(4) {
                let got = recent.get_or(text, |s| {
                    found += 1;
                    ids.intern(s)
                });
                // Interned in the same order in both: the same numbers.
                alone.intern(text);
                assert_eq!(got, ids.intern(text), "{text:?}");
                assert_eq!(got, alone.find(text).unwrap_or(Id(u32::MAX)));
            }
        }
        assert_eq!(ids.len(), texts.len());
        assert!(
            found < 5_000,
            "a text like the one before is not looked up: {found}"
        );
    }

    #[test]
    fn per_id_finds_each_id_once_and_keeps_it_by_number() {
        let mut ids = Interner::default();
        let names: Vec<String> = (0..500).map(|i| format!("ou{}", i * 7 % 250)).collect();
        let interned: Vec<Id> = names.iter().map(|n| ids.intern(n)).collect();
        let (mut memo, mut finds) = (PerId::default(), 0);
        for round in 0..3 {
            // Later ids first in one round, so that the table grows out of order.
            let order: Vec<usize> = match round {
                1 => (0..names.len()).rev().collect(),
                _ => (0..names.len()).collect(),
            };
            for i in order {
                let got = memo.get_or_find(interned[i], || {
                    finds += 1;
                    names[i].len() * 1000 + i
                });
                let first = names.iter().position(|n| *n == names[i]).unwrap_or(i);
                assert_eq!(got, names[i].len() * 1000 + first, "{}", names[i]);
            }
        }
        assert_eq!(finds, 250, "each distinct id looked up once");
        assert_eq!(memo.get_or_find(Id::EMPTY, || 7), 7);
        assert_eq!(memo.get_or_find(Id::EMPTY, || 8), 7);
    }

    #[test]
    fn uid_rules() {
        assert!(is_uid("Uvn6LCg7dVU"));
        assert!(!is_uid("1vn6LCg7dVU"), "must start with a letter");
        assert!(!is_uid("Uvn6LCg7dV"), "10 characters");
        assert!(!is_uid("Uvn6LCg7d_U"), "underscore");
    }

    #[test]
    fn schemes() {
        assert_eq!(IdScheme::parse("code"), Some(IdScheme::Code));
        assert_eq!(IdScheme::parse("id"), Some(IdScheme::Uid));
        assert_eq!(
            IdScheme::parse("attribute:uh6H2ff562G").map(|s| s.to_string()),
            Some("ATTRIBUTE:uh6H2ff562G".into())
        );
        assert_eq!(IdScheme::parse(" "), None);
    }

    #[test]
    fn interner_reserves_the_empty_id() {
        let mut i = Interner::default();
        assert_eq!(i.intern(""), Id::EMPTY);
        let a = i.intern("a");
        assert!(!a.is_empty());
        assert_eq!(i.intern("a"), a);
        assert_eq!((i.get(Id::EMPTY), i.get(a)), ("", "a"));
        assert_eq!(i.find("b"), None);
    }
}
