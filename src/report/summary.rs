//! The machine-readable run summary (`--summary`).

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::Run;
use crate::pipeline::DETAIL_CAP;

/// Builds the summary object.
pub fn build(run: &Run) -> Value {
    let p = run.pipeline;
    let left: serde_json::Map<String, Value> = p
        .left_out_counts()
        .map(|(r, n)| (r.name().to_string(), json!(n)))
        .collect();
    let inputs: Vec<Value> = run
        .inputs
        .iter()
        .map(|i| {
            json!({
                "path": i.path, "format": i.format, "compression": i.compression,
                "sha256": i.sha256, "values": i.values,
            })
        })
        .collect();
    let files: Vec<Value> = run
        .files
        .iter()
        .map(|f| {
            json!({
                "path": f.path, "format": run.format, "gzip": run.gzip, "sha256": f.sha256,
                "values": f.values, "deletions": f.deletions,
                "dataSet": f.data_set.as_ref().map(|d| &d.id), "idSchemes": run.schemes,
                "import": run.instructions(f),
            })
        })
        .collect();
    let output = match files.as_slice() {
        [] => Value::Null,
        [one] if run.args.split_by.is_none() => one.clone(),
        _ => {
            json!({ "path": run.args.output, "format": run.format, "values": p.written, "files": files.len() })
        }
    };
    let deletions: Vec<Value> = p
        .deletion_list()
        .into_iter()
        .take(DETAIL_CAP)
        .map(|d| json!({ "key": d.key, "value": d.value, "dataSet": d.data_set, "source": d.source }))
        .collect();
    let mapping = run.mapping.map(|m| {
        let rows: Vec<Value> = m
            .rows
            .iter()
            .zip(&p.row_counts)
            .map(|(r, n)| {
                json!({
                    "row": r.row, "programIndicator": r.source,
                    "sourceCategoryOptionCombo": r.source_category_option_combo,
                    "sourceAttributeOptionCombo": r.source_attribute_option_combo,
                    "dataElement": r.data_element, "categoryOptionCombo": r.category_option_combo,
                    "attributeOptionCombo": r.attribute_option_combo, "enabled": r.enabled,
                    "values": n,
                })
            })
            .collect();
        json!({ "path": m.path, "sheet": m.sheet, "rows": rows, "findings": m.findings })
    });
    let args = run.args;
    json!({
        "tool": format!("pi2de {}", env!("CARGO_PKG_VERSION")),
        "inputs": inputs,
        "mapping": mapping,
        "output": output,
        "outputs": files,
        "deletions": p.deletion_count(),
        "deletedValues": deletions,
        "completeness": run.complete.as_ref().map(|(path, n)| json!({ "path": path, "registrations": n, "minValues": run.args.complete_min })),
        "dryRun": args.dry_run,
        "options": {
            "onDuplicate": format!("{:?}", args.on_duplicate).to_lowercase(),
            "onUnmapped": format!("{:?}", args.on_unmapped).to_lowercase(),
            "targetScheme": args.target_scheme.map(|s| format!("{s:?}").to_lowercase()),
            "orgUnitScheme": args.org_unit_scheme.map(|s| format!("{s:?}").to_lowercase()),
            "comment": args.comment,
            "periods": args.periods,
            "excludeCurrent": args.exclude_current,
            "asOf": args.as_of,
            "targetVersion": args.target_version,
            "editExpired": args.edit_expired,
            "targetMetadata": args.target_metadata,
            "previous": args.previous,
            "splitBy": args.split_by.map(|_| "data-set"),
            "maxValues": args.max_values,
        },
        "target": run.target.as_ref().map(|t| json!({
            "version": t.version.map(|v| v.to_string()),
            "source": t.source,
            "rules": match t.version { Some(v) if !v.is_entry_pipeline() => "2.42", _ => "2.43" },
        })),
        "warnings": run.warnings,
        "counts": { "read": p.read, "written": p.written, "deleted": p.input_deletions(), "leftOut": left },
        "duplicates": p.conflicts,
        "duplicateKeys": p.conflict_count,
        "unmapped": p.unmapped(),
        "leftOutValues": p.left_out,
        "leftOutValuesCapped": p.left_out_capped(),
        "detailCap": DETAIL_CAP,
        "failure": run.failure,
        "exitCode": run.exit_code,
    })
}

/// Writes the summary to `path` (`-` for stdout).
pub fn write(path: &str, run: &Run) -> Result<()> {
    let text = serde_json::to_string_pretty(&build(run))? + "\n";
    if path == "-" {
        print!("{text}");
        return Ok(());
    }
    crate::write::write_atomic(path, text.as_bytes()).context("--summary")
}
