//! The short summary printed on stderr after a conversion.

use super::Run;
use crate::convert::Reason;

pub fn print(run: &Run) {
    for line in lines(run) {
        eprintln!("{line}");
    }
}

/// The console report as lines.
pub fn lines(run: &Run) -> Vec<String> {
    let p = run.converted;
    let config = run.config;
    let mut out = Vec::new();
    let files = run.inputs.len();
    out.push(format!(
        "pi2de: read {} values from {files} input{}",
        p.ledger.read,
        if files == 1 { "" } else { "s" }
    ));
    if let Some(t) = &run.target {
        out.push(format!("  target: {}", t.describe()));
    }
    let target = if config.dry_run {
        "(dry run: no file written)".to_string()
    } else {
        format!("→ {}", config.output_name)
    };
    out.push(format!("  written    {:>9}  {target}", p.written()));
    let read_deletions = p.input_deletions();
    if read_deletions > 0 {
        out.push(format!(
            "    of which {read_deletions} deletion{} (read with deleted=true, written as such)",
            if read_deletions == 1 { "" } else { "s" }
        ));
    }
    let left = p.ledger.left_total();
    if left > 0 {
        out.push(format!("  left out   {left:>9}"));
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
                        .map(|u| format!("{} ×{}", u.data_element, u.count))
                        .collect();
                    format!(
                        "  ({} source item{}: {}{})",
                        u.len(),
                        if u.len() == 1 { "" } else { "s" },
                        top.join(", "),
                        if u.len() > 3 { ", …" } else { "" }
                    )
                }
                _ => String::new(),
            };
            out.push(format!("    {:<18} {n:>9}{note}", reason.name()));
        }
    }
    if p.conflict_count() > 0 {
        let first = p.conflicts().first().map(|c| {
            format!(
                ": e.g. {} ← {} ({})",
                c.key,
                c.values.join(" / "),
                c.resolution
            )
        });
        out.push(format!(
            "  duplicates: {} key{} received different values{}",
            p.conflict_count(),
            if p.conflict_count() == 1 { "" } else { "s" },
            first.unwrap_or_default()
        ));
    }
    if let Some(m) = run.mapping {
        let warnings: Vec<_> = m.warnings().collect();
        if !warnings.is_empty() {
            out.push(format!(
                "  mapping: {} warning{}:",
                warnings.len(),
                if warnings.len() == 1 { "" } else { "s" }
            ));
            for w in warnings.iter().take(5) {
                out.push(format!("    {}: {}", w.cell, w.message));
            }
            if warnings.len() > 5 {
                out.push(format!("    … {} more", warnings.len() - 5));
            }
        }
    }
    if left > p.identical_merged() {
        out.push(format!(
            "  Some values were left out{}.",
            match &config.summary {
                Some(s) => format!(": every one is listed in {s}"),
                None => ": run with --summary FILE.json to see each one".into(),
            }
        ));
    }
    if !run.deletions.is_empty() {
        out.push(format!(
            "  deletions  {:>9}  (values of --previous outputs that are gone at the source, written with deleted=true)",
            run.deletions.len()
        ));
    }
    for w in &run.warnings {
        out.push(format!("  warning: {w}"));
    }
    if let Some((path, n)) = &run.complete {
        out.push(format!(
            "  completeness: {n} data set registrations → {path}"
        ));
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
                if homeless == 1 { "value belongs".to_string() } else { "values belong".to_string() }
            ));
        }
    }
    if run.wrote_output() && config.output_name != "-" {
        for f in &run.files {
            let ds = f
                .data_set
                .as_ref()
                .map_or(String::new(), |d| format!(", data set {}", d.id));
            let deletions = if f.deletions > 0 {
                format!(", {} deletions", f.deletions)
            } else {
                String::new()
            };
            out.push(format!(
                "To import {} ({} values{deletions}{ds}):",
                f.path, f.values
            ));
            for line in run.instructions(f) {
                out.push(format!("  {line}"));
            }
        }
    }
    out
}
