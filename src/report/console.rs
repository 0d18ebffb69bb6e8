//! The short summary printed on stderr after a conversion: what was read, written and left out,
//! conflicts, mapping warnings, notes, and how to import each output.

use super::Run;
use crate::convert::Reason;
use crate::words::{count, size, thousands};

pub fn print(run: &Run) {
    for line in lines(run) {
        crate::term::error_line(&line);
    }
}

/// The console report as lines.
pub fn lines(run: &Run) -> Vec<String> {
    let mut out = Vec::new();
    counts(&mut out, run);
    conflicts(&mut out, run);
    mapping_warnings(&mut out, run);
    notes(&mut out, run);
    imports(&mut out, run);
    finished(&mut out, run);
    out
}

/// How long the run took and how much it wrote.
fn finished(out: &mut Vec<String>, run: &Run) {
    let bytes: u64 = run
        .files
        .iter()
        .filter_map(|f| std::fs::metadata(&f.path).ok())
        .map(|m| m.len())
        .sum();
    let wrote = if run.files.is_empty() || run.streamed() {
        String::new()
    } else {
        format!(
            ", wrote {} in {}",
            size(bytes),
            count(run.files.len() as u64, "file")
        )
    };
    out.push(format!(
        "Done in {:.1} s{wrote}.",
        run.started.elapsed().as_secs_f64()
    ));
}

/// Read, written, left out by reason.
fn counts(out: &mut Vec<String>, run: &Run) {
    let p = run.entries.converted;
    let files = run.inputs.len() as u64;
    out.push(format!(
        "pi2de: read {} from {}",
        count(p.ledger.read, "value"),
        count(files, "input")
    ));
    if let Some(t) = &run.facts.target {
        out.push(format!("  target: {}", t.describe()));
    }
    let target = if run.config.dry_run {
        "(dry run: no file written)".to_string()
    } else {
        format!("→ {}", run.config.output_name)
    };
    out.push(format!(
        "  written    {:>9}  {target}",
        thousands(p.written())
    ));
    let read_deletions = p.input_deletions();
    if read_deletions > 0 {
        out.push(format!(
            "    of which {} (read with deleted=true, written as such)",
            count(read_deletions, "deletion")
        ));
    }
    let left = p.ledger.left_total();
    if left == 0 {
        return;
    }
    out.push(format!("  left out   {:>9}", thousands(left)));
    for (reason, n) in p.ledger.counts().filter(|(_, n)| *n > 0) {
        let note = match reason {
            Reason::DuplicateMerged if n == p.identical_merged() => {
                "  (identical duplicates)".to_string()
            }
            Reason::Unmapped => {
                let u = p.unmapped();
                let top: Vec<String> = u
                    .iter()
                    .take(3)
                    .map(|u| format!("{} ×{}", u.data_element, thousands(u.count)))
                    .collect();
                let more = if u.len() > 3 { ", …" } else { "" };
                format!(
                    "  ({}: {}{more})",
                    count(u.len() as u64, "source item"),
                    top.join(", ")
                )
            }
            _ => String::new(),
        };
        out.push(format!(
            "    {:<18} {:>9}{note}",
            reason.name(),
            thousands(n)
        ));
    }
}

fn conflicts(out: &mut Vec<String>, run: &Run) {
    let p = run.entries.converted;
    let n = p.conflict_count();
    if n == 0 {
        return;
    }
    let first = p.conflicts().first().map(|c| {
        format!(
            ": e.g. {} ← {} ({})",
            c.key,
            c.values.join(" / "),
            c.resolution
        )
    });
    out.push(format!(
        "  duplicates: {} received different values{}",
        count(n, "key"),
        first.unwrap_or_default()
    ));
}

fn mapping_warnings(out: &mut Vec<String>, run: &Run) {
    let Some(m) = run.facts.mapping else { return };
    // Convert refuses a mapping with errors of its own: the errors left are target errors.
    let errors: Vec<_> = m.errors().collect();
    let warnings: Vec<_> = m.warnings().collect();
    if errors.is_empty() && warnings.is_empty() {
        return;
    }
    out.push(format!(
        "  mapping: {}",
        crate::mapping::findings_line(0, errors.len(), warnings.len())
    ));
    for w in errors.iter().chain(&warnings).take(5) {
        out.push(format!("    {}: {}", w.cell, w.message));
    }
    if errors.len() + warnings.len() > 5 {
        out.push(format!(
            "    … {} more (mapping check lists them all)",
            errors.len() + warnings.len() - 5
        ));
    }
}

/// Left-out values to look at, deletions, warnings, completeness, values without a data set.
/// Keys held on disk past `--memory`, and a budget the index alone passes.
fn memory(out: &mut Vec<String>, run: &Run) {
    let c = run.entries.converted;
    let m = c.memory_use();
    let budget = size(run.config.memory);
    if m.keys_on_disk > 0 {
        out.push(format!(
            "  on disk    {:>9}  (keys kept in a temporary file past --memory {budget}; a larger --memory is faster)",
            thousands(m.keys_on_disk.min(c.keys()) as u64)
        ));
    }
    if let Some(bytes) = m.over_budget {
        out.push(format!(
            "  note: the key index of {} keys alone takes {}, more than --memory {budget}: the run held at least that",
            thousands(c.keys() as u64),
            size(bytes as u64)
        ));
    }
}

fn notes(out: &mut Vec<String>, run: &Run) {
    let p = run.entries.converted;
    if p.ledger.left_total() > p.identical_merged() {
        let see = match &run.config.summary {
            Some(s) => format!(": every one is listed in {s}"),
            None => ": run with --summary FILE.json to see each one".into(),
        };
        out.push(format!("  Some values were left out{see}."));
    }
    if !run.entries.zeros.is_empty() {
        out.push(format!(
            "  zero-filled {:>7}  (0 written where no value arrived, --zero-fill; apart from read = written + left out)",
            run.entries.zeros.len()
        ));
    }
    if !run.entries.deletions.is_empty() {
        let stale = run
            .entries
            .deletions
            .iter()
            .filter(|d| d.previous.input as usize >= run.config.previous.len())
            .count();
        let gone = run.entries.deletions.len() - stale;
        if gone > 0 {
            out.push(format!(
                "  deletions  {gone:>9}  (values of --previous outputs that are gone at the source, written with deleted=true)"
            ));
        }
        if stale > 0 {
            out.push(format!(
                "  stale      {stale:>9}  (values the HMIS holds (--current) for mapped targets in scope that this transfer does not carry, written with deleted=true: --remove-stale also deletes values typed in by hand there)"
            ));
        }
    }
    memory(out, run);
    for w in &run.facts.warnings {
        out.push(format!("  warning: {w}"));
    }
    if let Some(s) = &run.facts.screening {
        let method = run.config.outlier_method.name();
        let mut line = format!(
            "  outliers ({method}, score ≥ {}): {} of {} values judged against the HMIS's history ({} with too little history or no spread, not judged)",
            run.config.outlier_threshold,
            s.outliers.len(),
            s.judged,
            s.not_judged
        );
        if let Some(o) = s.outliers.first() {
            line.push_str(&format!(
                "; highest: {} {} {} = {} (score {:.2}, expected {:.2} .. {:.2}){}",
                o.key.data_element,
                o.key.period,
                o.key.org_unit,
                o.value,
                o.score.score,
                o.score.lower,
                o.score.upper,
                if run.config.flag_outliers {
                    "; marked for follow-up"
                } else {
                    ""
                }
            ));
        }
        if !run.config.history.is_empty() {
            out.push(line);
        }
        if let Some(o) = s.out_of_bounds.first() {
            out.push(format!(
                "  min-max: {} outside the HMIS's bounds; first: {} {} {} = {} (bounds {} .. {})",
                count(s.out_of_bounds.len() as u64, "value"),
                o.key.data_element,
                o.key.period,
                o.key.org_unit,
                o.value,
                o.min,
                o.max
            ));
        }
    }
    if let Some(h) = &run.facts.hmis_edits
        && !h.edits.is_empty()
    {
        let n = |f: fn(&crate::policy::hmis_edits::Edit) -> bool| {
            h.edits.iter().filter(|e| f(e)).count() as u64
        };
        let first = &h.edits[0].key;
        out.push(format!(
            "  warning: the import overwrites what people did in the HMIS (--current): {} comments, {} follow-up flags, {} last stored by someone else than --integration-user; first: {} {} {}; the summary's hmisEdits lists them (--keep-hmis-comments carries comments and follow-up over)",
            n(|e| e.wipes_comment),
            n(|e| e.clears_followup),
            n(|e| e.by_someone_else),
            first.data_element,
            first.period,
            first.org_unit
        ));
    }
    if let Some(v) = &run.facts.validation {
        out.push(format!(
            "  validation rules: {} evaluated, {}{}",
            v.evaluated,
            count(v.violations.len() as u64, "violation"),
            if v.skipped.is_empty() {
                String::new()
            } else {
                format!(", {} not evaluated (see the summary)", v.skipped.len())
            }
        ));
        for x in v.violations.iter().take(3) {
            out.push(format!(
                "    {} at {} {}: {}",
                x.name,
                x.org_unit,
                x.period,
                x.failure()
            ));
        }
    }
    if let Some((path, r)) = &run.complete {
        out.push(format!(
            "  completeness: {} → {path}: import it after the values (DHIS2 checks compulsory fields against the stored values){}",
            count(r.len() as u64, "data set registration"),
            if run.config.complete.as_ref().is_some_and(|c| c.date.is_some()) {
                ""
            } else {
                "; without --complete-date the import time becomes the completion date, which timeliness is measured by"
            }
        ));
        let lacking: Vec<_> = r.iter().filter(|r| !r.missing.is_empty()).collect();
        if !lacking.is_empty() {
            let skipped = lacking.iter().filter(|r| r.skipped).count();
            let first = lacking[0];
            out.push(format!(
                "  {} lack compulsory values among those written ({} skipped by DHIS2: compulsoryFieldsCompleteOnly; the rest registered with a conflict unless the HMIS already holds them), first: {} {} {} missing {} (the summary lists them)",
                count(lacking.len() as u64, "registration"),
                skipped,
                first.data_set.id,
                first.period,
                first.org_unit,
                first.missing.join(", ")
            ));
        }
    }
    if run.split() {
        let homeless: u64 = run
            .files
            .iter()
            .filter(|f| f.data_set.is_none())
            .map(|f| f.values)
            .sum();
        if homeless > 0 {
            out.push(format!(
                "  {homeless} {} to no known data set: in a file of their own (no-data-set); DHIS2 2.43+ needs a data set to import them",
                if homeless == 1 { "value belongs" } else { "values belong" }
            ));
        }
    }
}

/// How to import each output file.
fn imports(out: &mut Vec<String>, run: &Run) {
    if !run.wrote_output() || run.streamed() {
        return;
    }
    for f in &run.files {
        let ds = f
            .data_set
            .as_ref()
            .map_or(String::new(), |d| format!(", data set {}", d.id));
        let deletions = if f.deletions > 0 {
            format!(", {}", count(f.deletions, "deletion"))
        } else {
            String::new()
        };
        out.push(format!(
            "To import {} ({}{deletions}{ds}):",
            f.path,
            count(f.values, "value")
        ));
        for line in run.instructions(f) {
            out.push(format!("  {line}"));
        }
    }
}
