//! Writing what `convert` produced into the run's [`Staging`]: the output file(s) of
//! [`policy::split`] (in a folder, with the record of what was written and the earlier run's
//! files to remove), and the completeness payload. Nothing is moved into place here.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};

use crate::config::{ConvertConfig, OutputPlan};
use crate::convert::Converted;
use crate::mapping::Mapping;
use crate::policy::split::{self, Group};
use crate::policy::{Entries, completeness, trace};
use crate::report::OutputFile;
use crate::write::{self, Output, Schemes, Staging, folder};

/// The file (or folder) of the single output, opened before reading so that an interrupted
/// run is cleaned up by the same path as a finished one.
pub fn prepare(config: &ConvertConfig) -> Result<Option<Output>> {
    match &config.output {
        OutputPlan::File { path, gzip } if !config.dry_run => Ok(Some(Output::create(
            path,
            *gzip,
            config.hash,
            &config.inputs,
        )?)),
        _ => Ok(None),
    }
}

/// Writes the output: one file, or one per data set (and part) into the output folder.
pub fn write_outputs(
    config: &ConvertConfig,
    e: Entries,
    schemes: &Schemes,
    mut prepared: Option<Output>,
    mapping: Option<&Mapping>,
    staging: &mut Staging,
) -> Result<Vec<OutputFile>> {
    let (split, max) = match config.output {
        OutputPlan::Folder { max_values, .. } => {
            (true, max_values.and_then(|n| usize::try_from(n).ok()))
        }
        _ => (false, None),
    };
    let groups = split::groups(e, split, max);
    if split && !Path::new(&config.output_name).exists() {
        std::fs::create_dir(&config.output_name)
            .with_context(|| format!("{}: cannot create the output folder", config.output_name))?;
    }
    let names = file_names(config, &groups);
    let sources = trace::Sources {
        inputs: &config.inputs,
        previous: &config.previous,
    };
    let mut trace_out = match &config.trace {
        Some(path) => Some(Output::create(path, false, false, &config.inputs)?),
        None => None,
    };
    let mut tracer = match trace_out.as_mut() {
        Some(o) => Some(trace::Trace::new(o.stream(), mapping).context("--trace: cannot write")?),
        None => None,
    };
    let mut files = Vec::new();
    for (g, path) in groups.iter().zip(names) {
        let mut output = match prepared.take() {
            Some(o) => o,
            None => Output::create(&path, gzip(config), config.hash, &config.inputs)?,
        };
        let comment = config.comment.as_deref();
        (|| {
            let mut w =
                write::writer(config.format, output.stream(), schemes, g.data_set.as_ref())?;
            for v in g.output_values(e, comment) {
                w.value(&v)?;
            }
            w.finish()
        })()
        .with_context(|| format!("{path}: cannot write the output"))?;
        let sha256 = output.finish(staging)?.sha256;
        if let Some(t) = tracer.as_mut() {
            t.file(&path, g, e, &sources)
                .context("--trace: cannot write")?;
        }
        files.push(OutputFile {
            path,
            data_set: g.data_set.clone(),
            values: g.values,
            zeros: g.zeros,
            deletions: g.deletions,
            sha256,
        });
    }
    if let Some(o) = trace_out {
        o.finish(staging).context("--trace")?;
    }
    if let OutputPlan::Folder { path, earlier, .. } = &config.output {
        record_folder(path, earlier, &files, staging)?;
    }
    Ok(files)
}

/// Stages the folder's record of this run's files, and the removal of the earlier run's files
/// that this run does not write again.
fn record_folder(
    folder: &str,
    earlier: &[String],
    files: &[OutputFile],
    staging: &mut Staging,
) -> Result<()> {
    let name = |p: &str| {
        Path::new(p)
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().to_string())
    };
    let written: Vec<(String, String)> = files
        .iter()
        .map(|f| (name(&f.path), f.sha256.clone().unwrap_or_default()))
        .collect();
    for old in earlier {
        if !written.iter().any(|(n, _)| n == old) {
            staging.remove_at_commit(Path::new(folder).join(old));
        }
    }
    let record = Path::new(folder).join(folder::RECORD);
    staging.bytes(
        &record.to_string_lossy(),
        folder::record_text(&written).as_bytes(),
    )
}

fn gzip(config: &ConvertConfig) -> bool {
    matches!(config.output, OutputPlan::File { gzip: true, .. })
}

/// The path of each group's file: the output, or in the output folder one file per data set
/// (`DS_CODE.json`, numbered when cut into parts; `no-data-set.json`).
fn file_names(config: &ConvertConfig, groups: &[Group]) -> Vec<String> {
    if !matches!(config.output, OutputPlan::Folder { .. }) {
        return groups.iter().map(|_| config.output_name.clone()).collect();
    }
    let ext = config.format.name().to_ascii_lowercase();
    let key = |g: &Group| g.data_set.as_ref().map(|d| d.id.clone());
    let mut parts: HashMap<Option<String>, usize> = HashMap::new();
    for g in groups {
        *parts.entry(key(g)).or_default() += 1;
    }
    let mut seen: HashMap<Option<String>, usize> = HashMap::new();
    groups
        .iter()
        .map(|g| {
            let k = key(g);
            let stem = k.as_deref().map_or("no-data-set".to_string(), file_stem);
            let n = seen.entry(k.clone()).or_default();
            *n += 1;
            let name = if parts[&k] > 1 {
                format!("{stem}-{n}.{ext}")
            } else {
                format!("{stem}.{ext}")
            };
            Path::new(&config.output_name)
                .join(name)
                .to_string_lossy()
                .to_string()
        })
        .collect()
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

/// Stages the completeDataSetRegistrations payload; returns how many registrations it holds.
pub fn write_complete(path: &str, c: &Converted, min: u64, staging: &mut Staging) -> Result<usize> {
    let registrations = completeness::registrations(c, min);
    let text = serde_json::to_string_pretty(&completeness::payload(&registrations))? + "\n";
    staging.bytes(path, text.as_bytes()).context("--complete")?;
    Ok(registrations.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems() {
        assert_eq!(file_stem("DS_MONTHLY"), "DS_MONTHLY");
        assert_eq!(file_stem("a/b c"), "a_b_c");
    }
}
