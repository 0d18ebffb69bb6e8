//! The checked configuration of `convert`, built once from the command line before anything is
//! read (as ripgrep turns its flags into `HiArgs`): the output plan, the period scope, the
//! policies, the id schemes, and every path check — an output may not be a file that is read
//! or another output, through symlinks and `./` spellings too.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::cli::{ConvertArgs, OnDuplicate, OnUnmapped, OrgUnitSchemeArg, TargetSchemeArg};
use crate::convert::DuplicatePolicy;
use crate::ids::IdScheme;
use crate::mapping::TargetScheme;
use crate::model::Format;
use crate::period::{Date, Window};
use crate::write;

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
}

/// Everything `convert` was asked to do, checked.
#[derive(Debug, Clone)]
pub struct ConvertConfig {
    pub inputs: Vec<String>,
    pub from: Option<Format>,
    pub mapping: Option<String>,
    pub target_metadata: Option<String>,
    pub target_version: Option<String>,
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
    pub as_of_text: Option<String>,
    pub previous: Vec<String>,
    pub complete: Option<Complete>,
    pub quiet: bool,
    pub progress: bool,
    /// Inputs and outputs are hashed only for the summary and the report, which show it.
    pub hash: bool,
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
                let w = Window::parse(text).map_err(|e| anyhow::anyhow!("--periods {e}"))?;
                Some((text.clone(), w))
            }
        };
        let as_of = match &args.as_of {
            Some(d) => Date::parse(d)
                .with_context(|| format!("--as-of `{d}` is not a date (yyyy-mm-dd)"))?,
            None => today(),
        };
        let mut config = ConvertConfig {
            inputs: args.inputs.clone(),
            from: args.from.map(Into::into),
            mapping: args.mapping.clone(),
            target_metadata: args.target_metadata.clone(),
            target_version: args.target_version.clone(),
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
            as_of_text: args.as_of.clone(),
            previous: args.previous.clone(),
            complete: args.complete.clone().map(|path| Complete {
                path,
                min: args.complete_min,
            }),
            quiet: args.quiet,
            progress: !args.quiet && !args.no_progress,
            hash: args.summary.is_some() || args.report.is_some() || args.split_by.is_some(),
        };
        if config.zero_fill && (config.mapping.is_none() || config.target_metadata.is_none()) {
            bail!(
                "--zero-fill needs -m (the targets to fill) and --target-metadata (the data sets, their org units and period types)"
            );
        }
        config.check_paths()?;
        if let OutputPlan::Folder { path, earlier, .. } = &mut config.output
            && !config.dry_run
        {
            *earlier = write::folder::earlier_files(path)?;
        }
        Ok(config)
    }

    /// The scheme the mapping's targets are read in: `--target-scheme`, else codes.
    pub fn target_scheme(&self) -> TargetScheme {
        self.target_scheme.unwrap_or(TargetScheme::Code)
    }

    /// Checks every path before anything is read: outputs can be written, and no output is a
    /// file that is read or another output.
    fn check_paths(&self) -> Result<()> {
        match &self.output {
            OutputPlan::Folder { path, .. } => {
                let dir = Path::new(path);
                if dir.exists() && !dir.is_dir() {
                    bail!("{path}: --split-by writes into a folder, and this is a file");
                }
                if !dir.exists() {
                    write::check_output(path, &self.inputs)?;
                }
            }
            OutputPlan::File { path, .. } if !self.dry_run => {
                write::check_output(path, &self.inputs)?;
            }
            _ => {}
        }
        if self.summary.as_deref() == Some("-")
            && self.output == OutputPlan::Stdout
            && !self.dry_run
        {
            bail!(
                "--summary - and -o - would both write to standard output; name a file for one of them"
            );
        }
        for (what, path) in self.written() {
            if path != "-" && what != "-o" {
                write::check_output(path, &self.inputs).with_context(|| what.to_string())?;
            }
        }
        if let Some(report) = &self.report {
            write::check_xlsx(report, "--report")?;
        }
        self.check_clashes()
    }

    /// The files this run writes, with the option that names each.
    fn written(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        if let OutputPlan::File { path, .. } = &self.output
            && !self.dry_run
        {
            out.push(("-o", path.as_str()));
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
        let mut out: Vec<(&'static str, &str)> =
            self.inputs.iter().map(|i| ("input", i.as_str())).collect();
        if let Some(m) = &self.mapping {
            out.push(("-m", m.as_str()));
        }
        if let Some(m) = &self.target_metadata {
            out.push(("--target-metadata", m.as_str()));
        }
        out.extend(self.previous.iter().map(|p| ("--previous", p.as_str())));
        out
    }

    /// Refuses an output that is also read, or written twice.
    fn check_clashes(&self) -> Result<()> {
        let written = self.written();
        let read = self.read();
        for (i, (what, path)) in written.iter().enumerate() {
            if *path == "-" {
                continue;
            }
            let Some(me) = identity(path) else { continue };
            for (other, other_path) in written[..i].iter().chain(read.iter()) {
                if *other_path != "-" && identity(other_path).as_ref() == Some(&me) {
                    let role = if written[..i].iter().any(|(_, p)| p == other_path) {
                        "written by"
                    } else {
                        "read as"
                    };
                    bail!(
                        "{path}: {what} names the file {role} {other} ({other_path}); choose another name"
                    );
                }
            }
        }
        Ok(())
    }
}

/// What makes two spellings of a path the same file: the canonical path of an existing file,
/// else (a file still to be written, or a link to one) its canonical folder and its name,
/// following links that point at files not yet there.
fn identity(path: &str) -> Option<PathBuf> {
    let mut p = PathBuf::from(path);
    // A chain of links is followed a few steps; a loop gives up (and clashes with nothing).
    for _ in 0..8 {
        if let Ok(c) = p.canonicalize() {
            return Some(c);
        }
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        match std::fs::read_link(&p) {
            Ok(target) => p = dir.join(target),
            Err(_) => return Some(dir.canonicalize().ok()?.join(p.file_name()?)),
        }
    }
    None
}

/// The output plan and format from `-o`, `--to`, `--split-by`.
fn output_plan(args: &ConvertArgs) -> Result<(OutputPlan, Format)> {
    let to = args.to.map(Format::from);
    if args.split_by.is_some() {
        if args.output == "-" {
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
    if path != "-" && (Path::new(path).is_dir() || path.ends_with(['/', '\\'])) {
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
        (None, None) if path == "-" => Format::Json,
        (None, None) => {
            bail!("{path}: cannot tell the output format from the name; use --to json|xml|csv")
        }
    };
    let plan = if path == "-" {
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

/// Today's date (UTC).
pub fn today() -> Date {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    Date::from_days(i64::try_from(days).unwrap_or(0))
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
