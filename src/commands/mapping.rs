//! `pi2de mapping check | template | from-metadata`.

use crate::words::count;
use std::io::Write;

use anyhow::{Result, bail};
use rust_xlsxwriter::Workbook;

use crate::cli::{CheckArgs, FromMetadataArgs, MappingCommand, TemplateArgs};
use crate::exit_codes::ExitCode;
use crate::mapping::findings_line;
use crate::mapping::{
    Finding, Mapping, Severity, TargetScheme, from_metadata, org_units, pi_lint, target, template,
};
use crate::metadata::Metadata;
use crate::xlsx::{self, Cell, add_table};

pub fn run(cmd: MappingCommand) -> Result<ExitCode> {
    match cmd {
        MappingCommand::Check(args) => check(&args),
        MappingCommand::Template(args) => make_template(&args),
        MappingCommand::FromMetadata(args) => from_metadata(&args),
    }
}

/// Loads a mapping and, with target metadata, adds the target checks.
/// The mapping with its findings, and how many of its errors are its own (convert refuses
/// those) rather than targets the HMIS lacks (convert leaves those rows' values out).
fn checked(
    path: &str,
    scheme: TargetScheme,
    target_metadata: Option<&str>,
) -> Result<(Mapping, usize)> {
    let mut mapping = Mapping::load(path, scheme)?;
    let own = mapping.errors().count();
    if let Some(meta_path) = target_metadata {
        let meta = Metadata::load(meta_path)?;
        let findings = target::check(&mapping, &meta, scheme);
        mapping.add_findings(findings);
    }
    Ok((mapping, own))
}

const FINDINGS_HEADER: [&str; 3] = ["severity", "cell", "message"];

fn findings_rows(findings: &[Finding]) -> Vec<Vec<Cell>> {
    findings
        .iter()
        .map(|f| {
            let s = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            vec![s.into(), (&f.cell).into(), (&f.message).into()]
        })
        .collect()
}

fn check(args: &CheckArgs) -> Result<ExitCode> {
    if let Some(report) = &args.report {
        crate::write::check_xlsx(report, "--report")?;
        let mut paths = crate::write::Registry::default();
        paths.read("the mapping", &args.mapping);
        if let Some(m) = &args.target_metadata {
            paths.read("--target-metadata", m);
        }
        if let Some(m) = &args.tracker_metadata {
            paths.read("--tracker-metadata", m);
        }
        paths.write("--report", report)?;
    }
    let (mut mapping, own_errors) = checked(
        &args.mapping,
        args.target_scheme.into(),
        args.target_metadata.as_deref(),
    )?;
    let mut tracker_errors = 0;
    if let Some(path) = &args.tracker_metadata {
        let tracker = Metadata::load(path)?;
        let findings = pi_lint::lint(&tracker);
        tracker_errors = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        mapping.add_findings(findings);
        mapping.add_findings(pi_lint::rows(&mapping, &tracker));
    }
    let enabled = mapping.rows.iter().filter(|r| r.enabled).count();
    let mut o = crate::term::stdout();
    writeln!(
        o,
        "{}: sheet `{}`, {} ({enabled} enabled){}",
        args.mapping,
        mapping.sheet,
        crate::words::count(mapping.rows.len() as u64, "row"),
        if mapping.org_units.is_some() {
            ", with an orgUnits sheet"
        } else {
            ""
        }
    )?;
    let errors: Vec<&Finding> = mapping.errors().collect();
    let warnings: Vec<&Finding> = mapping.warnings().collect();
    for (title, group) in [("errors", &errors), ("warnings", &warnings)] {
        if group.is_empty() {
            continue;
        }
        writeln!(o, "{title} ({}):", group.len())?;
        for (cells, message) in crate::mapping::grouped(group) {
            if cells.len() <= 14 {
                writeln!(o, "  {cells:<14} {message}")?;
            } else {
                writeln!(o, "  {cells}:\n      {message}")?;
            }
        }
    }
    if tracker_errors > 0 {
        writeln!(
            o,
            "{} in the tracker's set-up: fix them on the tracker instance, or its analytics export fails.",
            count(tracker_errors as u64, "error")
        )?;
    }
    writeln!(
        o,
        "{}.",
        findings_line(own_errors, errors.len() - tracker_errors, warnings.len())
    )?;
    if let Some(report) = &args.report {
        let mut wb = Workbook::new();
        add_table(
            &mut wb,
            "findings",
            &FINDINGS_HEADER,
            findings_rows(&mapping.findings),
            usize::MAX,
        )?;
        xlsx::save(
            &mut wb,
            report,
            &format!("mapping check of {} · {}", args.mapping, xlsx::now_utc().1),
        )?;
    }
    Ok(if errors.is_empty() {
        ExitCode::Success
    } else {
        ExitCode::LeftOut
    })
}

fn make_template(args: &TemplateArgs) -> Result<ExitCode> {
    crate::write::check_xlsx(&args.output, "-o")?;
    crate::write::Registry::default().write("-o", &args.output)?;
    let mut wb = Workbook::new();
    template::add_mapping_sheet(&mut wb, Vec::new())?;
    template::add_instructions(&mut wb)?;
    xlsx::save(&mut wb, &args.output, "mapping template")?;
    crate::term::error_line(&format!(
        "pi2de: wrote {}: fill one row per program indicator; `pi2de mapping check` it when done.",
        args.output
    ));
    Ok(ExitCode::Success)
}

fn from_metadata(args: &FromMetadataArgs) -> Result<ExitCode> {
    crate::write::check_xlsx(&args.output, "-o")?;
    let mut paths = crate::write::Registry::default();
    paths.read("the tracker metadata", &args.tracker);
    if let Some(m) = &args.target_metadata {
        paths.read("--target-metadata", m);
    }
    paths.write("-o", &args.output)?;
    let tracker = Metadata::load(&args.tracker)?;
    if tracker.program_indicators.is_empty() {
        bail!(
            "{}: has no programIndicators: export the tracker program's metadata with its program indicators",
            args.tracker
        );
    }
    let target_meta = args
        .target_metadata
        .as_deref()
        .map(Metadata::load)
        .transpose()?;
    let from_metadata::Proposal {
        rows,
        without,
        findings: proposed,
    } = from_metadata::propose(&tracker, &args.attribute, target_meta.as_ref());
    let not_transferred: Vec<Vec<Cell>> = without
        .iter()
        .map(|pi| {
            vec![
                (&pi.id).into(),
                (&pi.name).into(),
                pi.code.as_deref().into(),
                pi.program.as_ref().map(|p| p.id.as_str()).into(),
                format!("no attribute {} and no aggregateExportDataElement: its values are not transferred", args.attribute).into(),
            ]
        })
        .collect();
    let mapping_rows: Vec<Vec<Cell>> = rows.iter().map(|r| r.cells()).collect();
    let walk = target_meta
        .as_ref()
        .filter(|t| !t.organisation_units.is_empty() && !tracker.organisation_units.is_empty())
        .map(|t| org_units::crosswalk(&tracker, t, args.org_unit_attribute.as_deref()));
    let org_unit_sheets = walk
        .as_ref()
        .map(|w| org_unit_tables(w, &tracker, target_meta.as_ref()));
    let build = |findings| {
        proposal_workbook(
            mapping_rows.clone(),
            not_transferred.clone(),
            org_unit_sheets.clone(),
            findings,
        )
    };
    let title = format!(
        "mapping proposed from {} · {}",
        args.tracker,
        xlsx::now_utc().1
    );
    xlsx::save(&mut build(None)?, &args.output, &title)?;
    // Check the workbook as written, so that findings name its real cells.
    let (mut mapping, _) = checked(
        &args.output,
        TargetScheme::Code,
        args.target_metadata.as_deref(),
    )?;
    mapping.add_findings(proposed);
    let with_findings = args.target_metadata.is_some() || !mapping.findings.is_empty();
    if with_findings {
        xlsx::save(&mut build(Some(&mapping.findings))?, &args.output, &title)?;
    }
    let errors = mapping.errors().count();
    let findings = if with_findings {
        let warnings = mapping.findings.len() - errors;
        format!(
            "; {} and {} on sheet `findings`",
            count(errors as u64, "error"),
            count(warnings as u64, "warning")
        )
    } else {
        String::new()
    };
    let org_units = walk.as_ref().map_or(String::new(), |w| {
        format!(
            "; {} matched (sheet `orgUnits`), {} not (sheet `org units not matched`)",
            count(w.pairs.len() as u64, "org unit"),
            w.unmatched.len()
        )
    });
    crate::term::error_line(&format!(
        "pi2de: wrote {}: {} program indicators mapped, {} without a target (sheet `not transferred`){org_units}{findings}",
        args.output,
        rows.len(),
        without.len(),
    ));
    Ok(ExitCode::Success)
}

/// The sheets of an org-unit crosswalk.
#[derive(Clone)]
struct OrgUnitSheets {
    matched: Vec<Vec<Cell>>,
    unmatched: Vec<Vec<Cell>>,
}

fn org_unit_tables(
    walk: &org_units::Crosswalk,
    tracker: &Metadata,
    hmis: Option<&Metadata>,
) -> OrgUnitSheets {
    let path = |m: Option<&Metadata>, o| m.map_or(String::new(), |m| org_units::path_names(m, o));
    let matched = walk
        .pairs
        .iter()
        .map(|p| {
            vec![
                (&p.tracker.id).into(),
                (&p.hmis.id).into(),
                p.tracker.name.trim().into(),
                path(Some(tracker), p.tracker).into(),
                p.hmis.name.trim().into(),
                path(hmis, p.hmis).into(),
                p.by.label().into(),
            ]
        })
        .collect();
    let unmatched = walk
        .unmatched
        .iter()
        .map(|u| {
            vec![
                (&u.tracker.id).into(),
                u.tracker.name.trim().into(),
                path(Some(tracker), u.tracker).into(),
                (&u.why).into(),
            ]
        })
        .collect();
    OrgUnitSheets { matched, unmatched }
}

/// The from-metadata workbook: the proposed rows, the indicators not transferred, the findings
/// (when checked), the instructions.
fn proposal_workbook(
    rows: Vec<Vec<Cell>>,
    not_transferred: Vec<Vec<Cell>>,
    org_units: Option<OrgUnitSheets>,
    findings: Option<&[Finding]>,
) -> Result<Workbook> {
    let mut wb = Workbook::new();
    template::add_mapping_sheet(&mut wb, rows)?;
    let headers = [
        "programIndicator",
        "programIndicatorName",
        "code",
        "program",
        "why",
    ];
    add_table(
        &mut wb,
        "not transferred",
        &headers,
        not_transferred,
        usize::MAX,
    )?;
    if let Some(ou) = org_units {
        let headers = [
            "source",
            "target",
            "sourceName",
            "sourcePath",
            "targetName",
            "targetPath",
            "matchedBy",
        ];
        add_table(&mut wb, "orgUnits", &headers, ou.matched, usize::MAX)?;
        let headers = ["source", "sourceName", "sourcePath", "why"];
        add_table(
            &mut wb,
            "org units not matched",
            &headers,
            ou.unmatched,
            usize::MAX,
        )?;
    }
    if let Some(f) = findings {
        add_table(
            &mut wb,
            "findings",
            &FINDINGS_HEADER,
            findings_rows(f),
            usize::MAX,
        )?;
    }
    template::add_instructions(&mut wb)?;
    Ok(wb)
}
