//! `pi2de convert`: checks the command line ([`ConvertConfig`]), loads the mapping and target
//! metadata, streams every input through the [`Converter`] on a second thread, finds deletions
//! against earlier outputs, writes the output file(s), completeness, the run summary and the
//! audit workbook into one [`Staging`] and moves them into place together, then prints the
//! console report. [`exit_code`] decides how it ended.

mod load;
mod output;
mod verdict;

use crate::words::count;
use anyhow::{Context, Result, bail};

use crate::cli::ConvertArgs;
use crate::config::ConvertConfig;
use crate::convert::{Converted, Converter, DuplicatePolicy, Rules, Scope};
use crate::exit_codes::ExitCode;
use crate::policy::deletions::{self, Deletion};
use crate::policy::zero_fill::{self, Zero};
use crate::policy::{Entries, hmis_edits, outliers, validation};
use crate::preflight::Targets;
use crate::preflight::entry::EntryRules;
use crate::read::{self, InputInfo};
use crate::relay;
use crate::report::{self, Run};
use crate::write::Staging;
use load::Loaded;

pub fn run(args: &ConvertArgs) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let config = ConvertConfig::from_args(args)?;
    let loaded = Loaded::load(&config)?;
    let prepared = output::prepare(&config)?;
    // The work: convert, settle the schemes, then the policies with the same target checks.
    let (converted, mut targets, inputs) = convert(&config, &loaded)?;
    nothing_read(&inputs)?;
    let (mut schemes, undeclared) =
        load::output_schemes(&config, loaded.mapping.as_ref(), &inputs)?;
    verdict::settle(&mut schemes, undeclared, &converted)?;
    let previous = load::read_previous(&config, &schemes)?;
    let edits = (!config.current.is_empty()).then(|| {
        hmis_edits::find(
            &converted,
            &previous,
            config.previous.len(),
            config.calendar,
            config.comment.as_deref(),
            config.keep_hmis_comments,
            config.integration_user.as_deref(),
        )
    });
    let screening = screen(&config, &loaded, &converted, &schemes)?;
    let outliers_found = screening
        .as_ref()
        .is_some_and(|s| !s.outliers.is_empty() || !s.out_of_bounds.is_empty());
    let deletions = find_deletions(&config, &loaded, &converted, &previous, targets.as_mut());
    let zeros = find_zeros(&config, &loaded, &converted, targets.as_mut());
    let entries = Entries {
        converted: &converted,
        zeros: &zeros,
        deletions: &deletions,
    };
    let mut facts = facts(&config, &loaded, &inputs, entries);
    let mut staging = Staging::default();
    // The validation rules are evaluated on a thread of their own while the outputs are
    // written: both read the conversion, neither changes it, and what is written does not
    // depend on the rules' outcome.
    let (validation, written) = std::thread::scope(|scope| {
        let validating = scope.spawn(|| validate(&config, &loaded, entries));
        let written = decide_and_write(
            &config,
            &loaded,
            entries,
            &schemes,
            prepared,
            (edits.as_ref(), screening.as_ref()),
            &mut staging,
        );
        let validation = validating
            .join()
            .map_err(|_| anyhow::anyhow!("the validation rules stopped"));
        (validation, written)
    });
    let (failure, files, complete) = written?;
    facts.validation = validation?;
    let exit_code = match failure {
        Some(_) => ExitCode::Error,
        // Outliers are written, and make the run one to look at (exit 1).
        None if outliers_found => ExitCode::LeftOut,
        None => exit_code(&converted, &inputs),
    };
    facts.hmis_edits = edits;
    facts.screening = screening;
    let run = Run {
        config: &config,
        facts,
        inputs: &inputs,
        entries,
        schemes: &schemes,
        files,
        complete,
        exit_code,
        failure,
        started,
    };
    stage_reports(&run, &mut staging)?;
    if let Some(e) = converted.store_failure() {
        bail!(
            "{e}; nothing was written (set TMPDIR, or TEMP on Windows, to a folder on a disk with room, or raise --memory)"
        );
    }
    // Every file is complete on disk: only now is any moved into place.
    staging.commit()?;
    if let Some(failure) = run.failure {
        bail!(failure);
    }
    if !config.quiet {
        report::console::print(&run);
    }
    Ok(run.exit_code)
}

/// What a run decided and wrote: why it fails (nothing written then), the output files, and
/// the completeness file (`--complete`).
type Written = (
    Option<String>,
    Vec<report::OutputFile>,
    Option<(String, Vec<crate::policy::completeness::Registration>)>,
);

/// The outcome, decided once: a failure writes no output, only the reports saying why; else
/// the outputs and completeness are written into `staging`.
fn decide_and_write(
    config: &ConvertConfig,
    loaded: &Loaded,
    entries: Entries,
    schemes: &crate::write::Schemes,
    prepared: Option<crate::write::Output>,
    (edits, screening): (Option<&hmis_edits::HmisEdits>, Option<&outliers::Screening>),
    staging: &mut Staging,
) -> Result<Written> {
    let converted = entries.converted;
    let failure = policy_failure(config, converted)
        .or_else(|| verdict::check(config, entries, schemes, loaded.mapping.as_ref()));
    if failure.is_some() || config.dry_run {
        return Ok((failure, Vec::new(), None));
    }
    let notes = notes(config, converted, edits, screening);
    let kept = Some(&notes).filter(|k| !k.is_empty());
    let mapping = loaded.mapping.as_ref();
    let files =
        output::write_outputs(config, entries, schemes, prepared, (mapping, kept), staging)?;
    let complete = match &config.complete {
        Some(c) => {
            let meta = loaded.metadata.as_ref();
            let r = output::write_complete(c, converted, meta, staging)?;
            Some((c.path.clone(), r))
        }
        None => None,
    };
    Ok((None, files, complete))
}

/// The validation rules' outcome on the values written, when the target metadata has rules.
fn validate(
    config: &ConvertConfig,
    loaded: &Loaded,
    entries: Entries,
) -> Option<validation::Outcome> {
    loaded
        .metadata
        .as_ref()
        .filter(|m| !m.validation_rules.is_empty())
        .map(|m| validation::evaluate(m, entries.values(), config.calendar, config.threads))
}

/// What the reports state besides the values: the target version, warnings, the mapping and
/// metadata with their digests (the validation rules' outcome is added once evaluated).
fn facts<'a>(
    config: &ConvertConfig,
    loaded: &'a Loaded,
    inputs: &[InputInfo],
    e: Entries,
) -> report::Facts<'a> {
    let sha256 = |path: Option<&str>| {
        path.filter(|_| config.hash)
            .and_then(crate::write::folder::file_sha256)
    };
    report::Facts {
        target: (config.target_metadata.is_some() || config.target_version.is_some())
            .then(|| loaded.target.clone()),
        warnings: warnings(loaded, inputs, e),
        mapping: loaded.mapping.as_ref(),
        metadata: loaded.metadata.as_ref(),
        mapping_sha256: sha256(config.mapping.as_deref()),
        metadata_sha256: sha256(config.target_metadata.as_deref()),
        hmis_edits: None,
        screening: None,
        validation: None,
    }
}

/// `--zero-fill`: zeros where no value arrived (the configuration made sure of a mapping and
/// the target metadata).
fn find_zeros(
    config: &ConvertConfig,
    loaded: &Loaded,
    converted: &Converted,
    targets: Option<&mut Targets>,
) -> Vec<Zero> {
    let (true, Some(mapping), Some(metadata), Some(targets)) = (
        config.zero_fill,
        loaded.mapping.as_ref(),
        loaded.metadata.as_ref(),
        targets,
    ) else {
        return Vec::new();
    };
    zero_fill::find(
        converted,
        zero_fill::Context {
            mapping,
            metadata,
            targets,
            scope: scope(config),
        },
    )
}

/// How a conversion that wrote its output ended: 0 when every value was written or merged as an
/// identical duplicate and every input held values, else 1.
pub fn exit_code(c: &Converted, inputs: &[InputInfo]) -> ExitCode {
    if c.ledger.left_total() == c.identical_merged() && inputs.iter().all(|i| i.values > 0) {
        ExitCode::Success
    } else {
        ExitCode::LeftOut
    }
}

/// A run that read no values at all stops: an empty export is a wrong export (a filter, a
/// period, a program without data), never an empty success.
fn nothing_read(inputs: &[InputInfo]) -> Result<()> {
    if inputs.iter().any(|i| i.values > 0) {
        return Ok(());
    }
    let names: Vec<&str> = inputs.iter().map(|i| i.path.as_str()).collect();
    bail!(
        "{}: no data values in {}; nothing was written (check the export's periods, org units \
         and data items in DHIS2)",
        names.join(", "),
        if names.len() == 1 {
            "the file"
        } else {
            "any of the files"
        }
    )
}

/// Reads every input on this thread and converts on another; gives back the target checks
/// with what they judged.
fn convert<'m>(
    config: &ConvertConfig,
    loaded: &'m Loaded,
) -> Result<(Converted, Option<Targets<'m>>, Vec<InputInfo>)> {
    let progress = read::progress_bar(&config.inputs, config.progress);
    // The conversion thread needs a core of its own: JSON is parsed on the others, so on two
    // cores the reading thread parses alone (extra parse threads there only slowed it down:
    // 0.80 s against 0.90 s for 1,000,000 values, README "Performance").
    read::set_parse_threads(config.threads.saturating_sub(1));
    let (converter, inputs) = relay::run(
        || {
            Converter::new(Rules {
                mapping: loaded.mapping.as_ref(),
                targets: targets(config, loaded),
                scope: scope(config),
                policy: config.on_duplicate,
                csv_output: config.format == read::Format::Csv,
                target_scheme: config.target_scheme().into(),
                keep_exported: config.trace.is_some(),
                memory: config.memory,
            })
        },
        |new_sender| {
            read::read_inputs(
                &config.inputs,
                config.from,
                config.hash,
                progress.as_ref(),
                new_sender,
            )
        },
    )?;
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    let (converted, targets) = converter.finish()?;
    Ok((converted, targets, inputs))
}

/// The comment and follow-up flag to write per key: the HMIS's (`--keep-hmis-comments`), and
/// the follow-up of outliers (`--flag-outliers`).
fn notes(
    config: &ConvertConfig,
    converted: &Converted,
    edits: Option<&hmis_edits::HmisEdits>,
    screening: Option<&outliers::Screening>,
) -> rustc_hash::FxHashMap<crate::ids::Key, (Option<String>, bool)> {
    // By interned key: every key noted is one this run writes.
    let mut notes: rustc_hash::FxHashMap<_, _> = edits
        .into_iter()
        .flat_map(|e| &e.kept)
        .filter_map(|(k, note)| Some((converted.ids.key_of(k)?, note.clone())))
        .collect();
    if config.flag_outliers
        && let Some(s) = screening
    {
        let keys = s.outliers.iter().map(|o| &o.key);
        for k in keys.chain(s.out_of_bounds.iter().map(|o| &o.key)) {
            if let Some(k) = converted.ids.key_of(k) {
                notes.entry(k).or_insert((None, false)).1 = true;
            }
        }
    }
    notes
}

/// `--history` and `--min-max`: the values written screened against the HMIS's history and
/// bounds.
fn screen(
    config: &ConvertConfig,
    loaded: &Loaded,
    converted: &Converted,
    schemes: &crate::write::Schemes,
) -> Result<Option<outliers::Screening>> {
    if config.history.is_empty() && config.min_max.is_none() {
        return Ok(None);
    }
    let history = load::read_values(&config.history, schemes)?;
    let mut s = outliers::screen(
        converted,
        &history,
        config.calendar,
        config.outlier_method,
        config.outlier_threshold,
    );
    if config.history.is_empty() {
        s.not_judged = 0;
    }
    if let Some(path) = &config.min_max {
        let bounds: Vec<outliers::MinMax> =
            crate::preflight::hmis::read_list(path, &["minMaxDataElements"])?;
        s.out_of_bounds = outliers::min_max(converted, &bounds, loaded.metadata.as_ref());
    }
    Ok(Some(s))
}

fn scope(config: &ConvertConfig) -> Scope {
    Scope {
        window: config.periods.as_ref().map(|p| p.1),
        exclude_from: config.exclude_current.then_some(config.as_of),
        calendar: config.calendar,
    }
}

/// The checks against `--target-metadata`: one per conversion, lent in turn to the judge, the
/// deletions and the zero-fill.
fn targets<'m>(config: &ConvertConfig, loaded: &'m Loaded) -> Option<Targets<'m>> {
    let meta = loaded.metadata.as_ref()?;
    let rules = EntryRules {
        version: loaded.target.version,
        as_of: config.as_of,
        as_of_seconds: config.as_of_seconds,
        edit_expired: config.edit_expired,
        payload_data_set: matches!(config.output, crate::config::OutputPlan::Folder { .. }),
        calendar: config.calendar,
    };
    let by_code = config.org_unit_scheme == Some(crate::ids::IdScheme::Code);
    Some(Targets::new(
        meta,
        config.target_scheme(),
        by_code,
        rules,
        &loaded.hmis,
    ))
}

fn find_deletions(
    config: &ConvertConfig,
    loaded: &Loaded,
    converted: &Converted,
    previous: &[deletions::PreviousValue],
    targets: Option<&mut Targets>,
) -> Vec<Deletion> {
    if previous.is_empty() {
        return Vec::new();
    }
    let ctx = deletions::Context {
        mapping: loaded.mapping.as_ref(),
        scope: scope(config),
        targets,
        target_scheme: config.target_scheme().into(),
        hmis_from: config.previous.len(),
        remove_stale: config.remove_stale,
    };
    deletions::find(converted, ctx, previous)
}

/// The run's warnings: an unreadable target version, inputs without values, ids trimmed, and 2.43.0–2.43.1's
/// inverted input periods.
fn warnings(loaded: &Loaded, inputs: &[InputInfo], e: Entries) -> Vec<String> {
    let converted = e.converted;
    let mut out = loaded.warnings.clone();
    out.extend(
        inputs
            .iter()
            .filter(|i| i.values == 0)
            .map(|i| format!("{}: holds no data values", i.path)),
    );
    let ledger = &converted.ledger;
    // Without -m and without the target metadata nothing checks that the ids fit the HMIS.
    if ledger.aggregated > 0 && loaded.mapping.is_none() && loaded.metadata.is_none() {
        out.push(format!(
            "no mapping (-m) was given: {} as analytics writes them (comment [aggregated]) are written with their dataElement ids as they are. That is right only when they are the HMIS's data elements (DHIS2 2.42+ aggregateExportDataElement); program indicator ids need -m (or give --target-metadata to have the ids checked)",
            count(ledger.aggregated, "value")
        ));
    }
    if let Some(first) = &ledger.first_trimmed {
        out.push(format!(
            "{} had ids with white space around them, trimmed (DHIS2 would not find \
             them as they were); the first: {first}",
            count(ledger.trimmed_ids, "value")
        ));
    }
    if let Some(meta) = loaded.metadata.as_ref() {
        let insignificant = zero_fill::insignificant(e.zeros, meta);
        if !insignificant.is_empty() {
            let classic = loaded
                .target
                .version
                .is_some_and(|v| !v.is_entry_pipeline());
            out.push(format!(
                "{} among the zeros {} zeroIsSignificant false: {} \
                 (docs/dhis2-rules.md, \"Zeros\")",
                count(insignificant.len() as u64, "data element"),
                if insignificant.len() == 1 { "has" } else { "have" },
                if classic {
                    "DHIS2 ≤ 2.42 does not store such a zero: it deletes the value stored (counted as deleted), or skips the zero, counted nowhere, when none is stored"
                } else {
                    "DHIS2 2.43 stores the 0 as it is (≤ 2.42 would delete the value stored instead)"
                }
            ));
        }
    }
    if let (Some(v), Some(meta)) = (loaded.target.version, loaded.metadata.as_ref())
        && v.inverts_input_periods()
    {
        out.extend(load::inverted_input_periods(
            v,
            meta,
            &converted.data_sets_written(),
        ));
    }
    out
}

/// The failure a `fail` policy calls for, if any.
fn policy_failure(config: &ConvertConfig, c: &Converted) -> Option<String> {
    let unmapped = c.unmapped();
    if config.fail_on_unmapped && !unmapped.is_empty() {
        let items: Vec<String> = unmapped
            .iter()
            .take(10)
            .map(|u| format!("{} (×{})", u.data_element, u.count))
            .collect();
        return Some(format!(
            "{} without a mapping row (--on-unmapped fail): {}{}; nothing was written",
            count(unmapped.len() as u64, "source item"),
            items.join(", "),
            if unmapped.len() > 10 { ", …" } else { "" }
        ));
    }
    if config.on_duplicate == DuplicatePolicy::Fail && c.conflict_count() > 0 {
        let keys: Vec<String> = c
            .conflicts()
            .iter()
            .take(5)
            .map(|k| format!("{} ← {}", k.key, k.values.join(" / ")))
            .collect();
        return Some(format!(
            "{} received different values (--on-duplicate fail): {}{}; nothing was written",
            count(c.conflict_count(), "output key"),
            keys.join("; "),
            if c.conflict_count() > 5 { "; …" } else { "" }
        ));
    }
    None
}

/// Stages the run summary and the audit workbook, where asked for.
fn stage_reports(run: &Run, staging: &mut Staging) -> Result<()> {
    if let Some(path) = &run.config.summary {
        staging
            .bytes(path, report::summary::text(run)?.as_bytes())
            .context("--summary")?;
    }
    if let Some(path) = &run.config.report {
        staging
            .bytes(path, &report::workbook::bytes(run)?)
            .context("--report")?;
    }
    Ok(())
}
