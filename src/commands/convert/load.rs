//! What `convert` loads besides the exports: the mapping (refused when it has errors), the target
//! metadata and its version, the output's id schemes, and the earlier outputs of `--previous`.

use crate::words::count;
use anyhow::{Result, bail};

use crate::config::ConvertConfig;
use crate::ids::IdScheme;
use crate::mapping::{Mapping, target};
use crate::metadata::{Metadata, id_for};
use crate::model::{DataValue, Header};
use crate::policy::deletions::PreviousValue;
use crate::preflight::hmis::HmisState;
use crate::preflight::version::{TargetVersion, Version};
use crate::read::{self, InputInfo, Sink};
use crate::write::Schemes;

/// The mapping and target metadata of a run.
pub struct Loaded {
    pub mapping: Option<Mapping>,
    pub metadata: Option<Metadata>,
    /// The HMIS's approvals and lock exceptions (`--approvals`, `--lock-exceptions`).
    pub hmis: HmisState,
    pub target: TargetVersion,
    pub warnings: Vec<String>,
}

impl Loaded {
    /// Loads the target metadata and the mapping (with its findings against the metadata).
    pub fn load(config: &ConvertConfig) -> Result<Loaded> {
        let scheme = config.target_scheme();
        let metadata = config
            .target_metadata
            .as_deref()
            .map(Metadata::load)
            .transpose()?;
        let mut mapping = match &config.mapping {
            Some(path) => Some(load_mapping(path, scheme)?),
            None => None,
        };
        if let (Some(m), Some(meta)) = (mapping.as_mut(), metadata.as_ref()) {
            let findings = target::check(m, meta, scheme);
            m.add_findings(findings);
        }
        let names_data_sets = mapping
            .as_ref()
            .is_some_and(|m| m.rows.iter().any(|r| !r.data_set.is_empty()));
        if metadata.is_none() && !names_data_sets {
            if config.complete.is_some() {
                bail!(
                    "--complete needs to know the data sets: fill the mapping's dataSet column or give --target-metadata"
                );
            }
            if matches!(config.output, crate::config::OutputPlan::Folder { .. }) {
                bail!(
                    "--split-by data-set needs to know the data sets: fill the mapping's dataSet column or give --target-metadata"
                );
            }
        }
        let version = metadata
            .as_ref()
            .and_then(|m| m.system_version.as_deref().map(|v| (m.path.as_str(), v)));
        let (target, warning) = TargetVersion::find(config.target_version.as_deref(), version)
            .map_err(anyhow::Error::msg)?;
        let mut warnings: Vec<String> = warning.into_iter().collect();
        if let Some(meta) = &metadata {
            warnings.extend(metadata_gaps(meta, &target, config.zero_fill));
        }
        let hmis = HmisState::load(
            config.approvals.as_deref(),
            config.lock_exceptions.as_deref(),
            config.calendar,
        )?;
        Ok(Loaded {
            mapping,
            metadata,
            hmis,
            target,
            warnings,
        })
    }
}

/// What the target metadata leaves unjudged: the version when only a package's
/// `DHIS2Version` (the version it was built on, not the HMIS's) says one; org-unit assignment
/// when it has no organisation units.
fn metadata_gaps(meta: &Metadata, target: &TargetVersion, zero_fill: bool) -> Vec<String> {
    let mut out = Vec::new();
    if let (None, Some(package)) = (target.version, &meta.package_version) {
        out.push(format!(
            "{}: a package made for DHIS2 {package} (package.DHIS2Version), which is the version it was built on, not necessarily the HMIS's: judged by the newest rules (2.43+); give --target-version with the HMIS's version (About DHIS2) to judge by its own",
            meta.path
        ));
    }
    if !meta.has_organisation_units {
        let zeros = if zero_fill {
            "; --zero-fill's zeros go to the org units that sent values, unchecked"
        } else {
            ""
        };
        out.push(format!(
            "{}: has no organisationUnits, so whether each org unit is assigned to its data set was not checked (DHIS2 refuses values of an org unit the data set is not assigned to){zeros}: export the metadata with organisation units to check it",
            meta.path
        ));
    }
    out
}

/// Loads the mapping and refuses it when it has errors.
fn load_mapping(path: &str, scheme: crate::mapping::TargetScheme) -> Result<Mapping> {
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
            "{path}: the mapping has {}; fix them and run again:\n{shown}{more}",
            count(errors.len() as u64, "error")
        );
    }
    Ok(mapping)
}

/// 2.43.0 to 2.43.1 refuse the values of data sets with input periods while those are open: a
/// warning naming the data sets this run writes to.
pub fn inverted_input_periods(
    v: Version,
    meta: &Metadata,
    written: &rustc_hash::FxHashSet<&str>,
) -> Option<String> {
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

/// The one scheme all inputs declare for a kind of id, if any; inputs that disagree are an error.
fn declared(
    inputs: &[InputInfo],
    what: &str,
    get: fn(&Header) -> Option<IdScheme>,
) -> Result<Option<IdScheme>> {
    let mut found: Option<(IdScheme, &str)> = None;
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

/// Which of the output's schemes nothing declared (no option, mapping or input): those are
/// read off the ids once converted ([`super::verdict::settle`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Undeclared {
    pub data_element: bool,
    pub category_option_combo: bool,
    pub attribute_option_combo: bool,
    pub org_unit: bool,
}

/// The id schemes of the output: what the options say, else CODE for mapped targets, else what
/// the inputs declare, else UID for now — undeclared, to be settled by the ids.
pub fn output_schemes(
    config: &ConvertConfig,
    mapping: Option<&Mapping>,
    inputs: &[InputInfo],
) -> Result<(Schemes, Undeclared)> {
    let target = |what: &str, get: fn(&Header) -> Option<IdScheme>| -> Result<Option<IdScheme>> {
        Ok(match (config.target_scheme, mapping) {
            (Some(crate::mapping::TargetScheme::Code), _) | (None, Some(_)) => Some(IdScheme::Code),
            (Some(crate::mapping::TargetScheme::Uid), _) => Some(IdScheme::Uid),
            (None, None) => declared(inputs, what, get)?,
        })
    };
    let org_unit = match &config.org_unit_scheme {
        Some(s) => Some(s.clone()),
        // Translated by the mapping: what the inputs declare is the source's scheme.
        None if mapping.is_some_and(|m| m.org_units.is_some()) => None,
        None => declared(inputs, "org unit", Header::org_unit_scheme)?,
    };
    let de = target("data element", Header::data_element_scheme)?;
    let coc = target(
        "category option combo",
        Header::category_option_combo_scheme,
    )?;
    let aoc = target(
        "attribute option combo",
        Header::attribute_option_combo_scheme,
    )?;
    let undeclared = Undeclared {
        data_element: de.is_none(),
        category_option_combo: coc.is_none(),
        attribute_option_combo: aoc.is_none(),
        org_unit: org_unit.is_none(),
    };
    let or_uid = |s: Option<IdScheme>| s.unwrap_or(IdScheme::Uid);
    Ok((
        Schemes {
            data_element: or_uid(de),
            category_option_combo: or_uid(coc),
            attribute_option_combo: or_uid(aoc),
            org_unit: or_uid(org_unit),
        },
        undeclared,
    ))
}

/// Values of earlier outputs, kept to compare with this run.
#[derive(Default)]
struct Previous(Vec<PreviousValue>, u32);

impl Sink for Previous {
    fn begin_input(&mut self, index: usize, _: &str) {
        self.1 = u32::try_from(index).unwrap_or(u32::MAX);
    }
    fn data_value(&mut self, v: DataValue<'_>) -> Result<()> {
        // A deletion in an earlier output is not a value that can disappear.
        if !v.deleted {
            self.0.push(PreviousValue {
                key: v.key().with_blank_defaults(),
                value: v.value.unwrap_or("").into(),
                audit: v.audit.fields().map(|f| f.map(str::to_string)),
                input: self.1,
                place: v.place,
            });
        }
        Ok(())
    }
}

/// Reads the `--previous` outputs and the `--current` export, which must use this run's id
/// schemes.
pub fn read_previous(config: &ConvertConfig, schemes: &Schemes) -> Result<Vec<PreviousValue>> {
    read_values(&config.earlier(), schemes)
}

/// Reads exports of the HMIS or of pi2de that must use this run's id schemes.
pub fn read_values(paths: &[String], schemes: &Schemes) -> Result<Vec<PreviousValue>> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let (previous, infos) = read::read_inputs(paths, None, false, None, Previous::default)?;
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
    Ok(previous.0)
}
