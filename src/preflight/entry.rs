//! Whether DHIS2 takes a value into its data set on the import date: the checks that DHIS2 2.43
//! applies to a whole data-set group (dhis2-core 2.43.1 `DefaultDataEntryService`
//! `validateKeyConsistency` and `validateEntryTimeliness`) and that ≤ 2.42 applies per value
//! (`DataValueSetImportValidator`), judged per value so the rest still imports:
//! an org unit outside the org units of the attribute option combo's options (E8025 / E7639),
//! an org unit closed in the period (E8031, 2.43+ only), a period closed by input periods,
//! expiry days or future periods (E8030 / E7640, E7641, E7643, E7644), and a period outside the
//! attribute options' dates (E8032 / E7638). docs/dhis2-rules.md states each rule; the rules of a
//! data set's timeliness (input periods, expiry days, future periods) are in `timeliness`.

use rustc_hash::FxHashMap;

use super::hmis::{Approval, HmisState};
use super::version::Version;
use crate::ids::Id;
use crate::metadata::{DataSet, Metadata, Moment};
use crate::period::{Calendar, Date, PeriodType, calendar};
use crate::reason::Reason;
use timeliness::{Closed, Span};

/// What the checks need to know of a value.
pub struct Facts<'a> {
    /// The data set the value is imported into (2.43's group), as an index into the metadata.
    pub data_set: usize,
    /// Every data set that holds the data element.
    pub every: &'a [usize],
    pub period: &'a PeriodFacts<'a>,
    /// The org unit's id in the output and its interned key.
    pub org_unit: (&'a str, Id),
    /// The org unit's index among the metadata's org units, if it is there (by UID or code).
    pub unit: Option<usize>,
    /// The attribute option combo's id in the output (blank: default) and its interned key.
    pub aoc: (&'a str, Id),
}

/// A period and its interned key.
pub struct PeriodFacts<'a> {
    pub key: Id,
    pub id: &'a str,
    pub period_type: PeriodType,
    pub start: Date,
    pub end: Date,
}

/// The rules of one run: the target's version, the import date, the importing user's rights.
#[derive(Debug, Clone, Copy)]
pub struct EntryRules {
    /// `None`: unknown, judged by the newest rules.
    pub version: Option<Version>,
    pub as_of: Date,
    /// The time of day of the import (`--as-of` with a time), in seconds; `None`: the whole day.
    pub as_of_seconds: Option<u32>,
    /// The importing user may edit expired periods (F_EDIT_EXPIRED, or a superuser).
    pub edit_expired: bool,
    /// The payload names its data set (`--split-by data-set`), as ≤ 2.42's checks then use it.
    pub payload_data_set: bool,
    /// The instance's calendar: periods are counted in it.
    pub calendar: Calendar,
}

impl EntryRules {
    fn classic(&self) -> bool {
        self.version.is_some_and(|v| !v.is_entry_pipeline())
    }
}

type Verdict = Option<(Reason, String)>;

/// The checks, with what was judged once kept per key.
pub struct Entry<'m> {
    meta: &'m Metadata,
    rules: EntryRules,
    /// The HMIS's approvals and lock exceptions (`--approvals`, `--lock-exceptions`).
    hmis: &'m HmisState,
    /// Per data set, its input periods by canonical period id.
    input_periods: Vec<FxHashMap<String, Vec<Span>>>,
    /// Per data set and period judged, its place in `closed`.
    data_sets: FxHashMap<(usize, Id), u32>,
    closed: Vec<Closed>,
    /// Per data set, its category combo's UID (blank: none) and whether it is the default
    /// combo, looked up once.
    combos: Vec<(&'m str, bool)>,
    /// The value's target data sets (≤ 2.42), one buffer for every value.
    targets: Vec<usize>,
    /// The facts and verdict of the last value checked.
    last_check: LastCheck,
    /// The places in `closed` of the value's target data sets, then of every data set of its
    /// data element (≤ 2.42), one buffer for every value.
    judged: Vec<u32>,
    org_units: FxHashMap<(Id, Id), Verdict>,
    option_units: FxHashMap<(Id, Id), Verdict>,
    option_dates: FxHashMap<(Id, Id, usize), Verdict>,
}

impl<'m> Entry<'m> {
    pub fn new(meta: &'m Metadata, rules: EntryRules, hmis: &'m HmisState) -> Self {
        let input_periods = meta
            .data_sets
            .iter()
            .map(|ds| {
                let mut by_id: FxHashMap<String, Vec<_>> = FxHashMap::default();
                for ip in &ds.data_input_periods {
                    let id = crate::period::parse_in(rules.calendar, &ip.period.id)
                        .map_or(ip.period.id.clone(), |p| p.id);
                    by_id.entry(id).or_default().push((
                        Moment::parse(ip.opening_date.as_deref()),
                        Moment::parse(ip.closing_date.as_deref()),
                    ));
                }
                by_id
            })
            .collect();
        Entry {
            meta,
            rules,
            hmis,
            input_periods,
            data_sets: FxHashMap::default(),
            closed: Vec::new(),
            combos: meta
                .data_sets
                .iter()
                .map(|ds| data_set_combo(meta, ds))
                .collect(),
            targets: Vec::new(),
            judged: Vec::new(),
            last_check: LastCheck::default(),
            org_units: FxHashMap::default(),
            option_units: FxHashMap::default(),
            option_dates: FxHashMap::default(),
        }
    }

    /// The first check the value fails, in DHIS2's order: key consistency, then timeliness.
    /// The verdict depends on the facts alone: one given the same facts as the value before it
    /// (the values of an org unit and period come together) gets that value's verdict.
    pub fn check(&mut self, f: &Facts) -> Verdict {
        if self.last_check.is_of(f) {
            return self.last_check.verdict.clone();
        }
        let verdict = self.check_anew(f);
        self.last_check.keep(f, &verdict);
        verdict
    }

    fn check_anew(&mut self, f: &Facts) -> Verdict {
        if let Some(v) = self.option_org_units(f) {
            return Some(v);
        }
        if !self.rules.classic()
            && let Some(v) = self.org_unit_closed(f)
        {
            return Some(v);
        }
        if let Some(v) = self.period_closed(f) {
            return Some(v);
        }
        if let Some(v) = self.approved(f) {
            return Some(v);
        }
        self.option_dates(f)
    }

    /// The data sets ≤ 2.42 judges a value against, into `targets` (cleared first): the
    /// payload's, else every data set of the data element assigned to the org unit whose
    /// attribute combo is the AOC's (`ImportContext.getTargetDataSets`). The pre-flight runs
    /// on every value: one buffer, each data set's combo looked up once.
    fn classic_targets_into(&mut self, f: &Facts, targets: &mut Vec<usize>) {
        targets.clear();
        if self.rules.payload_data_set {
            targets.push(f.data_set);
            return;
        }
        let meta = self.meta;
        let aoc_combo = match f.aoc.0 {
            "" => None,
            aoc => meta
                .category_option_combo(aoc)
                .and_then(|(c, _)| c.category_combo.as_ref())
                .map(|c| c.id.as_str()),
        };
        let combos = &self.combos;
        let fitting = (f.every.iter().copied())
            .filter(|&i| {
                !meta.has_organisation_units || f.unit.is_none_or(|u| meta.data_set_assigned(i, u))
            })
            .filter(|&i| match aoc_combo {
                None => combos[i].1,
                Some(c) => c == combos[i].0,
            });
        targets.extend(fitting);
    }

    /// E8030 (2.43+) or E7640/E7641/E7643/E7644 (≤ 2.42).
    fn period_closed(&mut self, f: &Facts) -> Verdict {
        let verdict = |detail: &String| Some((Reason::PeriodClosed, detail.clone()));
        if !self.rules.classic() {
            let at = self.judge(f.data_set, f.period);
            let c = &self.closed[at as usize];
            let expired = c.expired.as_ref().filter(|_| !self.exempt(f.data_set, f));
            return c
                .input
                .as_ref()
                .or(expired)
                .or(c.future.as_ref())
                .and_then(verdict);
        }
        let mut targets = std::mem::take(&mut self.targets);
        self.classic_targets_into(f, &mut targets);
        let verdict = self.classic_period_closed(f, &targets);
        self.targets = targets;
        verdict
    }

    /// ≤ 2.42's period checks over the value's target data sets, in its order; nothing
    /// allocated but a verdict's text, each data set's judgement looked up once.
    fn classic_period_closed(&mut self, f: &Facts, targets: &[usize]) -> Verdict {
        let verdict = |detail: &String| Some((Reason::PeriodClosed, detail.clone()));
        let mut judged = std::mem::take(&mut self.judged);
        judged.clear();
        for &ds in targets.iter().chain(f.every) {
            let at = self.judge(ds, f.period);
            judged.push(at);
        }
        let (at_targets, at_every) = judged.split_at(targets.len());
        let closed = |at: u32| &self.closed[at as usize];
        // Expiry and input periods: closed when no target data set is open (non-strict); a
        // lock exception opens a data set's expired period (`isLocked`).
        let expired =
            |(ds, at): (usize, u32)| closed(at).expired.as_ref().filter(|_| !self.exempt(ds, f));
        let pairs = || targets.iter().copied().zip(at_targets.iter().copied());
        let found = if !targets.is_empty() && pairs().all(|p| expired(p).is_some()) {
            pairs().next().and_then(expired).and_then(verdict)
        } else if let Some(future) = at_targets.iter().find_map(|&at| closed(at).future.as_ref()) {
            verdict(future)
        } else {
            let input_closed = |list: &[u32]| {
                (!list.is_empty() && list.iter().all(|&at| closed(at).input.is_some()))
                    .then(|| closed(list[0]).input.as_ref())
                    .flatten()
            };
            // E7644 last: every data set of the data element, whatever the org unit.
            input_closed(at_targets)
                .or_else(|| input_closed(at_every))
                .and_then(verdict)
        };
        self.judged = judged;
        found
    }

    /// A lock exception for data set `ds`, the value's org unit and period
    /// (2.43 `getExpiryDaysExemptedIsoPeriodsByOrgUnit`, ≤ 2.42 `lockExceptionStore.getCount`).
    fn exempt(&self, ds: usize, f: &Facts) -> bool {
        let ou = f.unit.map(|u| &self.meta.organisation_units[u]);
        ou.is_some_and(|ou| {
            self.hmis
                .exempt(&self.meta.data_sets[ds].id, &ou.id, f.period.id)
        })
    }

    /// `approved` (`--approvals`): 2.43 E8033 for the data set group when an approval exists
    /// at the value's own org unit; ≤ 2.42 E7642 when every target data set is approved at
    /// the org unit or above it (non-strict). A data set without a workflow is never approved.
    fn approved(&mut self, f: &Facts) -> Verdict {
        if !self.hmis.approvals_given {
            return None;
        }
        let mut targets = std::mem::take(&mut self.targets);
        if self.rules.classic() {
            self.classic_targets_into(f, &mut targets);
        } else {
            targets.clear();
            targets.push(f.data_set);
        }
        let verdict = self.approved_in(f, &targets);
        self.targets = targets;
        verdict
    }

    /// [`approved`](Self::approved) for the value's target data sets.
    fn approved_in(&self, f: &Facts, targets: &[usize]) -> Verdict {
        let meta = self.meta;
        let ou = &meta.organisation_units[f.unit?];
        let default_aoc = f.aoc.0.is_empty();
        let aoc = match f.aoc.0 {
            "" => meta.default_option_combo_uid(),
            aoc => meta.category_option_combo(aoc)?.0.id.as_str(),
        };
        let lineage = meta.lineage(&ou.id).unwrap_or_default();
        let classic = self.rules.classic();
        let mut first = None;
        for &ds in targets {
            let set = &meta.data_sets[ds];
            let wf = set.workflow.as_ref()?;
            let key = (wf.id.as_str(), f.period.id, ou.id.as_str(), aoc);
            let found = self.hmis.approval(key, lineage, classic)?;
            first.get_or_insert((set, found));
        }
        let (set, found) = first?;
        let name = crate::metadata::id_for(&set.id, &set.code, true);
        let at = match found {
            Approval::Here(state) => format!("at {} ({state})", f.org_unit.0),
            Approval::Above(a) => format!("at {a}, above {}", f.org_unit.0),
        };
        let mut detail = format!(
            "{} of data set {name} is approved {at}: DHIS2 refuses changes to approved data (2.43: E8033, for the whole data set group; ≤ 2.42: E7642)",
            f.period.id
        );
        if default_aoc && !classic {
            detail.push_str("; 2.43 itself would not stop it (it checks approvals only for values that name their attribute option combo, and the default one is written blank) and would overwrite approved data");
        }
        Some((Reason::Approved, detail))
    }

    /// How data set `ds` treats period `p` on the import date, judged once: its place in
    /// `closed`.
    fn judge(&mut self, ds: usize, p: &PeriodFacts) -> u32 {
        if let Some(&at) = self.data_sets.get(&(ds, p.key)) {
            return at;
        }
        let set = &self.meta.data_sets[ds];
        let c = timeliness::judge(set, &self.input_periods[ds], p, &self.rules);
        let at = u32::try_from(self.closed.len()).unwrap_or(u32::MAX);
        self.closed.push(c);
        self.data_sets.insert((ds, p.key), at);
        at
    }

    /// E8031 (2.43+): the period starts before the org unit opened or after it closed.
    fn org_unit_closed(&mut self, f: &Facts) -> Verdict {
        let key = (f.org_unit.1, f.period.key);
        if let Some(v) = self.org_units.get(&key) {
            return v.clone();
        }
        let verdict = f.unit.map(|u| &self.meta.organisation_units[u]).and_then(|o| {
            let start = f.period.start;
            let opening = Moment::parse(o.opening_date.as_deref()).map(|m| m.date);
            let closed = Moment::parse(o.closed_date.as_deref()).map(|m| m.date);
            let why = match (opening, closed) {
                (Some(op), _) if op > start => format!("it opened on {op}"),
                (_, Some(cl)) if cl < start => format!("it closed on {cl}"),
                _ => return None,
            };
            Some((
                Reason::OrgUnitClosed,
                format!(
                    "org unit `{}` does not take data for {}, which starts on {start}: {why} (DHIS2 2.43+: E8031)",
                    f.org_unit.0, f.period.id
                ),
            ))
        });
        self.org_units.insert(key, verdict.clone());
        verdict
    }

    /// E8025 (2.43+) / E7639 (≤ 2.42): category options restricted to org units.
    fn option_org_units(&mut self, f: &Facts) -> Verdict {
        if f.aoc.0.is_empty() {
            return None;
        }
        let key = (f.aoc.1, f.org_unit.1);
        if let Some(v) = self.option_units.get(&key) {
            return v.clone();
        }
        let verdict = self.option_org_units_uncached(f);
        self.option_units.insert(key, verdict.clone());
        verdict
    }

    fn option_org_units_uncached(&self, f: &Facts) -> Verdict {
        let meta = self.meta;
        let lineage = meta.lineage(f.org_unit.0)?;
        let (aoc, _) = meta.category_option_combo(f.aoc.0)?;
        let restricted: Vec<_> = aoc
            .category_options
            .iter()
            .filter_map(|r| meta.category_option(&r.id))
            .filter(|o| !o.organisation_units.is_empty())
            .collect();
        let outside = if self.rules.classic() {
            // ≤ 2.42: the org units common to every restricted option (CategoryOptionCombo
            // .getOrganisationUnits), then OrganisationUnit.isDescendant.
            let mut common: Option<Vec<&String>> = None;
            for o in &restricted {
                let ids: Vec<&String> = o.organisation_units.iter().map(|r| &r.id).collect();
                common = Some(match common {
                    None => ids,
                    Some(c) => c.into_iter().filter(|id| ids.contains(id)).collect(),
                });
            }
            common
                .filter(|c| !c.iter().any(|id| lineage.contains(id)))
                .and(restricted.first().copied())
        } else {
            restricted
                .iter()
                .find(|o| !o.organisation_units.iter().any(|r| lineage.contains(&r.id)))
                .copied()
        }?;
        let name = crate::metadata::id_for(&outside.id, &outside.code, true);
        Some((
            Reason::OrgUnitNotAssigned,
            format!(
                "org unit `{}` is outside the org units of category option `{name}` of attribute option combo `{}` (DHIS2: E8025, ≤ 2.42 E7639)",
                f.org_unit.0, f.aoc.0
            ),
        ))
    }

    /// E8032 (2.43+) / E7638 (≤ 2.42): the period and the attribute options' dates.
    fn option_dates(&mut self, f: &Facts) -> Verdict {
        if f.aoc.0.is_empty() {
            return None;
        }
        let key = (f.aoc.1, f.period.key, f.data_set);
        if let Some(v) = self.option_dates.get(&key) {
            return v.clone();
        }
        let verdict = self.option_dates_uncached(f);
        self.option_dates.insert(key, verdict.clone());
        verdict
    }

    fn option_dates_uncached(&self, f: &Facts) -> Verdict {
        let meta = self.meta;
        let (aoc, _) = meta.category_option_combo(f.aoc.0)?;
        let options: Vec<_> = aoc
            .category_options
            .iter()
            .filter_map(|r| meta.category_option(&r.id))
            .collect();
        let date = |s: &Option<String>| Moment::parse(s.as_deref()).map(|m| m.date);
        let start = options.iter().filter_map(|o| date(&o.start_date)).max();
        let p = f.period;
        let inside = |from: Date, to: Date, end: Option<Date>| {
            start.is_none_or(|s| s <= from) && end.is_none_or(|e| to <= e)
        };
        let fits = if self.rules.classic() {
            // ≤ 2.42: the period must overlap; each option's end moves forward by the data
            // set's openPeriodsAfterCoEndDate (CategoryOption.getAdjustedEndDate).
            let after: Vec<&DataSet> = if self.rules.payload_data_set {
                vec![&meta.data_sets[f.data_set]]
            } else {
                f.every.iter().map(|&i| &meta.data_sets[i]).collect()
            };
            let end = options
                .iter()
                .filter_map(|o| {
                    let e = date(&o.end_date)?;
                    let adjusted = after
                        .iter()
                        .filter(|ds| ds.open_periods_after_co_end_date > 0)
                        .filter_map(|ds| {
                            let pt = ds.period_type.as_deref().and_then(PeriodType::from_name)?;
                            Some(calendar::rewind(
                                self.rules.calendar,
                                pt,
                                e,
                                -ds.open_periods_after_co_end_date,
                            ))
                        })
                        .max();
                    Some(adjusted.map_or(e, |a| a.max(e)))
                })
                .min();
            start.is_none_or(|s| s <= p.end) && end.is_none_or(|e| e >= p.start)
        } else {
            // 2.43+: the period must lie inside; with openPeriodsAfterCoEndDate n the period is
            // moved back by n periods instead.
            let end = options.iter().filter_map(|o| date(&o.end_date)).min();
            let n = meta.data_sets[f.data_set].open_periods_after_co_end_date;
            inside(p.start, p.end, end)
                || n > 0
                    && inside(
                        calendar::rewind(self.rules.calendar, p.period_type, p.start, n),
                        calendar::rewind(self.rules.calendar, p.period_type, p.end, n),
                        end,
                    )
        };
        if fits {
            return None;
        }
        let end = options.iter().filter_map(|o| date(&o.end_date)).min();
        let show = |d: Option<Date>| d.map_or("…".to_string(), |d| d.to_string());
        Some((
            Reason::AttributeOptionClosed,
            format!(
                "{} ({} .. {}) is not within the dates of attribute option combo `{}` ({} .. {}) (DHIS2: E8032, ≤ 2.42 E7638)",
                p.id,
                p.start,
                p.end,
                f.aoc.0,
                show(start),
                show(end)
            ),
        ))
    }
}

/// The facts a verdict depends on (the texts and the unit follow from the interned keys), and
/// the verdict, of the last value checked.
#[derive(Default)]
struct LastCheck {
    /// Whether a value was checked.
    held: bool,
    data_set: usize,
    every: Vec<usize>,
    period: Id,
    org_unit: Id,
    aoc: Id,
    verdict: Verdict,
}

impl LastCheck {
    fn is_of(&self, f: &Facts) -> bool {
        self.held
            && self.data_set == f.data_set
            && self.period == f.period.key
            && self.org_unit == f.org_unit.1
            && self.aoc == f.aoc.1
            && self.every == f.every
    }

    fn keep(&mut self, f: &Facts, verdict: &Verdict) {
        self.held = true;
        self.data_set = f.data_set;
        self.every.clear();
        self.every.extend_from_slice(f.every);
        self.period = f.period.key;
        self.org_unit = f.org_unit.1;
        self.aoc = f.aoc.1;
        self.verdict.clone_from(verdict);
    }
}

/// A data set's category combo's UID (blank: none) and whether it is the default combo.
fn data_set_combo<'m>(meta: &'m Metadata, ds: &'m DataSet) -> (&'m str, bool) {
    let combo = ds.category_combo.as_ref().map_or("", |c| c.id.as_str());
    (combo, meta.is_default_combo(combo))
}

mod timeliness;

#[cfg(test)]
mod tests;
