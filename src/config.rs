//! The checked configuration of `convert`, built once from the command line before anything is
//! read (as ripgrep turns its flags into `HiArgs`): the output plan, the period scope, the
//! policies, the id schemes, and every path check — an output may not be a file that is read
//! or another output, through symlinks and `./` spellings too.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::cli::{ConvertArgs, OnDuplicate, OnUnmapped, OrgUnitSchemeArg, TargetSchemeArg};
use crate::convert::DuplicatePolicy;
use crate::ids::IdScheme;
use crate::mapping::TargetScheme;
use crate::model::Format;
use crate::period::{Date, Window};
use crate::{location, read, write};

/// The longest comment DHIS2 2.43+ accepts (E8125).
const MAX_COMMENT: usize = 5_000;

/// Where the converted values go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputPlan {
    /// One file, optionally gzip-compressed.
    File { path: String, gzip: bool },
    /// Standard output (`-o -`).
    Stdout,
    /// One file per data set in a folder (`--split-by data-set`).
    Folder {
        path: String,
        max_values: Option<u64>,
        /// Files an earlier run wrote there, unchanged: replaced by this run's (`write::folder`).
        earlier: Vec<String>,
    },
}

/// `--complete`.
#[derive(Debug, Clone)]
pub struct Complete {
    pub path: String,
    pub min: u64,
    /// `--complete-date`: the completion date written on each registration.
    pub date: Option<String>,
}

/// Everything `convert` was asked to do, checked.
#[derive(Debug, Clone)]
pub struct ConvertConfig {
    pub inputs: Vec<String>,
    pub from: Option<Format>,
    pub mapping: Option<String>,
    pub target_metadata: Option<String>,
    pub target_version: Option<String>,
    /// The instances' calendar (`--calendar`): period ids are read in it.
    pub calendar: crate::period::Calendar,
    /// The HMIS's approvals export (`--approvals`).
    pub approvals: Option<String>,
    /// The HMIS's lock exceptions export (`--lock-exceptions`).
    pub lock_exceptions: Option<String>,
    pub edit_expired: bool,
    /// As given with `-o`.
    pub output_name: String,
    pub output: OutputPlan,
    pub format: Format,
    pub dry_run: bool,
    /// `--zero-fill`.
    pub zero_fill: bool,
    pub on_duplicate: DuplicatePolicy,
    pub fail_on_unmapped: bool,
    pub summary: Option<String>,
    /// `--trace`.
    pub trace: Option<String>,
    pub report: Option<String>,
    /// `--target-scheme`, when given.
    pub target_scheme: Option<TargetScheme>,
    /// `--org-unit-scheme`, when given.
    pub org_unit_scheme: Option<IdScheme>,
    pub comment: Option<String>,
    /// `--periods` as given, and its window.
    pub periods: Option<(String, Window)>,
    pub exclude_current: bool,
    /// The import date (`--as-of`, default today), and the text given.
    pub as_of: Date,
    /// The time of day of `--as-of`, when it has one (seconds since midnight).
    pub as_of_seconds: Option<u32>,
    pub as_of_text: Option<String>,
    pub previous: Vec<String>,
    /// `--current`: the HMIS's export, read after `previous`.
    pub current: Vec<String>,
    /// `--remove-stale`: the HMIS's values this run does not write are deleted.
    pub remove_stale: bool,
    /// `--keep-hmis-comments`.
    pub keep_hmis_comments: bool,
    /// `--integration-user`.
    pub integration_user: Option<String>,
    /// `--history` and how to screen by it (`--outlier-method`, `--outlier-threshold`,
    /// `--flag-outliers`).
    pub history: Vec<String>,
    pub outlier_method: crate::policy::outliers::Method,
    pub outlier_threshold: f64,
    pub flag_outliers: bool,
    /// `--min-max`.
    pub min_max: Option<String>,
    pub complete: Option<Complete>,
    pub quiet: bool,
    pub progress: read::Progress,
    /// Inputs and outputs are hashed only for the summary and the report, which show it.
    pub hash: bool,
    /// Threads that format the output and evaluate the validation rules (`--threads`, else one
    /// per core).
    pub threads: usize,
    /// Bytes the key store may hold before it moves its oldest keys to disk (`--memory`).
    pub memory: u64,
    /// The files read and claimed for writing; the split parts are claimed here as they are
    /// named.
    pub paths: write::Registry,
}

impl ConvertConfig {
    /// Checks the command line: formats, options, and paths. Nothing is read or written.
    pub fn from_args(args: &ConvertArgs) -> Result<ConvertConfig> {
        let (output, format) = output_plan(args)?;
        let comment = args.comment.clone();
        check_comment(comment.as_deref(), format)?;
        let periods = match &args.periods {
            None => None,
            Some(text) => {
                let w = Window::parse_in(args.calendar, text)
                    .map_err(|e| anyhow::anyhow!("--periods {e}"))?;
                Some((text.clone(), w))
            }
        };
        let (as_of, as_of_seconds) = match &args.as_of {
            Some(d) => date_time(d).with_context(|| {
                format!(
                    "--as-of `{d}` is not a date (yyyy-mm-dd) or a date and time (yyyy-mm-ddThh:mm)"
                )
            })?,
            None => (today(), None),
        };
        let mut config = ConvertConfig {
            inputs: args.inputs.clone(),
            from: args.from.map(Into::into),
            mapping: args.mapping.clone(),
            target_metadata: args.target_metadata.clone(),
            target_version: args.target_version.clone(),
            calendar: args.calendar,
            approvals: args.approvals.clone(),
            lock_exceptions: args.lock_exceptions.clone(),
            edit_expired: args.edit_expired,
            output_name: args.output.clone(),
            output,
            format,
            dry_run: args.dry_run,
            zero_fill: args.zero_fill,
            on_duplicate: match args.on_duplicate {
                OnDuplicate::Reject => DuplicatePolicy::Reject,
                OnDuplicate::First => DuplicatePolicy::First,
                OnDuplicate::Last => DuplicatePolicy::Last,
                OnDuplicate::Sum => DuplicatePolicy::Sum,
                OnDuplicate::Fail => DuplicatePolicy::Fail,
            },
            fail_on_unmapped: args.on_unmapped == OnUnmapped::Fail,
            summary: args.summary.clone(),
            trace: args.trace.clone(),
            report: args.report.clone(),
            target_scheme: args.target_scheme.map(|s| match s {
                TargetSchemeArg::Code => TargetScheme::Code,
                TargetSchemeArg::Uid => TargetScheme::Uid,
            }),
            org_unit_scheme: args.org_unit_scheme.map(|s| match s {
                OrgUnitSchemeArg::Uid => IdScheme::Uid,
                OrgUnitSchemeArg::Code => IdScheme::Code,
            }),
            comment,
            periods,
            exclude_current: args.exclude_current,
            as_of,
            as_of_seconds,
            as_of_text: args.as_of.clone(),
            previous: args.previous.clone(),
            current: args.current.clone(),
            remove_stale: args.remove_stale,
            keep_hmis_comments: args.keep_hmis_comments,
            integration_user: args.integration_user.clone(),
            history: args.history.clone(),
            outlier_method: match args.outlier_method {
                crate::cli::OutlierMethod::Z => crate::policy::outliers::Method::ZScore,
                crate::cli::OutlierMethod::Modz => crate::policy::outliers::Method::ModifiedZScore,
            },
            outlier_threshold: args.outlier_threshold,
            flag_outliers: args.flag_outliers,
            min_max: args.min_max.clone(),
            complete: args.complete.clone().map(|path| Complete {
                path,
                min: args.complete_min,
                date: args.complete_date.clone(),
            }),
            quiet: args.quiet,
            progress: if args.progress_lines {
                read::Progress::Lines
            } else if args.quiet || args.no_progress {
                read::Progress::Off
            } else {
                read::Progress::Bar
            },
            hash: args.summary.is_some() || args.report.is_some() || args.split_by.is_some(),
            threads: args.threads.map_or_else(
                || std::thread::available_parallelism().map_or(1, |n| n.get()),
                usize::from,
            ),
            memory: args.memory.unwrap_or_else(default_memory),
            paths: write::Registry::default(),
        };
        if let Some(d) = &args.complete_date
            && Date::parse(d).is_none_or(|_| d.len() != 10)
        {
            bail!("--complete-date `{d}` is not a date (yyyy-mm-dd)");
        }
        if config.flag_outliers && config.history.is_empty() && config.min_max.is_none() {
            bail!("--flag-outliers needs --history or --min-max (what to flag)");
        }
        if !(config.outlier_threshold.is_finite() && config.outlier_threshold > 0.0) {
            bail!(
                "--outlier-threshold {}: give a score above 0 (3 is DHIS2's default)",
                config.outlier_threshold
            );
        }
        if config.zero_fill && (config.mapping.is_none() || config.target_metadata.is_none()) {
            bail!(
                "--zero-fill needs -m (the targets to fill) and --target-metadata (the data sets, their org units and period types)"
            );
        }
        config.check_paths()?;
        if let OutputPlan::Folder { path, earlier, .. } = &mut config.output
            && !config.dry_run
        {
            write::folder::check_unlocked(path)?;
            *earlier = write::folder::earlier_files(path)?;
        }
        Ok(config)
    }

    /// The earlier files read: `--previous`, then `--current`. A deletion's `input` indexes
    /// this list (a `--current` value becomes one only with `--remove-stale`).
    pub fn earlier(&self) -> Vec<String> {
        self.previous.iter().chain(&self.current).cloned().collect()
    }

    /// The scheme the mapping's targets are read in: `--target-scheme`, else codes.
    pub fn target_scheme(&self) -> TargetScheme {
        self.target_scheme.unwrap_or(TargetScheme::Code)
    }

    /// Checks every path before anything is read: outputs can be written, and no output is a
    /// file that is read or another output, nor standard output twice ([`write::Registry`]).
    fn check_paths(&mut self) -> Result<()> {
        if let OutputPlan::Folder { path, .. } = &self.output {
            let dir = Path::new(path);
            if dir.exists() && !dir.is_dir() {
                bail!("{path}: --split-by writes into a folder, and this is a file");
            }
            if !dir.exists() {
                write::check_output(path)?;
            }
        }
        if let Some(report) = &self.report {
            write::check_xlsx(report, "--report")?;
        }
        let mut paths = write::Registry::default();
        for (what, path) in self.read() {
            paths.read(what, path);
        }
        if let OutputPlan::Folder { path, .. } = &self.output {
            paths.folder("--split-by", path);
        }
        for (what, path) in self.written() {
            paths.write(what, path)?;
        }
        self.paths = paths;
        Ok(())
    }

    /// The files this run writes, with the option that names each.
    fn written(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        match &self.output {
            OutputPlan::File { path, .. } if !self.dry_run => out.push(("-o", path.as_str())),
            OutputPlan::Stdout if !self.dry_run => out.push(("-o", location::STANDARD)),
            _ => {}
        }
        if let Some(p) = &self.trace
            && !self.dry_run
        {
            out.push(("--trace", p.as_str()));
        }
        if let Some(p) = &self.summary {
            out.push(("--summary", p.as_str()));
        }
        if let Some(p) = &self.report {
            out.push(("--report", p.as_str()));
        }
        if let Some(c) = &self.complete {
            out.push(("--complete", c.path.as_str()));
        }
        out
    }

    /// The files this run reads, with the option that names each.
    fn read(&self) -> Vec<(&'static str, &str)> {
        let mut out: Vec<(&'static str, &str)> = self
            .inputs
            .iter()
            .map(|i| ("an input", i.as_str()))
            .collect();
        if let Some(m) = &self.mapping {
            out.push(("-m", m.as_str()));
        }
        if let Some(m) = &self.target_metadata {
            out.push(("--target-metadata", m.as_str()));
        }
        if let Some(m) = &self.approvals {
            out.push(("--approvals", m.as_str()));
        }
        if let Some(m) = &self.lock_exceptions {
            out.push(("--lock-exceptions", m.as_str()));
        }
        out.extend(self.previous.iter().map(|p| ("--previous", p.as_str())));
        out.extend(self.current.iter().map(|p| ("--current", p.as_str())));
        out.extend(self.history.iter().map(|p| ("--history", p.as_str())));
        if let Some(m) = &self.min_max {
            out.push(("--min-max", m.as_str()));
        }
        out
    }
}

/// The output plan and format from `-o`, `--to`, `--split-by`.
fn output_plan(args: &ConvertArgs) -> Result<(OutputPlan, Format)> {
    let to = args.to.map(Format::from);
    if args.split_by.is_some() {
        if location::is_standard(&args.output) {
            bail!("--split-by writes several files: give a folder with -o, not -");
        }
        let plan = OutputPlan::Folder {
            path: args.output.clone(),
            max_values: args.max_values,
            earlier: Vec::new(),
        };
        return Ok((plan, to.unwrap_or(Format::Json)));
    }
    let path = &args.output;
    if !location::is_standard(path) && (Path::new(path).is_dir() || path.ends_with(['/', '\\'])) {
        bail!(
            "{path}: is a folder; -o names the output file (-o {}/hmis.json), or with --split-by \
             data-set the folder that takes one file per data set",
            path.trim_end_matches(['/', '\\'])
        );
    }
    let lower = path.to_ascii_lowercase();
    let gzip = lower.ends_with(".gz");
    let name = if gzip {
        &path[..path.len() - 3]
    } else {
        path.as_str()
    };
    let format = match (to, Format::from_extension(name)) {
        (Some(f), _) | (None, Some(f)) => f,
        (None, None) if location::is_standard(path) => Format::Json,
        (None, None) => {
            bail!("{path}: cannot tell the output format from the name; use --to json|xml|csv")
        }
    };
    let plan = if location::is_standard(path) {
        OutputPlan::Stdout
    } else {
        OutputPlan::File {
            path: path.clone(),
            gzip,
        }
    };
    Ok((plan, format))
}

fn check_comment(comment: Option<&str>, format: Format) -> Result<()> {
    let Some(c) = comment else { return Ok(()) };
    if c.chars().any(|ch| {
        (ch.is_control() && !matches!(ch, '\t' | '\n' | '\r')) || write::xml::forbidden(ch)
    }) {
        bail!("--comment holds a control character or noncharacter, which DHIS2 cannot take");
    }
    if c.chars().count() > MAX_COMMENT {
        bail!("--comment is longer than the {MAX_COMMENT} characters DHIS2 accepts");
    }
    if format == Format::Csv && (c.contains(['"', '\n', '\r']) || c == "null") {
        bail!(
            "--comment: DHIS2 2.43+ cannot read quotes, line breaks or the text `null` in a CSV field; change it or write JSON"
        );
    }
    Ok(())
}

/// Today's date where the run is (the local date: an import in Nairobi at 01:00 is on
/// Nairobi's day, not yesterday's UTC one).
/// `yyyy-mm-dd`, or with a time: `yyyy-mm-ddThh:mm[:ss]` (or a space for the `T`).
fn date_time(s: &str) -> Option<(Date, Option<u32>)> {
    let s = s.trim();
    let Some((day, time)) = s.split_once(['T', ' ']) else {
        return Some((Date::parse(s)?, None));
    };
    let date = Date::parse(day)?;
    let parts: Vec<&str> = time.split(':').collect();
    let number = |i: usize, max: u32| -> Option<u32> {
        let p = parts.get(i)?;
        (p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
            .filter(|n| *n <= max)
    };
    let (h, m) = (number(0, 23)?, number(1, 59)?);
    let sec = match parts.len() {
        2 => 0,
        3 => number(2, 59)?,
        _ => return None,
    };
    Some((date, Some(h * 3600 + m * 60 + sec)))
}

pub fn today() -> Date {
    local_today().unwrap_or_else(utc_today)
}

fn utc_today() -> Date {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    Date::from_days(i64::try_from(days).unwrap_or(0))
}

#[cfg(unix)]
fn local_today() -> Option<Date> {
    // SAFETY: `time` with a null pointer only returns the time; `localtime_r` writes into the
    // `tm` given and keeps no pointer to it.
    unsafe {
        let now = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&now, &mut tm).is_null() {
            return None;
        }
        Date::new(
            tm.tm_year + 1900,
            u32::try_from(tm.tm_mon + 1).ok()?,
            u32::try_from(tm.tm_mday).ok()?,
        )
    }
}

#[cfg(windows)]
fn local_today() -> Option<Date> {
    let mut t: windows_sys::Win32::Foundation::SYSTEMTIME =
        // SAFETY: SYSTEMTIME is plain integers; all zeros is a valid value.
        unsafe { std::mem::zeroed() };
    // SAFETY: GetLocalTime fills the SYSTEMTIME it is given.
    unsafe { windows_sys::Win32::System::SystemInformation::GetLocalTime(&mut t) };
    Date::new(i32::from(t.wYear), u32::from(t.wMonth), u32::from(t.wDay))
}

#[cfg(not(any(unix, windows)))]
fn local_today() -> Option<Date> {
    None
}

/// `--memory`'s default: half the machine's memory (`MemTotal` in /proc/meminfo), else 4 GiB.
fn default_memory() -> u64 {
    let total_kb = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        let line = m.lines().find(|l| l.starts_with("MemTotal:"))?;
        line.split_whitespace().nth(1)?.parse::<u64>().ok()
    });
    total_kb.map_or(4 << 30, |kb| kb * 1024 / 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn config(args: &[&str]) -> Result<ConvertConfig> {
        let cli = crate::cli::Cli::try_parse_from(["pi2de", "convert"].iter().chain(args))?;
        let crate::cli::Command::Convert(a) = cli.command else {
            unreachable!("convert was parsed")
        };
        ConvertConfig::from_args(&a)
    }

    #[test]
    fn output_plans() {
        let c = config(&["in.json", "-o", "a.CSV.gz"]).unwrap();
        assert_eq!(
            (c.format, c.output.clone()),
            (
                Format::Csv,
                OutputPlan::File {
                    path: "a.CSV.gz".into(),
                    gzip: true
                }
            )
        );
        let c = config(&["in.json", "-o", "-"]).unwrap();
        assert_eq!((c.format, c.output), (Format::Json, OutputPlan::Stdout));
        let c = config(&["in.json", "-o", "a.out", "--to", "xml"]).unwrap();
        assert_eq!(c.format, Format::Xml);
        assert!(config(&["in.json", "-o", "a.txt"]).is_err());
        assert!(config(&["in.json", "-o", "-", "--split-by", "data-set"]).is_err());
    }

    #[test]
    fn paths_that_coincide_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n).to_string_lossy().to_string();
        std::fs::write(p("m.csv"), "x").unwrap();
        let dot = format!("{}/./m.csv", dir.path().display());
        let err = config(&["in.json", "-o", &dot, "-m", &p("m.csv")]).unwrap_err();
        assert!(err.to_string().contains("-m"), "{err:#}");
        let err = config(&["in.json", "-o", &p("o.json"), "--summary", &p("o.json")]).unwrap_err();
        assert!(err.to_string().contains("written by -o"), "{err:#}");
        let err = config(&[
            "in.json",
            "-o",
            &p("o.json"),
            "--complete",
            &p("m.csv"),
            "-m",
            &p("m.csv"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("--complete"), "{err:#}");
        assert!(config(&["in.json", "-o", &p("o.json"), "--summary", &p("s.json")]).is_ok());
    }
}
