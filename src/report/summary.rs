//! The machine-readable run summary (`--summary`).

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::Run;
use crate::config::OutputPlan;
use crate::convert::ledger::DETAIL_CAP;

/// Builds the summary object.
pub fn build(run: &Run) -> Value {
    let c = run.entries.converted;
    let config = run.config;
    let left: serde_json::Map<String, Value> = c
        .ledger
        .counts()
        .map(|(r, n)| (r.name().to_string(), json!(n)))
        .collect();
    let deletions: Vec<Value> = run
        .deletion_rows()
        .into_iter()
        .take(DETAIL_CAP)
        .map(|d| json!({ "key": d.key, "value": d.value, "dataSet": d.data_set, "source": d.source }))
        .collect();
    json!({
        "tool": format!("pi2de {}", env!("CARGO_PKG_VERSION")),
        "inputs": inputs(run),
        "mapping": mapping(run),
        "output": output(run),
        "outputs": files(run),
        "deletions": run.entries.deletions.len(),
        "deletedValues": deletions,
        "completeness": run.complete.as_ref().map(|(path, r)| json!({
            "path": path, "registrations": r.len(),
            "date": config.complete.as_ref().and_then(|c| c.date.as_deref()),
            "lackingCompulsory": r.iter().filter(|r| !r.missing.is_empty()).map(|r| json!({
                "dataSet": r.data_set.id, "period": r.period, "orgUnit": r.org_unit,
                "attributeOptionCombo": r.attribute_option_combo, "missing": r.missing,
                "skipped": r.skipped,
            })).collect::<Vec<_>>(),
            "minValues": config.complete.as_ref().map_or(1, |c| c.min),
        })),
        "dryRun": config.dry_run,
        "options": options(run),
        "periods": run.periods().iter().map(|p| json!({
            "id": p.id, "periodType": p.period_type.name(),
            "start": p.start.to_string(), "end": p.end.to_string(),
        })).collect::<Vec<_>>(),
        "targetMetadata": run.config.target_metadata.as_ref().map(|p| json!({
            "path": p, "sha256": run.facts.metadata_sha256,
        })),
        "target": run.facts.target.as_ref().map(|t| json!({
            "version": t.version.map(|v| v.to_string()),
            "source": t.source,
            "rules": match t.version { Some(v) if !v.is_entry_pipeline() => "2.42", _ => "2.43" },
        })),
        "warnings": run.facts.warnings,
        "outliers": run.facts.screening.as_ref().map(|s| json!({
            "method": run.config.outlier_method.name(),
            "threshold": run.config.outlier_threshold,
            "judged": s.judged, "notJudged": s.not_judged, "outliers": s.outliers.len(),
            "flagged": run.config.flag_outliers,
            "values": s.outliers.iter().take(DETAIL_CAP).map(|o| json!({
                "key": o.key, "value": o.value, "middle": o.score.middle, "spread": o.score.spread,
                "score": o.score.score, "lowerBound": o.score.lower, "upperBound": o.score.upper,
                "values": o.values,
            })).collect::<Vec<_>>(),
            "outsideMinMax": s.out_of_bounds.iter().take(DETAIL_CAP).map(|o| json!({
                "key": o.key, "value": o.value, "min": o.min, "max": o.max,
            })).collect::<Vec<_>>(),
        })),
        "hmisEdits": run.facts.hmis_edits.as_ref().map(|h| {
            let n = |f: fn(&crate::policy::hmis_edits::Edit) -> bool| h.edits.iter().filter(|e| f(e)).count();
            json!({
                "commentsWiped": n(|e| e.wipes_comment),
                "followupsCleared": n(|e| e.clears_followup),
                "storedBySomeoneElse": n(|e| e.by_someone_else),
                "commentsKept": h.kept.values().filter(|(c, f)| c.is_some() || *f).count(),
                "values": h.edits.iter().take(DETAIL_CAP).map(|e| json!({
                    "key": e.key, "comment": e.comment, "followup": e.followup,
                    "storedBy": e.stored_by, "lastUpdated": e.last_updated,
                    "wipesComment": e.wipes_comment, "clearsFollowup": e.clears_followup,
                    "storedBySomeoneElse": e.by_someone_else,
                })).collect::<Vec<_>>(),
            })
        }),
        "validation": run.facts.validation.as_ref().map(|v| json!({
            "evaluated": v.evaluated, "checks": v.checks, "skipped": v.skipped,
            "violationCount": v.violations.len(),
            "violations": v.violations.iter().take(DETAIL_CAP).collect::<Vec<_>>(),
        })),
        "counts": {
            "read": c.ledger.read, "written": c.written(), "deleted": c.input_deletions(),
            "zeroFilled": run.entries.zeros.len(),
            "leftOut": left,
        },
        "duplicates": c.conflicts(),
        "duplicateKeys": c.conflict_count(),
        "unmapped": c.unmapped(),
        "leftOutValues": c.ledger.details(),
        "leftOutValuesCapped": c.ledger.capped(),
        "detailCap": DETAIL_CAP,
        "failure": run.failure,
        "exitCode": run.exit_code.code(),
    })
}

fn inputs(run: &Run) -> Vec<Value> {
    run.inputs
        .iter()
        .map(|i| {
            json!({
                "path": i.path, "format": i.format, "compression": i.compression,
                "sha256": i.sha256, "values": i.values,
            })
        })
        .collect()
}

fn files(run: &Run) -> Vec<Value> {
    run.files
        .iter()
        .map(|f| {
            json!({
                "path": f.path, "format": run.config.format, "gzip": run.gzip(), "sha256": f.sha256,
                "values": f.values, "zeros": f.zeros, "deletions": f.deletions,
                "dataSet": f.data_set.as_ref().map(|d| &d.id), "idSchemes": run.schemes,
                "import": run.instructions(f),
            })
        })
        .collect()
}

/// The output: the file, or for a split output the folder and how many files it holds.
fn output(run: &Run) -> Value {
    let files = files(run);
    match files.as_slice() {
        [] => Value::Null,
        [one] if !run.split() => one.clone(),
        _ => json!({
            "path": run.config.output_name, "format": run.config.format,
            "values": run.entries.converted.written(), "files": files.len(),
        }),
    }
}

fn mapping(run: &Run) -> Option<Value> {
    let m = run.facts.mapping?;
    let written = run.entries.converted.written_by_row(m.rows.len());
    let rows: Vec<Value> = m
        .rows
        .iter()
        .zip(&run.entries.converted.ledger.row_counts)
        .zip(written)
        .map(|((r, n), w)| {
            json!({
                "row": r.row, "programIndicator": r.source,
                "sourceCategoryOptionCombo": r.source_category_option_combo,
                "sourceAttributeOptionCombo": r.source_attribute_option_combo,
                "dataElement": r.data_element, "categoryOptionCombo": r.category_option_combo,
                "attributeOptionCombo": r.attribute_option_combo, "enabled": r.enabled,
                "values": n, "written": w, "leftOut": n.saturating_sub(w),
            })
        })
        .collect();
    Some(json!({
        "path": m.path, "sha256": run.facts.mapping_sha256, "sheet": m.sheet, "rows": rows,
        "findings": m.findings,
    }))
}

fn options(run: &Run) -> Value {
    let c = run.config;
    json!({
        "onDuplicate": c.on_duplicate.name(),
        "onUnmapped": if c.fail_on_unmapped { "fail" } else { "skip" },
        "targetScheme": c.target_scheme.map(|s| s.name()),
        "orgUnitScheme": c.org_unit_scheme.as_ref().map(|s| s.to_string().to_lowercase()),
        "comment": c.comment,
        "periods": c.periods.as_ref().map(|p| &p.0),
        "calendar": c.calendar.name(),
        "excludeCurrent": c.exclude_current,
        "asOf": c.as_of_text,
        "targetVersion": c.target_version,
        "editExpired": c.edit_expired,
        "targetMetadata": c.target_metadata,
        "previous": c.previous,
        "splitBy": run.split().then_some("data-set"),
        "maxValues": match c.output { OutputPlan::Folder { max_values, .. } => max_values, _ => None },
    })
}

/// The summary as written.
pub fn text(run: &Run) -> Result<String> {
    Ok(serde_json::to_string_pretty(&build(run)).context("--summary")? + "\n")
}
