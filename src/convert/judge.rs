//! Where a value is judged: [`Judge::judge`] states the order of the rules in one screen, and
//! each rule is a small function that returns what the next rule needs or the [`Reason`] the
//! value is left out for (README, "What happens to each value"; docs/dhis2-rules.md).

use std::borrow::Cow;

use rustc_hash::{FxHashMap, FxHashSet};

use super::store::NO_ROW;
use crate::ids::{Id, IdScheme, Interner, Key, Recent, Source};
use crate::mapping::{Lookup, Mapping};
use crate::model::DataValue;
use crate::period::{self, Calendar, Date, PeriodType, Window};
use crate::preflight::{Placement, TargetRef, Targets, entry};
use crate::reason::Reason;
use crate::value::{self, ValueType};
use crate::write::xml;

/// Why a value is left out, and the detail for people.
pub type Left = (Reason, String);

/// A value that passed every rule.
pub struct Accepted<'v> {
    pub key: Key,
    pub value: Cow<'v, str>,
    pub source: Source,
    pub data_set: Id,
}

/// What [`Judge::judge`] decided about one value.
pub struct Judgement<'v> {
    /// The mapping row that matched ([`NO_ROW`] without one).
    pub row: u32,
    /// The output key, once known: a value left out after that still marks its key as seen.
    pub key: Option<Key>,
    pub verdict: Result<Accepted<'v>, Left>,
}

/// A period as the rules remember it.
#[derive(Debug, Clone, Copy)]
pub struct PeriodInfo {
    pub id: Id,
    pub period_type: PeriodType,
    pub start: Date,
    pub end: Date,
}

/// The period scope of a run: `--periods` and `--exclude-current`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope {
    pub window: Option<Window>,
    /// Periods that have not ended before this date are left out.
    pub exclude_from: Option<Date>,
    /// The calendar the period ids are in (`--calendar`).
    pub calendar: Calendar,
}

impl Scope {
    /// Why a valid period is outside the scope.
    pub fn check(&self, start: Date, end: Date) -> Result<(), Left> {
        if let Some(w) = &self.window
            && !w.contains_dates(start, end)
        {
            let detail = format!("{start} .. {end} is outside --periods {w}");
            return Err((Reason::OutsidePeriod, detail));
        }
        if let Some(as_of) = self.exclude_from
            && end >= as_of
        {
            let detail = format!("the period ends {end}: it has not ended before {as_of}");
            return Err((Reason::CurrentPeriod, detail));
        }
        Ok(())
    }
}

/// A target's ids, interned (for a mapping row, once).
#[derive(Clone, Copy)]
struct TargetIds {
    data_element: Id,
    coc: Id,
    aoc: Id,
    source: Id,
    data_set: Id,
    value_type: Option<ValueType>,
    /// The row's target checked against the target metadata.
    resolved: Option<TargetRef>,
}

/// The target of one value: from its mapping row, or its own ids without a mapping. The ids
/// as written, and interned.
struct Target<'a> {
    row: u32,
    data_element: &'a str,
    coc: &'a str,
    aoc: &'a str,
    data_set: &'a str,
    ids: TargetIds,
}

/// The org unit a value goes to (translated by the `orgUnits` sheet), and its interned key.
#[derive(Clone, Copy)]
struct OrgUnit<'a> {
    id: &'a str,
    key: Id,
}

/// The rules of a conversion and what they remember between values.
pub struct Judge<'m> {
    mapping: Option<&'m Mapping>,
    rows: Vec<TargetIds>,
    targets: Option<Targets<'m>>,
    /// The interned output id of each metadata data set a value went to, by its index.
    data_set_ids: Vec<Option<Id>>,
    periods: FxHashMap<Box<str>, Result<PeriodInfo, String>>,
    scope: Scope,
    csv_output: bool,
    /// Data sets written to (interned) and their id scheme.
    pub data_set_schemes: FxHashMap<Id, IdScheme>,
    /// Periods of the values in scope (valid, inside the window, not current).
    pub periods_in_scope: FxHashSet<Id>,
    last_in_scope: Option<Id>,
    /// The org unit of the value before, interned (in the converter's one interner).
    recent_unit: Recent<Id>,
    /// The period of the value before and what it is.
    recent_period: Recent<Result<PeriodInfo, String>>,
}

impl<'m> Judge<'m> {
    pub fn new(
        ids: &mut Interner,
        mapping: Option<&'m Mapping>,
        mut targets: Option<Targets<'m>>,
        scope: Scope,
        csv_output: bool,
        target_scheme: IdScheme,
    ) -> Self {
        let mut data_set_schemes = FxHashMap::default();
        let rows = mapping.map_or(Vec::new(), |m| {
            m.rows
                .iter()
                .map(|r| {
                    // Without target metadata a row naming several data sets writes none.
                    let data_set = ids.intern(r.single_data_set());
                    if !data_set.is_empty() {
                        data_set_schemes.insert(data_set, target_scheme.clone());
                    }
                    TargetIds {
                        data_element: ids.intern(&r.data_element),
                        coc: ids.intern(&r.category_option_combo),
                        aoc: ids.intern(&r.attribute_option_combo),
                        source: ids.intern(r.exported()),
                        data_set,
                        value_type: r.value_type,
                        resolved: targets.as_mut().filter(|_| r.enabled).map(|t| {
                            let de = [&r.data_element, &r.category_option_combo];
                            t.resolve(de[0], de[1], &r.attribute_option_combo, &r.data_set)
                        }),
                    }
                })
                .collect()
        });
        Judge {
            mapping,
            rows,
            targets,
            data_set_ids: Vec::new(),
            periods: FxHashMap::default(),
            scope,
            csv_output,
            data_set_schemes,
            periods_in_scope: FxHashSet::default(),
            last_in_scope: None,
            recent_unit: Recent::default(),
            recent_period: Recent::default(),
        }
    }

    /// Judges one value: the rules in the order that decides its reason (the first rule it
    /// fails). Its mapping row and output key are known as soon as the rules find them, so a
    /// value left out after that still names them.
    pub fn judge<'v>(&mut self, ids: &mut Interner, v: &DataValue<'v>) -> Judgement<'v>
    where
        'm: 'v,
    {
        let unplaced = |left| Judgement {
            row: NO_ROW,
            key: None,
            verdict: Err(left),
        };
        // incomplete, unmappedOrgUnit
        let org_unit = match self.org_unit(v) {
            Ok(id) => OrgUnit {
                id,
                key: self.recent_unit.get_or(id, |id| ids.intern(id)),
            },
            Err(left) => return unplaced(left),
        };
        // unmapped, disabled
        let target = match self.target(ids, v) {
            Ok(t) => t,
            Err(left) => return unplaced(left),
        };
        let period = self.period(ids, v.period);
        Judgement {
            row: target.row,
            key: period.as_ref().ok().map(|p| target.key(p.id, org_unit.key)),
            verdict: self.checks(ids, v, &target, period, org_unit),
        }
    }

    /// The rules once the target is known.
    fn checks<'v>(
        &mut self,
        ids: &mut Interner,
        v: &DataValue<'v>,
        target: &Target,
        period: Result<PeriodInfo, Left>,
        org_unit: OrgUnit,
    ) -> Result<Accepted<'v>, Left>
    where
        'm: 'v,
    {
        // unknownTarget
        let (metadata_type, resolved) = self.resolve(target)?;
        // invalidValue
        let value_type = target.ids.value_type.or(metadata_type);
        let value = self.value(v, value_type, target, org_unit.id)?;
        // invalidPeriod
        let period = period?;
        // outsidePeriod, currentPeriod
        self.in_scope(&period)?;
        // wrongPeriodType, orgUnitNotAssigned, orgUnitClosed, periodClosed, attributeOptionClosed
        let data_set = self.place(ids, target, resolved, &period, org_unit)?;
        Ok(Accepted {
            key: target.key(period.id, org_unit.key),
            value,
            source: self.source(ids, v, target, org_unit),
            data_set,
        })
    }

    /// incomplete, unmappedOrgUnit: the value names an org unit, translated through the
    /// `orgUnits` sheet when there is one.
    fn org_unit<'v>(&self, v: &DataValue<'v>) -> Result<&'v str, Left>
    where
        'm: 'v,
    {
        if v.data_element.is_empty() {
            return Err((Reason::Incomplete, "no dataElement".into()));
        }
        if v.org_unit.is_empty() {
            return Err((Reason::Incomplete, "no orgUnit".into()));
        }
        match self.mapping.and_then(|m| m.org_units.as_ref()) {
            None => Ok(v.org_unit),
            Some(map) => map.get(v.org_unit).map(String::as_str).ok_or_else(|| {
                let detail = format!("org unit `{}` is not on the orgUnits sheet", v.org_unit);
                (Reason::UnmappedOrgUnit, detail)
            }),
        }
    }

    /// unmapped, disabled: the mapping row of the value's source item (without a mapping, the
    /// value's own ids are the target).
    fn target<'v>(&self, ids: &mut Interner, v: &DataValue<'v>) -> Result<Target<'v>, Left>
    where
        'm: 'v,
    {
        let (de, coc, aoc) = (
            v.data_element,
            v.category_option_combo,
            v.attribute_option_combo,
        );
        let Some(m) = self.mapping else {
            let d = ids.intern(de);
            let interned = TargetIds {
                data_element: d,
                coc: ids.intern(coc),
                aoc: ids.intern(aoc),
                source: d,
                data_set: Id::EMPTY,
                value_type: None,
                resolved: None,
            };
            return Ok(Target {
                row: NO_ROW,
                data_element: de,
                coc,
                aoc,
                data_set: "",
                ids: interned,
            });
        };
        match m.lookup(de, coc, aoc) {
            Lookup::Mapped(i) => {
                let r = &m.rows[i];
                Ok(Target {
                    row: u32::try_from(i).unwrap_or(NO_ROW),
                    data_element: &r.data_element,
                    coc: &r.category_option_combo,
                    aoc: &r.attribute_option_combo,
                    data_set: &r.data_set,
                    ids: self.rows[i],
                })
            }
            Lookup::Disabled(i) => {
                let detail = format!("the mapping row {} is disabled", m.rows[i].row);
                Err((Reason::Disabled, detail))
            }
            Lookup::Unmapped => Err((
                Reason::Unmapped,
                "no mapping row for this source item".into(),
            )),
        }
    }

    /// unknownTarget: the target exists in the target metadata and its combos fit. Returns the
    /// data element's value type there, and the target for the placement.
    fn resolve(&mut self, t: &Target) -> Result<(Option<ValueType>, Option<TargetRef>), Left> {
        let Some(targets) = self.targets.as_mut() else {
            return Ok((None, None));
        };
        let r = match t.ids.resolved {
            Some(r) => r,
            None => targets.resolve(t.data_element, t.coc, t.aoc, t.data_set),
        };
        match &targets.get(r).error {
            Some(e) => Err((Reason::UnknownTarget, e.clone())),
            None => Ok((targets.get(r).value_type, Some(r))),
        }
    }

    /// invalidValue: the value for its type, ids DHIS2 can take, a value the output format can
    /// carry.
    fn value<'v>(
        &self,
        v: &DataValue<'v>,
        value_type: Option<ValueType>,
        t: &Target,
        org_unit: &str,
    ) -> Result<Cow<'v, str>, Left> {
        let value = prepared(v, value_type).map_err(|e| (Reason::InvalidValue, e.to_string()))?;
        if let Some(id) = [t.data_element, org_unit, t.coc, t.aoc]
            .into_iter()
            .find(|id| {
                !printable_ascii(id) && id.chars().any(|c| c.is_control() || xml::forbidden(c))
            })
        {
            let detail = format!(
                "the id `{}` holds a control character or noncharacter, which DHIS2 cannot take",
                id.escape_debug()
            );
            return Err((Reason::InvalidValue, detail));
        }
        match unsafe_value(&value, self.csv_output) {
            Some(detail) => Err((Reason::InvalidValue, detail.to_string())),
            None => Ok(value),
        }
    }

    /// invalidPeriod: a DHIS2 period id of any type (parsed once per distinct text).
    fn period(&mut self, ids: &mut Interner, raw: &str) -> Result<PeriodInfo, Left> {
        let (periods, cal) = (&mut self.periods, self.scope.calendar);
        let parsed = self
            .recent_period
            .get_or(raw, |raw| match periods.get(raw) {
                Some(p) => p.clone(),
                None => {
                    let p = period::parse_in(cal, raw)
                        .map(|p| PeriodInfo {
                            id: ids.intern(&p.id),
                            period_type: p.period_type,
                            start: p.start,
                            end: p.end,
                        })
                        .map_err(|e| period::in_calendar(cal, raw, e));
                    periods.insert(raw.into(), p.clone());
                    p
                }
            });
        parsed.map_err(|e| (Reason::InvalidPeriod, e))
    }

    /// outsidePeriod, currentPeriod; a period in scope is remembered.
    fn in_scope(&mut self, p: &PeriodInfo) -> Result<(), Left> {
        self.scope.check(p.start, p.end)?;
        if self.last_in_scope != Some(p.id) {
            self.periods_in_scope.insert(p.id);
            self.last_in_scope = Some(p.id);
        }
        Ok(())
    }

    /// wrongPeriodType, orgUnitNotAssigned, orgUnitClosed, periodClosed, attributeOptionClosed:
    /// the data set the value goes to, and whether it takes it on the import date. Without
    /// target metadata, the mapping row's data set.
    fn place(
        &mut self,
        ids: &mut Interner,
        t: &Target,
        resolved: Option<TargetRef>,
        p: &PeriodInfo,
        ou: OrgUnit,
    ) -> Result<Id, Left> {
        let (Some(targets), Some(r)) = (self.targets.as_mut(), resolved) else {
            return Ok(t.ids.data_set);
        };
        let chosen = match targets.place_id(r, p.period_type, (ou.id, ou.key)) {
            Placement::DataSet(None) => return Ok(Id::EMPTY),
            Placement::DataSet(Some(i)) => i,
            Placement::WrongPeriodType(e) => return Err((Reason::WrongPeriodType, e)),
            Placement::OrgUnitNotAssigned(e) => return Err((Reason::OrgUnitNotAssigned, e)),
        };
        let period = entry::PeriodFacts {
            key: p.id,
            id: ids.get(p.id),
            period_type: p.period_type,
            start: p.start,
            end: p.end,
        };
        let (org_unit, aoc) = ((ou.id, ou.key), (t.aoc, t.ids.aoc));
        if let Some(left) = targets.admits(r, chosen, &period, org_unit, aoc) {
            return Err(left);
        }
        if let Some(&Some(id)) = self.data_set_ids.get(chosen) {
            return Ok(id);
        }
        let ds = targets.data_set_id(chosen);
        let id = ids.intern(&ds.id);
        self.data_set_schemes.entry(id).or_insert(ds.scheme);
        if self.data_set_ids.len() <= chosen {
            self.data_set_ids.resize(chosen + 1, None);
        }
        self.data_set_ids[chosen] = Some(id);
        Ok(id)
    }

    /// Where the value came from: its source item, combos and org unit as exported.
    fn source(&self, ids: &mut Interner, v: &DataValue, t: &Target, ou: OrgUnit) -> Source {
        Source {
            data_element: t.ids.source,
            category_option_combo: ids.intern(v.category_option_combo),
            attribute_option_combo: ids.intern(v.attribute_option_combo),
            org_unit: if std::ptr::eq(ou.id, v.org_unit) {
                ou.key
            } else {
                ids.intern(v.org_unit)
            },
        }
    }

    /// A mapping row's value type (for sums).
    pub fn row_value_type(&self, row: u32) -> Option<ValueType> {
        self.rows.get(row as usize).and_then(|r| r.value_type)
    }

    /// Hands back the target checks, for the deletions and the zero-fill.
    pub fn take_targets(&mut self) -> Option<Targets<'m>> {
        self.targets.take()
    }
}

impl Target<'_> {
    fn key(&self, period: Id, org_unit: Id) -> Key {
        Key {
            data_element: self.ids.data_element,
            period,
            org_unit,
            category_option_combo: self.ids.coc,
            attribute_option_combo: self.ids.aoc,
        }
    }
}

/// The text to write for a value. A deletion needs none (DHIS2 exempts deletions from "value
/// required"), but a value it carries must be valid (both importers check it).
fn prepared<'v>(
    v: &DataValue<'v>,
    value_type: Option<ValueType>,
) -> Result<Cow<'v, str>, value::InvalidValue> {
    match v.value {
        None if v.deleted => Ok("".into()),
        Some(raw) if v.deleted && raw.trim().is_empty() => Ok("".into()),
        raw => value::prepare(raw, value_type),
    }
}

/// Values an output format cannot carry: control characters (XML cannot), and in CSV a quote or
/// line break (2.43+ `LineBuffer` reads no `""` escapes nor line breaks in fields) or the text
/// `null`, which 2.43+ reads as no value, quoted or not (dhis2-core 2.43 `CSV.java`).
fn unsafe_value(value: &str, csv: bool) -> Option<&'static str> {
    // Printable ASCII holds neither a control character nor one XML forbids.
    let plain = printable_ascii(value);
    if !plain
        && value
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Some("the value contains a control character");
    }
    if !plain && value.chars().any(xml::forbidden) {
        return Some(
            "the value holds U+FFFE or U+FFFF, noncharacters that XML 1.0 forbids (DHIS2 could not write them out again)",
        );
    }
    if csv && value.contains(['"', '\n', '\r']) {
        return Some(
            "the value contains a quote or line break, which DHIS2 2.43+ cannot read in CSV (write JSON or XML instead)",
        );
    }
    if csv && value == "null" {
        return Some(
            "the value is the text `null`, which DHIS2 2.43+ reads as no value in CSV (write JSON or XML instead)",
        );
    }
    None
}

/// Whether `s` is printable ASCII only (U+0020–U+007E): no control character, nothing XML
/// forbids. Most ids and values are; the character checks run on the others only.
fn printable_ascii(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

#[cfg(test)]
mod tests;
