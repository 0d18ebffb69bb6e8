//! Writing what `convert` produced into the run's [`Staging`]: the output file(s) of
//! [`policy::split`] (in a folder, with the record of what was written and the earlier run's
//! files to remove), and the completeness payload. Nothing is moved into place here.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::config::{ConvertConfig, OutputPlan};
use crate::convert::Converted;
use crate::mapping::Mapping;
use crate::model::hex;
use crate::policy::split::{self, Group};
use crate::policy::{Entries, completeness, trace};
use crate::report::OutputFile;
use crate::write::{self, Output, Schemes, Staging, folder};

/// The file (or folder) of the single output, opened before reading so that an interrupted
/// run is cleaned up by the same path as a finished one.
pub fn prepare(config: &ConvertConfig) -> Result<Option<Output>> {
    match &config.output {
        OutputPlan::File { path, gzip } if !config.dry_run => {
            Ok(Some(Output::create(path, *gzip, config.hash)?))
        }
        _ => Ok(None),
    }
}

/// Writes the output: one file, or one per data set (and part) into the output folder.
pub fn write_outputs(
    config: &ConvertConfig,
    e: Entries,
    schemes: &Schemes,
    prepared: Option<Output>,
    (mapping, kept): (Option<&Mapping>, Option<&Kept>),
    staging: &mut Staging,
) -> Result<Vec<OutputFile>> {
    let (split, max) = match config.output {
        OutputPlan::Folder { max_values, .. } => {
            (true, max_values.and_then(|n| usize::try_from(n).ok()))
        }
        _ => (false, None),
    };
    let groups = split::groups(e, split, max);
    let earlier = if split {
        hold_folder(&config.output_name, staging)?
    } else {
        Vec::new()
    };
    let names = file_names(config, &groups)?;
    let deletable = config.earlier();
    let sources = trace::Sources {
        inputs: &config.inputs,
        previous: &deletable,
    };
    let trace_path = config.trace.as_deref().unwrap_or("");
    let cannot_trace = || format!("--trace {trace_path}: cannot write");
    let trace_out = match &config.trace {
        Some(path) => Some(Output::create(path, false, false)?),
        None => None,
    };
    // The trace is written on a thread of its own while the values are: both read the
    // conversion, neither changes it.
    let (files, trace_out) = std::thread::scope(|scope| {
        let tracing = trace_out.map(|mut out| {
            let (groups, names, sources) = (&groups, &names, &sources);
            scope.spawn(move || -> Result<Output> {
                let mut t =
                    trace::Trace::new(out.stream(), mapping, &e.converted.ids, config.threads)
                        .with_context(cannot_trace)?;
                for (g, path) in groups.iter().zip(names) {
                    t.file(path, g, e, sources).with_context(cannot_trace)?;
                }
                t.finish().with_context(cannot_trace)?;
                Ok(out)
            })
        });
        let files = write_groups(config, e, schemes, &groups, &names, prepared, kept, staging);
        let traced = tracing
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("--trace: the writer stopped")))
            })
            .transpose();
        (files, traced)
    });
    let files = files?;
    if let Some(o) = trace_out? {
        o.finish(staging).with_context(cannot_trace)?;
    }
    if split {
        record_folder(&config.output_name, &earlier, &files, staging)?;
    }
    Ok(files)
}

/// Writes each group's values into its file.
#[allow(clippy::too_many_arguments)]
fn write_groups(
    config: &ConvertConfig,
    e: Entries,
    schemes: &Schemes,
    groups: &[split::Group],
    names: &[String],
    mut prepared: Option<Output>,
    kept: Option<&Kept>,
    staging: &mut Staging,
) -> Result<Vec<OutputFile>> {
    let mut files = Vec::new();
    for (g, path) in groups.iter().zip(names) {
        let mut output = match prepared.take() {
            Some(o) => o,
            None => Output::create(path, gzip(config), config.hash)?,
        };
        let comment = config.comment.as_deref();
        let values = |range| {
            g.output_values(e, comment, range).map(|mut v| {
                // --keep-hmis-comments: the HMIS's comment and follow-up, where it has them.
                if let Some(k) = kept
                    && !v.deleted
                    && let Some((c, followup)) =
                        key_of(&e.converted.ids, &v).and_then(|x| k.get(&x))
                {
                    v.comment = c.as_deref().or(v.comment);
                    v.followup = *followup;
                }
                v
            })
        };
        write::pieces::write_document(
            config.format,
            output.stream(),
            (schemes, g.data_set.as_ref()),
            g.len(),
            &values,
            config.threads,
        )
        .with_context(|| format!("{path}: cannot write the output"))?;
        let sha256 = output.finish(staging)?.sha256;
        files.push(OutputFile {
            path: path.clone(),
            data_set: g.data_set.clone(),
            values: g.values,
            zeros: g.zeros,
            deletions: g.deletions,
            sha256,
        });
    }
    Ok(files)
}

/// The HMIS's comment and follow-up by key (`--keep-hmis-comments`).
type Kept = rustc_hash::FxHashMap<crate::ids::Key, (Option<String>, bool)>;

/// The interned key of a value written (looked up, nothing allocated).
fn key_of(ids: &crate::ids::Interner, v: &crate::write::OutputValue) -> Option<crate::ids::Key> {
    Some(crate::ids::Key {
        data_element: ids.find(v.data_element)?,
        period: ids.find(v.period)?,
        org_unit: ids.find(v.org_unit)?,
        category_option_combo: ids.find(v.category_option_combo)?,
        attribute_option_combo: ids.find(v.attribute_option_combo)?,
    })
}

/// Creates the output folder if need be and holds it for this run; returns the files an earlier
/// run wrote there, as they are now that the folder is held (another run may have finished
/// meanwhile).
fn hold_folder(folder: &str, staging: &mut Staging) -> Result<Vec<String>> {
    if !Path::new(folder).exists() {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("{folder}: cannot create the output folder"))?;
    }
    staging.hold(folder::Lock::take(folder)?);
    folder::earlier_files(folder)
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
/// (`DS_CODE.json`, numbered when cut into parts; `no-data-set.json`). Names are distinct
/// ignoring case, and each is claimed in the run's [`write::Registry`]: a data set whose name
/// would be another's (`EPI MONTHLY` and `EPI_MONTHLY`, `MAL-1` beside the parts of `MAL`)
/// gets its id's digest after the name, so no file overwrites another.
fn file_names(config: &ConvertConfig, groups: &[Group]) -> Result<Vec<String>> {
    if !matches!(config.output, OutputPlan::Folder { .. }) {
        return Ok(groups.iter().map(|_| config.output_name.clone()).collect());
    }
    let ext = config.format.name().to_ascii_lowercase();
    fn key(g: &Group) -> Option<&str> {
        g.data_set.as_ref().map(|d| d.id.as_str())
    }
    let mut parts: Vec<(Option<&str>, usize)> = Vec::new();
    let mut index: HashMap<Option<&str>, usize> = HashMap::new();
    for g in groups {
        let i = *index.entry(key(g)).or_insert_with(|| {
            parts.push((key(g), 0));
            parts.len() - 1
        });
        parts[i].1 += 1;
    }
    let mut taken: HashSet<String> = [folder::RECORD, folder::LOCK]
        .iter()
        .map(|n| n.to_lowercase())
        .collect();
    let mut stems: HashMap<Option<&str>, String> = HashMap::new();
    // The values of no data set keep `no-data-set`: a set coded so is the one renamed.
    let mut naming: Vec<&(Option<&str>, usize)> = parts.iter().collect();
    naming.sort_by_key(|(k, _)| k.is_some());
    for (k, n) in naming {
        let stem = distinct_stem(*k, *n, &ext, &mut taken)?;
        stems.insert(*k, stem);
    }
    let mut paths = config.paths.clone();
    let mut seen: HashMap<Option<&str>, usize> = HashMap::new();
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        let k = key(g);
        let n = seen.entry(k).or_default();
        *n += 1;
        let name = part_name(&stems[&k], (parts[index[&k]].1 > 1).then_some(*n), &ext);
        let path = Path::new(&config.output_name)
            .join(name)
            .to_string_lossy()
            .to_string();
        paths.write("--split-by", &path)?;
        out.push(path);
    }
    Ok(out)
}

/// `STEM.ext`, or `STEM-N.ext` for part N.
fn part_name(stem: &str, part: Option<usize>, ext: &str) -> String {
    match part {
        Some(n) => format!("{stem}-{n}.{ext}"),
        None => format!("{stem}.{ext}"),
    }
}

/// A stem for a data set's `parts` files whose names are all free (ignoring case), marked
/// taken: the id made a file name, else with its digest after it.
fn distinct_stem(
    id: Option<&str>,
    parts: usize,
    ext: &str,
    taken: &mut HashSet<String>,
) -> Result<String> {
    let plain = id.map_or("no-data-set".to_string(), file_stem);
    let digest = hex(&Sha256::digest(id.unwrap_or("").as_bytes()));
    let names = |stem: &str| -> Vec<String> {
        match parts {
            1 => vec![part_name(stem, None, ext).to_lowercase()],
            n => (1..=n)
                .map(|i| part_name(stem, Some(i), ext).to_lowercase())
                .collect(),
        }
    };
    for stem in [plain.clone(), format!("{plain}-{}", &digest[..8])] {
        let wanted = names(&stem);
        if wanted.iter().all(|n| !taken.contains(n)) {
            taken.extend(wanted);
            return Ok(stem);
        }
    }
    bail!(
        "--split-by: no distinct file name for data set {}; rename it in the mapping",
        id.unwrap_or("(none)")
    )
}

/// A file name for a data set id: letters, digits, `.`, `_` and `-` kept, the rest `_`; at most
/// 100 characters; a name Windows keeps for a device (`CON`, `NUL`, `COM1`…) gets a `_`.
fn file_stem(id: &str) -> String {
    let mut stem: String = id
        .chars()
        .take(100)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let base = stem.split('.').next().unwrap_or("").to_ascii_uppercase();
    let device = matches!(base.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (base.len() == 4
            && (base.starts_with("COM") || base.starts_with("LPT"))
            && base.as_bytes()[3].is_ascii_digit());
    if device || stem.starts_with('.') {
        stem.insert(0, '_');
    }
    stem
}

/// Stages the completeDataSetRegistrations payload; returns its registrations.
pub fn write_complete(
    complete: &crate::config::Complete,
    c: &Converted,
    meta: Option<&crate::metadata::Metadata>,
    staging: &mut Staging,
) -> Result<Vec<completeness::Registration>> {
    let registrations = completeness::registrations(c, complete.min, meta);
    let payload = completeness::payload(&registrations, complete.date.as_deref());
    let text = serde_json::to_string_pretty(&payload)? + "\n";
    staging
        .bytes(&complete.path, text.as_bytes())
        .context("--complete")?;
    Ok(registrations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems() {
        assert_eq!(file_stem("DS_MONTHLY"), "DS_MONTHLY");
        assert_eq!(file_stem("a/b c"), "a_b_c");
        assert_eq!(file_stem("con"), "_con");
        assert_eq!(file_stem("COM1.x"), "_COM1.x");
        assert_eq!(file_stem(".pi2de-files"), "_.pi2de-files");
        assert_eq!(file_stem(&"x".repeat(300)).len(), 100);
    }

    #[test]
    fn colliding_names_are_made_distinct() {
        let mut taken = HashSet::new();
        let a = distinct_stem(Some("EPI MONTHLY"), 1, "json", &mut taken).unwrap();
        let b = distinct_stem(Some("EPI_MONTHLY"), 1, "json", &mut taken).unwrap();
        assert_eq!(a, "EPI_MONTHLY");
        assert!(b.starts_with("EPI_MONTHLY-") && b.len() == 20, "{b}");
        let mal = distinct_stem(Some("MAL"), 2, "json", &mut taken).unwrap();
        let mal1 = distinct_stem(Some("mal-1"), 1, "json", &mut taken).unwrap();
        assert_eq!(mal, "MAL");
        assert_ne!(mal1, "mal-1", "mal-1.json is part 1 of MAL");
        let none = distinct_stem(None, 1, "json", &mut taken).unwrap();
        let coded = distinct_stem(Some("no-data-set"), 1, "json", &mut taken).unwrap();
        assert_eq!(none, "no-data-set");
        assert_ne!(coded, none);
    }
}
