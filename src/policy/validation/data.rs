//! The values the validation rules read, held compactly: the written numeric values of the
//! data elements the rules name, with data elements and category option combos turned into
//! UIDs (the output may use codes) and every id interned, grouped by period. For one period,
//! [`Data::map`] gathers them as DHIS2's `getDataValueMap` and `addValueToDataMap` do.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap, FxHashSet};

use super::expr::Item;
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
    /// The numbers of texts already seen at an address: the written values' ids are borrowed
    /// from one interner (and the metadata), so an id read again is found without comparing
    /// its text. Only while reading (the texts outlive it).
    by_address: FxHashMap<(usize, usize), u32>,
    periods: Vec<Period>,
    by_period: Vec<Vec<Value>>,
    /// The rules' items, resolved once.
    keys: FxHashMap<Item, ItemKey>,
    /// The calendar the period ids are in.
    calendar: Calendar,
}

impl Data {
    pub fn read<'a>(
        meta: &Metadata,
        items: &[Item],
        written: impl Iterator<Item = OutputValue<'a>>,
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
        let default_coc = meta.default_option_combo_uid();
        let mut period_index: FxHashMap<String, Option<usize>> = FxHashMap::default();
        for v in written.filter(|v| !v.deleted) {
            let Some((de, _)) = meta.data_element(v.data_element) else {
                continue;
            };
            if !wanted.contains(de.id.as_str()) {
                continue;
            }
            let Ok(value) = v.value.trim().parse::<f64>() else {
                continue;
            };
            let Some(p) = d.period_number(&mut period_index, v.period) else {
                continue;
            };
            // No allocation per value: the combo's UID as the metadata holds it.
            let coc: &str = match v.category_option_combo {
                "" => default_coc,
                c => meta
                    .category_option_combo(c)
                    .map_or(c, |(x, _)| x.id.as_str()),
            };
            let value = Value {
                data_element: d.number_at(&de.id),
                category_option_combo: d.number_at(coc),
                org_unit: d.number_at(v.org_unit),
                attribute_option_combo: d.number_at(v.attribute_option_combo),
                value,
            };
            d.by_period[p].push(value);
        }
        d.by_address = FxHashMap::default();
        d
    }

    /// [`Data::number`], remembered by the text's address.
    fn number_at(&mut self, s: &str) -> u32 {
        let address = (s.as_ptr() as usize, s.len());
        if let Some(&n) = self.by_address.get(&address) {
            return n;
        }
        let n = self.number(s);
        self.by_address.insert(address, n);
        n
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
