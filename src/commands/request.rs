//! `pi2de request`: the analytics URLs that export, on the tracker instance, what a mapping
//! converts: `/api/analytics/dataValueSet.json` with the mapping's program indicators as `dx`,
//! the periods, the org units, and the id schemes the mapping's source column expects. The
//! indicators are cut into batches — one period type per batch, at most `--max-items`
//! indicators, each URL at most `--max-url` bytes — because servers cap URL length (often near
//! 8 KB) and analytics times out on very large requests. A `curl` line per batch saves each
//! export to its own file.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{Result, bail};

use crate::cli::RequestArgs;
use crate::exit_codes::ExitCode;
use crate::ids::is_uid;
use crate::mapping::{Mapping, TargetScheme};
use crate::metadata::Metadata;
use crate::period::{Calendar, PeriodType, Window, calendar};
use crate::words::count;

/// One URL to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub period_type: PeriodType,
    pub items: usize,
    pub url: String,
}

pub fn run(args: &RequestArgs) -> Result<ExitCode> {
    let mapping = Mapping::load(&args.mapping, TargetScheme::Code)?;
    let meta = args
        .target_metadata
        .as_deref()
        .map(Metadata::load)
        .transpose()?;
    let default_type = PeriodType::from_name(&args.period_type).ok_or_else(|| {
        anyhow::anyhow!(
            "--period-type {}: not a DHIS2 period type (Monthly, Quarterly, …)",
            args.period_type
        )
    })?;
    let window = args
        .periods
        .as_deref()
        .map(|w| Window::parse_in(args.calendar, w))
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let groups = sources_by_period_type(&mapping, meta.as_ref(), default_type);
    if groups.is_empty() {
        bail!(
            "{}: no enabled row names a source program indicator",
            args.mapping
        );
    }
    let plan = Plan {
        server: args.server.trim_end_matches('/').to_string(),
        org_units: org_units(args),
        schemes: schemes(&mapping),
        max_url: args.max_url,
        max_items: args.max_items,
    };
    let mut batches = Vec::new();
    let mut skipped = Vec::new();
    for (pt, sources) in &groups {
        let periods = periods(args.calendar, *pt, window)?;
        if periods.is_empty() {
            skipped.push((*pt, sources.len()));
            continue;
        }
        batches.extend(plan.batches(*pt, sources, &periods)?);
    }
    let window_text = window.map(|w| w.to_string()).unwrap_or_default();
    if batches.is_empty() {
        let types: Vec<String> = skipped.iter().map(|(pt, _)| pt.to_string()).collect();
        bail!(
            "--periods {window_text}: holds no whole {} period: widen it",
            types.join(" or ")
        );
    }
    print(&batches, args)?;
    for (pt, n) in skipped {
        crate::term::error_line(&format!(
            "pi2de: note: --periods {window_text} holds no whole {pt} period: {} of {pt} data sets not requested",
            count(n as u64, "program indicator")
        ));
    }
    if args.org_unit.is_empty() && args.org_unit_level.is_none() {
        crate::term::error_line(
            "pi2de: note: no --org-unit or --org-unit-level: analytics sums to your user's org \
             units; for facility values add --org-unit-level N (the facility level)",
        );
    }
    Ok(ExitCode::Success)
}

/// The enabled rows' sources, per the period type of their data set (from the target metadata;
/// else `default`), in mapping order, each once.
fn sources_by_period_type(
    mapping: &Mapping,
    meta: Option<&Metadata>,
    default: PeriodType,
) -> BTreeMap<PeriodType, Vec<String>> {
    let mut out: BTreeMap<PeriodType, Vec<String>> = BTreeMap::new();
    for r in mapping
        .rows
        .iter()
        .filter(|r| r.enabled && !r.source.is_empty())
    {
        let types = meta.map(|m| period_types(m, r)).unwrap_or_default();
        let types = if types.is_empty() {
            vec![default]
        } else {
            types
        };
        for pt in types {
            let list = out.entry(pt).or_default();
            if !list.contains(&r.source) {
                list.push(r.source.clone());
            }
        }
    }
    out
}

/// The period types of a row's data sets: those it names, else every data set holding its data
/// element (a data element can be in a Quarterly and a Yearly set).
fn period_types(m: &Metadata, r: &crate::mapping::MappingRow) -> Vec<PeriodType> {
    let sets: Vec<&crate::metadata::DataSet> = if r.data_set.trim().is_empty() {
        m.data_element(&r.data_element)
            .map(|(de, _)| m.data_sets_of(&de.id))
            .unwrap_or_default()
    } else {
        r.data_sets()
            .filter_map(|id| m.data_set(id).map(|(d, _)| d))
            .collect()
    };
    let mut types: Vec<PeriodType> = sets
        .iter()
        .filter_map(|d| d.period_type.as_deref().and_then(PeriodType::from_name))
        .collect();
    types.sort();
    types.dedup();
    types
}

/// The `ou` dimension: the org units given and the level, else the user's org units.
fn org_units(args: &RequestArgs) -> String {
    let mut ou: Vec<String> = args.org_unit.clone();
    if let Some(level) = args.org_unit_level {
        if ou.is_empty() {
            ou.push("USER_ORGUNIT".into());
        }
        ou.push(format!("LEVEL-{level}"));
    }
    if ou.is_empty() {
        ou.push("USER_ORGUNIT".into());
    }
    ou.iter()
        .map(|o| percent_encode(o))
        .collect::<Vec<_>>()
        .join(";")
}

/// An id as a URL carries it: letters, digits and `-._~` as they are, every other byte `%XX`.
fn percent_encode(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The id-scheme parameters: sources written as codes are asked for, and written out, by code.
fn schemes(mapping: &Mapping) -> String {
    let codes = |f: &dyn Fn(&crate::mapping::MappingRow) -> &str| {
        mapping
            .rows
            .iter()
            .map(f)
            .any(|id| !id.is_empty() && !is_uid(id))
    };
    let mut out = String::new();
    if codes(&|r| r.source.as_str()) {
        out.push_str("&inputIdScheme=CODE&outputDataItemIdScheme=CODE");
    }
    if codes(&|r| r.source_category_option_combo.as_str())
        || codes(&|r| r.source_attribute_option_combo.as_str())
    {
        out.push_str("&outputIdScheme=CODE&outputOrgUnitIdScheme=UID");
    }
    out
}

/// The periods of a type inside the window; without one, the last whole period (relative).
fn periods(cal: Calendar, pt: PeriodType, window: Option<Window>) -> Result<Vec<String>> {
    let Some(w) = window else {
        return Ok(vec![relative(pt).to_string()]);
    };
    let (Some(from), Some(to)) = (w.from, w.to) else {
        bail!("--periods needs both ends here (202401..202403): the URLs list every period");
    };
    let mut out = Vec::new();
    let mut next = calendar::holding(cal, pt, from);
    while let Some(p) = next.filter(|p| p.end <= to) {
        if p.start >= from {
            out.push(p.id.clone());
        }
        next = calendar::shift(cal, &p, 1);
    }
    Ok(out)
}

/// DHIS2's relative period for the last whole period of a type.
fn relative(pt: PeriodType) -> &'static str {
    use PeriodType::*;
    match pt {
        Daily => "YESTERDAY",
        Weekly | WeeklyWednesday | WeeklyThursday | WeeklyFriday | WeeklySaturday
        | WeeklySunday => "LAST_WEEK",
        BiWeekly => "LAST_BIWEEK",
        Monthly => "LAST_MONTH",
        BiMonthly => "LAST_BIMONTH",
        Quarterly | QuarterlyNov => "LAST_QUARTER",
        SixMonthly | SixMonthlyApril | SixMonthlyNov => "LAST_SIX_MONTH",
        Yearly => "LAST_YEAR",
        _ => "LAST_FINANCIAL_YEAR",
    }
}

/// What every URL shares.
struct Plan {
    server: String,
    org_units: String,
    schemes: String,
    max_url: usize,
    max_items: usize,
}

impl Plan {
    fn url(&self, dx: &[String], pe: &[String]) -> String {
        let dx: Vec<String> = dx.iter().map(|d| percent_encode(d)).collect();
        format!(
            "{}/api/analytics/dataValueSet.json?dimension=dx:{}&dimension=pe:{}&dimension=ou:{}{}",
            self.server,
            dx.join(";"),
            pe.join(";"),
            self.org_units,
            self.schemes
        )
    }

    /// The sources cut into batches within the limits; periods are cut too when even one
    /// source with all of them would not fit.
    fn batches(
        &self,
        pt: PeriodType,
        sources: &[String],
        periods: &[String],
    ) -> Result<Vec<Batch>> {
        let longest = sources
            .iter()
            .max_by_key(|s| s.len())
            .cloned()
            .unwrap_or_default();
        let mut period_chunks: Vec<&[String]> = Vec::new();
        let mut rest = periods;
        while !rest.is_empty() {
            let n = (1..=rest.len())
                .rev()
                .find(|&n| {
                    self.url(std::slice::from_ref(&longest), &rest[..n]).len() <= self.max_url
                })
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "--max-url {}: too short for even one indicator and one period",
                        self.max_url
                    )
                })?;
            period_chunks.push(&rest[..n]);
            rest = &rest[n..];
        }
        let mut out = Vec::new();
        for pe in period_chunks {
            let mut dx: Vec<String> = Vec::new();
            for s in sources {
                dx.push(s.clone());
                if dx.len() > self.max_items || self.url(&dx, pe).len() > self.max_url {
                    dx.pop();
                    out.push(self.batch(pt, &dx, pe));
                    dx = vec![s.clone()];
                }
            }
            if !dx.is_empty() {
                out.push(self.batch(pt, &dx, pe));
            }
        }
        Ok(out)
    }

    fn batch(&self, pt: PeriodType, dx: &[String], pe: &[String]) -> Batch {
        Batch {
            period_type: pt,
            items: dx.len(),
            url: self.url(dx, pe),
        }
    }
}

fn print(batches: &[Batch], args: &RequestArgs) -> std::io::Result<()> {
    let mut o = crate::term::stdout();
    let n = batches.len();
    for (i, b) in batches.iter().enumerate() {
        if args.urls_only {
            writeln!(o, "{}", b.url)?;
            continue;
        }
        writeln!(
            o,
            "# batch {}/{n}: {}, {} periods, {} bytes",
            i + 1,
            count(b.items as u64, "program indicator"),
            b.period_type,
            b.url.len()
        )?;
        let file = format!("export-{}.json", i + 1);
        let curl = ["curl", "-u", "USER", "--fail", "-o", &file, &b.url];
        writeln!(o, "{}", crate::shell::line(&curl))?;
    }
    if !args.urls_only && n > 0 {
        let files: Vec<String> = (1..=n).map(|i| format!("export-{i}.json")).collect();
        let mut words = vec!["then:", "pi2de", "convert"];
        words.extend(files.iter().map(String::as_str));
        words.extend(["-m", &args.mapping, "-o", "hmis.json"]);
        if let Some(meta) = &args.target_metadata {
            words.extend(["--target-metadata", meta]);
        }
        if !args.calendar.is_iso() {
            words.extend(["--calendar", args.calendar.name()]);
        }
        writeln!(o, "{}", crate::shell::comment(&words))?;
    }
    Ok(())
}
