//! `pi2de convert`: loads the mapping, streams every input through the pipeline, resolves
//! duplicates, writes the output atomically, then the run summary and the console report.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::cli::{ConvertArgs, OrgUnitScheme, UnmappedPolicy};
use crate::mapping::{Mapping, TargetScheme};
use crate::model::Header;
use crate::pipeline::{DuplicatePolicy, Pipeline};
use crate::read::{self, Format, InputInfo};
use crate::report::{self, Run};
use crate::write::{self, Output, Schemes};

/// The longest comment DHIS2 2.43+ accepts (E8125).
const MAX_COMMENT: usize = 5_000;

pub fn run(args: &ConvertArgs) -> Result<ExitCode> {
    let (format, gzip) = output_format(&args.output, args.to)?;
    if let Some(c) = &args.comment {
        if c.chars().count() > MAX_COMMENT {
            bail!("--comment is longer than the {MAX_COMMENT} characters DHIS2 accepts");
        }
        if format == Format::Csv && c.contains(['"', '\n', '\r']) {
            bail!(
                "--comment: DHIS2 2.43+ cannot read quotes or line breaks in a CSV field; remove them or write JSON"
            );
        }
    }
    let mapping = match &args.mapping {
        Some(path) => Some(load_mapping(
            path,
            args.target_scheme.unwrap_or(TargetScheme::Code),
        )?),
        None => None,
    };
    if args.output != "-" && !args.dry_run {
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
    let hash = args.summary.is_some() || args.report.is_some();
    let (mut pipeline, inputs) = read::read_inputs(&args.inputs, args.from, hash, || {
        Pipeline::new(mapping.as_ref(), args.on_duplicate, format == Format::Csv)
    })?;
    pipeline.finish()?;
    let schemes = output_schemes(args, mapping.as_ref(), &inputs)?;

    let mut run = Run {
        args,
        mapping: mapping.as_ref(),
        inputs: &inputs,
        pipeline: &pipeline,
        format,
        gzip,
        schemes: &schemes,
        output_sha256: None,
        exit_code: 0,
        failure: None,
    };
    let unmapped = pipeline.unmapped();
    if args.on_unmapped == UnmappedPolicy::Fail && !unmapped.is_empty() {
        let items: Vec<String> = unmapped
            .iter()
            .take(10)
            .map(|u| format!("{} (×{})", u.data_element, u.count))
            .collect();
        run.failure = Some(format!(
            "{} source item(s) have no mapping row (--on-unmapped fail): {}{}; nothing was written",
            unmapped.len(),
            items.join(", "),
            if unmapped.len() > 10 { ", …" } else { "" }
        ));
    } else if args.on_duplicate == DuplicatePolicy::Fail && pipeline.conflict_count > 0 {
        let keys: Vec<String> = pipeline
            .conflicts
            .iter()
            .take(5)
            .map(|c| format!("{} ← {}", c.key, c.values.join(" / ")))
            .collect();
        run.failure = Some(format!(
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
    if let Some(failure) = run.failure.clone() {
        run.exit_code = 2;
        write_reports(&run)?;
        bail!(failure);
    }
    if !args.dry_run {
        let mut output = Output::create(&args.output, gzip, &args.inputs)?;
        let comment = args.comment.as_deref();
        let result = (|| {
            let mut w = write::writer(format, output.stream(), &schemes)?;
            pipeline.for_each_output(comment, |v| w.value(v))?;
            w.finish()
        })();
        result.with_context(|| format!("{}: cannot write the output", args.output))?;
        run.output_sha256 = Some(output.commit()?.sha256);
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
}
