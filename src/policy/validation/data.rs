//! The values the validation rules read, held compactly: the written numeric values of the
//! data elements the rules name, with data elements and category option combos turned into
//! UIDs (the output may use codes) and every id interned, grouped by period. For one period,
//! [`Data::map`] gathers them as DHIS2's `getDataValueMap` and `addValueToDataMap` do.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap, FxHashSet};

use super::expr::Item;
use crate::ids::{Id, Key, PerId};
use crate::metadata::Metadata;
use crate::period::{self, Calendar, Period, PeriodType};
use crate::write::OutputValue;

/// An item's value key: a data element (`#{de}`, the sum of its combos) or a data element and
/// category option combo (`#{de.coc}`; `#{de.coc.aoc}` reads the same, as in DHIS2's runner).
pub type ItemKey = (u32, Option<u32>);

/// One org unit × attribute option combo's item values, each with the length of the period it
/// came from.
pub type Items = FxHashMap<ItemKey, (f64, i64)>;

/// A written value: interned data element, combo, org unit, attribute option combo.
struct Value {
    data_element: u32,
    category_option_combo: u32,
    org_unit: u32,
    attribute_option_combo: u32,
    value: f64,
}

/// The values by period, and the names behind the interned numbers.
#[derive(Default)]
pub struct Data {
    names: Vec<String>,
    numbers: FxHashMap<String, u32>,
    periods: Vec<Period>,
    by_period: Vec<Vec<Value>>,
    /// The rules' items, resolved once.
    keys: FxHashMap<Item, ItemKey>,
    /// The calendar the period ids are in.
    calendar: Calendar,
}

/// A written value for the rules, with its key when it is one of the conversion's (its ids
/// are then resolved once per interned id, not per value by text).
pub type Written<'a> = (Option<Key>, OutputValue<'a>);

/// What each interned id of the written values resolved to, kept by the id's number.
#[derive(Default)]
struct Memos {
    /// The data element's number, when a rule names it.
    data_elements: PerId<Option<u32>>,
    periods: PerId<Option<usize>>,
    /// The category option combo's number (its UID as the metadata holds it).
    combos: PerId<u32>,
    /// Org units' and attribute option combos' numbers.
    names: PerId<u32>,
}

/// `memo`'s entry for `id`, or `find` for a value without a key.
fn found<T: Copy>(memo: &mut PerId<T>, id: Option<Id>, find: impl FnOnce() -> T) -> T {
    match id {
        Some(id) => memo.get_or_find(id, find),
        None => find(),
    }
}

impl Data {
    pub fn read<'a>(
        meta: &Metadata,
        items: &[Item],
        written: impl Iterator<Item = Written<'a>>,
        calendar: Calendar,
    ) -> Data {
        let mut d = Data {
            calendar,
            ..Data::default()
        };
        d.number(""); // 0: the blank (default) attribute option combo
        let mut wanted: FxHashSet<&str> = FxHashSet::default();
        for i in items {
            let Some((de, _)) = meta.data_element(&i.data_element) else {
                continue;
            };
            wanted.insert(de.id.as_str());
            let coc = i.category_option_combo.as_deref().map(|c| {
                meta.category_option_combo(c)
                    .map_or(c.to_string(), |(x, _)| x.id.clone())
            });
            let key = (d.number(&de.id), coc.map(|c| d.number(&c)));
            d.keys.insert(i.clone(), key);
        }
        let mut memos = Memos::default();
        let mut period_index: FxHashMap<String, Option<usize>> = FxHashMap::default();
        for (key, v) in written.filter(|(_, v)| !v.deleted) {
            let id = |f: fn(&Key) -> Id| key.as_ref().map(f);
            let data_element = found(&mut memos.data_elements, id(|k| k.data_element), || {
                let (de, _) = meta.data_element(v.data_element)?;
                wanted.contains(de.id.as_str()).then(|| d.number(&de.id))
            });
            let Some(data_element) = data_element else {
                continue;
            };
            let Ok(value) = v.value.trim().parse::<f64>() else {
                continue;
            };
            let period = found(&mut memos.periods, id(|k| k.period), || {
                d.period_number(&mut period_index, v.period)
            });
            let Some(p) = period else {
                continue;
            };
            let category_option_combo =
                found(&mut memos.combos, id(|k| k.category_option_combo), || {
                    d.number(combo_uid(meta, v.category_option_combo))
                });
            let names = &mut memos.names;
            let org_unit = found(names, id(|k| k.org_unit), || d.number(v.org_unit));
            let aoc = v.attribute_option_combo;
            let attribute_option_combo =
                found(names, id(|k| k.attribute_option_combo), || d.number(aoc));
            d.by_period[p].push(Value {
                data_element,
                category_option_combo,
                org_unit,
                attribute_option_combo,
                value,
            });
        }
        d
    }

    fn number(&mut self, s: &str) -> u32 {
        if let Some(&n) = self.numbers.get(s) {
            return n;
        }
        let n = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(s.to_string());
        self.numbers.insert(s.to_string(), n);
        n
    }

    fn period_number(
        &mut self,
        cache: &mut FxHashMap<String, Option<usize>>,
        id: &str,
    ) -> Option<usize> {
        if let Some(&p) = cache.get(id) {
            return p;
        }
        let p = period::parse_in(self.calendar, id).ok().map(|p| {
            self.periods.push(p);
            self.by_period.push(Vec::new());
            self.periods.len() - 1
        });
        cache.insert(id.to_string(), p);
        p
    }

    pub fn name(&self, n: u32) -> &str {
        self.names.get(n as usize).map_or("", String::as_str)
    }

    pub fn key(&self, i: &Item) -> Option<ItemKey> {
        self.keys.get(i).copied()
    }

    pub fn period(&self, p: usize) -> &Period {
        &self.periods[p]
    }

    pub fn has_type(&self, pt: PeriodType) -> bool {
        self.periods.iter().any(|p| p.period_type == pt)
    }

    /// The periods of type `pt` the output holds, in time order.
    pub fn periods_of(&self, pt: PeriodType) -> Vec<usize> {
        let mut out: Vec<usize> = (0..self.periods.len())
            .filter(|&p| self.periods[p].period_type == pt)
            .collect();
        out.sort_by_key(|&p| self.periods[p].start);
        out
    }

    /// The item values for one period of type `pt`, per org unit and attribute option combo:
    /// values of every output period as long or longer that holds the period's start, the
    /// shortest preferred, values of one length summed.
    pub fn map(&self, period: usize, wanted: &FxHashSet<ItemKey>) -> BTreeMap<(u32, u32), Items> {
        let p = &self.periods[period];
        let mut map: BTreeMap<(u32, u32), Items> = BTreeMap::new();
        for (q, values) in self.periods.iter().zip(&self.by_period) {
            let allowed = q.period_type.frequency_order() >= p.period_type.frequency_order();
            if !(allowed && q.start <= p.start && p.start <= q.end) {
                continue;
            }
            let length = q.end.days() - q.start.days();
            for v in values {
                let whole = (v.data_element, None);
                let operand = (v.data_element, Some(v.category_option_combo));
                // Only values of the rules' items make an org unit × combo evaluated.
                for key in [whole, operand].into_iter().filter(|k| wanted.contains(k)) {
                    let items = map
                        .entry((v.org_unit, v.attribute_option_combo))
                        .or_default();
                    add(items, key, v.value, length);
                }
            }
        }
        map
    }
}

/// A category option combo's UID as the metadata holds it (the default one for blank), or the
/// text as written when the metadata lacks it.
fn combo_uid<'m>(meta: &'m Metadata, coc: &'m str) -> &'m str {
    match coc {
        "" => meta.default_option_combo_uid(),
        c => meta
            .category_option_combo(c)
            .map_or(c, |(x, _)| x.id.as_str()),
    }
}

/// A value for an item: a shorter period's replaces a longer one's, one as long adds up.
fn add(items: &mut Items, key: ItemKey, value: f64, length: i64) {
    match items.get_mut(&key) {
        Some((_, l)) if *l < length => {}
        Some(e) if e.1 > length => *e = (value, length),
        Some(e) => e.0 += value,
        None => {
            items.insert(key, (value, length));
        }
    }
}
