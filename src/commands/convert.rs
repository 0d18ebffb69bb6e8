//! `pi2de convert`: loads the mapping (and target metadata), streams every input through the
//! pipeline, resolves duplicates, finds deletions against earlier outputs, writes the output
//! file(s) atomically, then completeness, the run summary, the audit workbook and the console
//! report.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::cli::{ConvertArgs, OrgUnitScheme, UnmappedPolicy};
use crate::mapping::{Mapping, TargetScheme, target};
use crate::metadata::{Metadata, id_for};
use crate::model::{DataValue, Header};
use crate::period::{Date, Window};
use crate::pipeline::{DuplicatePolicy, Pipeline, Rules};
use crate::preflight::Preflight;
use crate::preflight::entry::EntryRules;
use crate::preflight::version::{TargetVersion, Version};
use crate::read::{self, Format, InputInfo, Sink};
use crate::relay;
use crate::report::{self, OutputFile, Run};
use crate::write::{self, Output, Schemes};

/// The longest comment DHIS2 2.43+ accepts (E8125).
const MAX_COMMENT: usize = 5_000;

pub fn run(args: &ConvertArgs) -> Result<ExitCode> {
    let split = args.split_by.is_some();
    let (format, gzip) = if split {
        (args.to.unwrap_or(Format::Json), false)
    } else {
        output_format(&args.output, args.to)?
    };
    if let Some(c) = &args.comment {
        if c.chars().count() > MAX_COMMENT {
            bail!("--comment is longer than the {MAX_COMMENT} characters DHIS2 accepts");
        }
        if format == Format::Csv && (c.contains(['"', '\n', '\r']) || c == "null") {
            bail!(
                "--comment: DHIS2 2.43+ cannot read quotes, line breaks or the text `null` in a CSV field; change it or write JSON"
            );
        }
    }
    let window = args
        .periods
        .as_deref()
        .map(Window::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--periods {e}"))?;
    let import_date = match &args.as_of {
        Some(d) => {
            Date::parse(d).with_context(|| format!("--as-of `{d}` is not a date (yyyy-mm-dd)"))?
        }
        None => today(),
    };
    check_paths(args, split)?;
    let scheme = args.target_scheme.unwrap_or(TargetScheme::Code);
    let meta = args
        .target_metadata
        .as_deref()
        .map(Metadata::load)
        .transpose()?;
    let mut mapping = match &args.mapping {
        Some(path) => Some(load_mapping(path, scheme)?),
        None => None,
    };
    if let (Some(m), Some(meta)) = (mapping.as_mut(), meta.as_ref()) {
        let findings = target::check(m, meta, scheme);
        m.add_findings(findings);
    }
    if args.complete.is_some()
        && meta.is_none()
        && !mapping
            .as_ref()
            .is_some_and(|m| m.rows.iter().any(|r| !r.data_set.is_empty()))
    {
        bail!(
            "--complete needs to know the data sets: fill the mapping's dataSet column or give --target-metadata"
        );
    }
    if split
        && meta.is_none()
        && !mapping
            .as_ref()
            .is_some_and(|m| m.rows.iter().any(|r| !r.data_set.is_empty()))
    {
        bail!(
            "--split-by data-set needs to know the data sets: fill the mapping's dataSet column or give --target-metadata"
        );
    }
    let org_units_by_code = args.org_unit_scheme == Some(OrgUnitScheme::Code);
    let (target, mut warnings) = find_target(args, meta.as_ref())?;
    let entry_rules = EntryRules {
        version: target.version,
        as_of: import_date,
        edit_expired: args.edit_expired,
        payload_data_set: split,
    };
    // Inputs and outputs are hashed only for the summary and the report, which show it.
    let hash = args.summary.is_some() || args.report.is_some();
    // The output's temporary file exists from the start, so an interrupted run is cleaned up
    // by the same path as a finished one.
    let mut prepared = if !split && !args.dry_run && args.output != "-" {
        Some(Output::create(&args.output, gzip, hash, &args.inputs)?)
    } else {
        None
    };
    let progress = read::progress_bar(&args.inputs, !args.quiet && !args.no_progress);
    // Reading on this thread, the conversion rules on another.
    let (mut pipeline, inputs) = relay::run(
        || {
            Pipeline::new(Rules {
                mapping: mapping.as_ref(),
                policy: args.on_duplicate,
                csv_output: format == Format::Csv,
                window,
                as_of: args.exclude_current.then_some(import_date),
                preflight: meta
                    .as_ref()
                    .map(|m| Preflight::new(m, scheme, org_units_by_code, entry_rules)),
                target_scheme: scheme,
            })
        },
        |new_sender| {
            read::read_inputs(&args.inputs, args.from, hash, progress.as_ref(), new_sender)
        },
    )?;
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    pipeline.finish()?;
    let schemes = output_schemes(args, mapping.as_ref(), &inputs)?;
    if !args.previous.is_empty() {
        read_previous(args, &schemes, &mut pipeline)?;
    }

    if let (Some(v), Some(m)) = (target.version, meta.as_ref())
        && v.inverts_input_periods()
    {
        warnings.extend(inverted_input_periods(v, m, &pipeline));
    }
    let mut run = Run {
        args,
        target: (meta.is_some() || args.target_version.is_some()).then_some(target),
        warnings,
        mapping: mapping.as_ref(),
        inputs: &inputs,
        pipeline: &pipeline,
        format,
        gzip,
        schemes: &schemes,
        files: Vec::new(),
        complete: None,
        exit_code: 0,
        failure: None,
    };
    run.failure = policy_failure(args, &pipeline);
    if let Some(failure) = run.failure.clone() {
        run.exit_code = 2;
        write_reports(&run)?;
        bail!(failure);
    }
    if !args.dry_run {
        run.files = write_outputs(
            args,
            &pipeline,
            format,
            gzip,
            &schemes,
            hash,
            prepared.take(),
        )?;
        if let Some(path) = &args.complete {
            run.complete = Some((
                path.clone(),
                write_complete(path, &pipeline, args.complete_min)?,
            ));
        }
    }
    run.exit_code = if pipeline.left_out_total() == pipeline.identical_merged {
        0
    } else {
        1
    };
    write_reports(&run)?;
    if !args.quiet {
        report::console::print(&run);
    }
    Ok(ExitCode::from(run.exit_code))
}

/// The target's version (`--target-version`, else the metadata's `system.version`), and a warning
/// when the metadata's cannot be read.
fn find_target(
    args: &ConvertArgs,
    meta: Option<&Metadata>,
) -> Result<(TargetVersion, Vec<String>)> {
    let found = meta.and_then(|m| m.system_version.as_deref().map(|v| (m.path.as_str(), v)));
    let (target, warning) =
        TargetVersion::find(args.target_version.as_deref(), found).map_err(anyhow::Error::msg)?;
    Ok((target, warning.into_iter().collect()))
}

/// 2.43.0 to 2.43.1 refuse the values of data sets with input periods while those are open: a
/// warning naming the data sets this run writes to.
fn inverted_input_periods(v: Version, meta: &Metadata, pipeline: &Pipeline) -> Option<String> {
    let written = pipeline.data_sets_written();
    let hit: Vec<&str> = meta
        .data_sets
        .iter()
        .filter(|ds| !ds.data_input_periods.is_empty())
        .map(|ds| id_for(&ds.id, &ds.code, true))
        .filter(|id| written.contains(*id))
        .collect();
    (!hit.is_empty()).then(|| {
        format!(
            "DHIS2 {v} refuses the values of data sets with data input periods while the period is open, and takes them when it is closed (a defect of 2.43.0–2.43.1, fixed after 2.43.1): {} will be refused now; import them on a fixed version",
            hit.join(", ")
        )
    })
}

fn today() -> Date {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    Date::from_days(days as i64)
}

/// Checks output, summary and report paths before anything is read.
fn check_paths(args: &ConvertArgs, split: bool) -> Result<()> {
    if split {
        if args.output == "-" {
            bail!("--split-by writes several files: give a folder with -o, not -");
        }
        let dir = Path::new(&args.output);
        if dir.exists() && !dir.is_dir() {
            bail!(
                "{}: --split-by writes into a folder, and this is a file",
                args.output
            );
        }
        if !dir.exists() {
            write::check_output(&args.output, &args.inputs)?;
        }
    } else if args.output != "-" && !args.dry_run {
        write::check_output(&args.output, &args.inputs)?;
    }
    if let Some(summary) = &args.summary {
        if summary == "-" && args.output == "-" && !args.dry_run {
            bail!(
                "--summary - and -o - would both write to standard output; name a file for one of them"
            );
        }
        if summary != "-" {
            write::check_output(summary, &args.inputs).context("--summary")?;
        }
    }
    if let Some(report) = &args.report {
        if !report.to_ascii_lowercase().ends_with(".xlsx") {
            bail!("--report {report}: the audit report is a workbook; name it FILE.xlsx");
        }
        write::check_output(report, &args.inputs).context("--report")?;
    }
    if let Some(complete) = &args.complete {
        write::check_output(complete, &args.inputs).context("--complete")?;
    }
    Ok(())
}

/// The failure a `fail` policy calls for, if any.
fn policy_failure(args: &ConvertArgs, pipeline: &Pipeline) -> Option<String> {
    let unmapped = pipeline.unmapped();
    if args.on_unmapped == UnmappedPolicy::Fail && !unmapped.is_empty() {
        let items: Vec<String> = unmapped
            .iter()
            .take(10)
            .map(|u| format!("{} (×{})", u.data_element, u.count))
            .collect();
        return Some(format!(
            "{} source item(s) have no mapping row (--on-unmapped fail): {}{}; nothing was written",
            unmapped.len(),
            items.join(", "),
            if unmapped.len() > 10 { ", …" } else { "" }
        ));
    }
    if args.on_duplicate == DuplicatePolicy::Fail && pipeline.conflict_count > 0 {
        let keys: Vec<String> = pipeline
            .conflicts
            .iter()
            .take(5)
            .map(|c| format!("{} ← {}", c.key, c.values.join(" / ")))
            .collect();
        return Some(format!(
            "{} output key(s) received different values (--on-duplicate fail): {}{}; nothing was written",
            pipeline.conflict_count,
            keys.join("; "),
            if pipeline.conflict_count > 5 {
                "; …"
            } else {
                ""
            }
        ));
    }
    None
}

/// Values of earlier outputs, kept to compare with this run.
#[derive(Default)]
struct Previous(Vec<[String; 6]>);

impl Sink for Previous {
    fn begin_input(&mut self, _: usize, _: &str) {}
    fn data_value(&mut self, v: DataValue<'_>) -> Result<()> {
        // A deletion in an earlier output is not a value that can disappear.
        if v.deleted {
            return Ok(());
        }
        self.0.push([
            v.data_element.into(),
            v.period.into(),
            v.org_unit.into(),
            v.category_option_combo.into(),
            v.attribute_option_combo.into(),
            v.value.unwrap_or("").into(),
        ]);
        Ok(())
    }
}

/// Reads the `--previous` outputs and turns what disappeared into deletions.
fn read_previous(args: &ConvertArgs, schemes: &Schemes, pipeline: &mut Pipeline) -> Result<()> {
    let (previous, infos) =
        read::read_inputs(&args.previous, None, false, None, Previous::default)?;
    for info in &infos {
        let h = &info.header;
        for (what, declared, ours) in [
            (
                "data element",
                h.data_element_scheme(),
                &schemes.data_element,
            ),
            (
                "category option combo",
                h.category_option_combo_scheme(),
                &schemes.category_option_combo,
            ),
            ("org unit", h.org_unit_scheme(), &schemes.org_unit),
        ] {
            if let Some(d) = declared
                && d != *ours
            {
                bail!(
                    "{}: declares {what} id scheme {d}, but this run writes {ours}: the ids cannot be compared",
                    info.path
                );
            }
        }
    }
    for [de, pe, ou, coc, aoc, value] in &previous.0 {
        let v = DataValue {
            data_element: de,
            period: pe,
            org_unit: ou,
            category_option_combo: coc,
            attribute_option_combo: aoc,
            value: (!value.is_empty()).then_some(value.as_str()),
            deleted: false,
            place: Default::default(),
        };
        pipeline.previous_value(&v);
    }
    Ok(())
}

/// A file name for a data set id: letters, digits, `.`, `_` and `-` kept, the rest `_`.
fn file_stem(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes the output: one file, or one per data set (and part) into the output folder. All
/// files are complete on disk before any is moved into place.
fn write_outputs(
    args: &ConvertArgs,
    pipeline: &Pipeline,
    format: Format,
    gzip: bool,
    schemes: &Schemes,
    hash: bool,
    mut prepared: Option<Output>,
) -> Result<Vec<OutputFile>> {
    let split = args.split_by.is_some();
    let groups = pipeline.groups(split, args.max_values.map(|n| n as usize));
    if split && !Path::new(&args.output).exists() {
        std::fs::create_dir(&args.output)
            .with_context(|| format!("{}: cannot create the output folder", args.output))?;
    }
    let ext = format.name().to_ascii_lowercase();
    let mut parts: std::collections::HashMap<Option<String>, usize> = Default::default();
    for g in &groups {
        *parts
            .entry(g.data_set.as_ref().map(|d| d.id.clone()))
            .or_default() += 1;
    }
    let mut seen: std::collections::HashMap<Option<String>, usize> = Default::default();
    let mut pending = Vec::new();
    for g in &groups {
        let path = if split {
            let key = g.data_set.as_ref().map(|d| d.id.clone());
            let stem = key.as_deref().map_or("no-data-set".to_string(), file_stem);
            let n = seen.entry(key.clone()).or_default();
            *n += 1;
            let name = if parts[&key] > 1 {
                format!("{stem}-{n}.{ext}")
            } else {
                format!("{stem}.{ext}")
            };
            Path::new(&args.output)
                .join(name)
                .to_string_lossy()
                .to_string()
        } else {
            args.output.clone()
        };
        let mut output = match prepared.take() {
            Some(o) => o,
            None => Output::create(&path, gzip, hash, &args.inputs)?,
        };
        let comment = args.comment.as_deref();
        (|| {
            let mut w = write::writer(format, output.stream(), schemes, g.data_set.as_ref())?;
            pipeline.write_group(g, comment, |v| w.value(v))?;
            w.finish()
        })()
        .with_context(|| format!("{path}: cannot write the output"))?;
        pending.push((path, output, g));
    }
    let mut files = Vec::new();
    for (path, output, g) in pending {
        let sha256 = output.commit()?.sha256;
        files.push(OutputFile {
            path,
            data_set: g.data_set.clone(),
            values: g.values(),
            deletions: g.deletions(),
            sha256,
        });
    }
    Ok(files)
}

/// Writes the completeDataSetRegistrations payload; returns how many registrations it holds.
fn write_complete(path: &str, pipeline: &Pipeline, min: u64) -> Result<usize> {
    let registrations: Vec<serde_json::Value> = pipeline
        .registrations(min)
        .into_iter()
        .map(|(ds, key, _)| {
            let mut r = serde_json::json!({
                "dataSet": ds.id, "period": key.period, "organisationUnit": key.org_unit, "completed": true,
            });
            if !key.attribute_option_combo.is_empty() {
                r["attributeOptionCombo"] = key.attribute_option_combo.into();
            }
            r
        })
        .collect();
    let n = registrations.len();
    let text = serde_json::to_string_pretty(
        &serde_json::json!({ "completeDataSetRegistrations": registrations }),
    )? + "\n";
    write::write_atomic(path, text.as_bytes()).context("--complete")?;
    Ok(n)
}

/// Writes the run summary and the audit workbook, where asked for.
fn write_reports(run: &Run) -> Result<()> {
    if let Some(path) = &run.args.summary {
        report::summary::write(path, run)?;
    }
    if let Some(path) = &run.args.report {
        report::workbook::write(path, run)?;
    }
    Ok(())
}

/// Loads the mapping and refuses it when it has errors.
fn load_mapping(path: &str, scheme: TargetScheme) -> Result<Mapping> {
    let mapping = Mapping::load(path, scheme)?;
    let errors: Vec<String> = mapping.errors().map(|f| format!("  {f}")).collect();
    if !errors.is_empty() {
        let shown = errors
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n");
        let more = if errors.len() > 20 {
            format!("\n  … and {} more", errors.len() - 20)
        } else {
            String::new()
        };
        bail!(
            "{path}: the mapping has {} error(s); fix them and run again:\n{shown}{more}",
            errors.len()
        );
    }
    Ok(mapping)
}

/// The output format and compression from `--to` and the file name.
fn output_format(path: &str, to: Option<Format>) -> Result<(Format, bool)> {
    let lower = path.to_ascii_lowercase();
    let gzip = lower.ends_with(".gz");
    let name = if gzip { &path[..path.len() - 3] } else { path };
    let format = match (to, Format::from_extension(name)) {
        (Some(f), _) => f,
        (None, Some(f)) => f,
        (None, None) if path == "-" => Format::Json,
        (None, None) => {
            bail!("{path}: cannot tell the output format from the name; use --to json|xml|csv")
        }
    };
    Ok((format, gzip))
}

/// The one scheme all inputs declare for a kind of id, if any; inputs that disagree are an error.
fn declared(
    inputs: &[InputInfo],
    what: &str,
    get: fn(&Header) -> Option<String>,
) -> Result<Option<String>> {
    let mut found: Option<(String, &str)> = None;
    for input in inputs {
        if let Some(s) = get(&input.header) {
            match &found {
                Some((seen, path)) if *seen != s => bail!(
                    "{} declares {what} id scheme {s}, but {path} declares {seen}; convert them separately",
                    input.path
                ),
                Some(_) => {}
                None => found = Some((s, &input.path)),
            }
        }
    }
    Ok(found.map(|(s, _)| s))
}

/// The id schemes of the output: what the options say, else CODE for mapped targets, else what
/// the inputs declare, else UID.
fn output_schemes(
    args: &ConvertArgs,
    mapping: Option<&Mapping>,
    inputs: &[InputInfo],
) -> Result<Schemes> {
    let target = |what: &str, get: fn(&Header) -> Option<String>| -> Result<String> {
        Ok(match (args.target_scheme, mapping) {
            (Some(TargetScheme::Code), _) => "CODE".into(),
            (Some(TargetScheme::Uid), _) => "UID".into(),
            (None, Some(_)) => "CODE".into(),
            (None, None) => declared(inputs, what, get)?.unwrap_or_else(|| "UID".into()),
        })
    };
    let org_unit = match args.org_unit_scheme {
        Some(OrgUnitScheme::Uid) => "UID".into(),
        Some(OrgUnitScheme::Code) => "CODE".into(),
        None if mapping.is_some_and(|m| m.org_units.is_some()) => "UID".into(),
        None => {
            declared(inputs, "org unit", Header::org_unit_scheme)?.unwrap_or_else(|| "UID".into())
        }
    };
    Ok(Schemes {
        data_element: target("data element", Header::data_element_scheme)?,
        category_option_combo: target(
            "category option combo",
            Header::category_option_combo_scheme,
        )?,
        attribute_option_combo: target(
            "attribute option combo",
            Header::attribute_option_combo_scheme,
        )?,
        org_unit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_formats() {
        assert_eq!(
            output_format("a.json", None).unwrap(),
            (Format::Json, false)
        );
        assert_eq!(
            output_format("a.CSV.gz", None).unwrap(),
            (Format::Csv, true)
        );
        assert_eq!(
            output_format("a.out", Some(Format::Xml)).unwrap(),
            (Format::Xml, false)
        );
        assert_eq!(output_format("-", None).unwrap(), (Format::Json, false));
        assert!(output_format("a.txt", None).is_err());
    }

    #[test]
    fn file_stems() {
        assert_eq!(file_stem("DS_MONTHLY"), "DS_MONTHLY");
        assert_eq!(file_stem("a/b c"), "a_b_c");
    }
}
