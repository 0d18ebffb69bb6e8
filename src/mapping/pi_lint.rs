//! The offline lint of a tracker's program indicator disaggregation set-up (DHIS2 2.42+): what
//! the metadata import refuses (`ProgramObjectBundleHook`), what makes the whole analytics call
//! fail (`ProgramCategoryMappingValidator`), what silently drops events (`addCocAndAoc`), and
//! the tracker version against the known program-indicator bugs. Each finding names the
//! indicator or program, the category and the option.

use rustc_hash::{FxHashMap, FxHashSet};

use super::Finding;
use super::disaggregation::{Side, side};
use crate::metadata::{Metadata, Program, ProgramCategoryMapping, ProgramIndicator};
use crate::preflight::version::Version;

const FAILS: &str = "the whole analytics request for it fails (no export at all)";

/// Every finding of the tracker metadata's disaggregation set-up.
pub fn lint(tracker: &Metadata) -> Vec<Finding> {
    let mut out = Vec::new();
    for program in &tracker.programs {
        program_mappings(tracker, program, &mut out);
    }
    let programs: FxHashMap<&str, &Program> = tracker
        .programs
        .iter()
        .map(|p| (p.id.as_str(), p))
        .collect();
    for pi in &tracker.program_indicators {
        indicator(tracker, pi, &programs, &mut out);
    }
    versions(tracker, &mut out);
    out
}

/// A program's own mappings: what the metadata import refuses and the analytics call rejects.
fn program_mappings(tracker: &Metadata, program: &Program, out: &mut Vec<Finding>) {
    let cell = format!("programs[{}]", program.id);
    let mut ids = FxHashSet::default();
    let mut names = FxHashSet::default();
    for m in &program.category_mappings {
        if !crate::ids::is_uid(&m.id) {
            out.push(Finding::error(
                &cell,
                format!("E4075: category mapping id `{}` is not a UID: the metadata import refuses the program", m.id),
            ));
        }
        if !ids.insert(m.id.as_str()) {
            out.push(Finding::error(
                &cell,
                format!("E4076: category mapping {} is there twice: the metadata import refuses the program", m.id),
            ));
        }
        // `ProgramObjectBundleHook` compares category id + name as typed, untrimmed.
        if !names.insert((m.category_id.as_str(), m.mapping_name.as_str())) {
            out.push(Finding::error(
                &cell,
                format!(
                    "E4077: category {} has two mappings named `{}`: the metadata import refuses the program",
                    m.category_id, m.mapping_name
                ),
            ));
        }
        let Some(category) = tracker.category(&m.category_id) else {
            out.push(Finding::error(
                &cell,
                format!(
                    "E4072: category mapping {} `{}` names category {}, which the tracker metadata lacks \
                     (export categories too): if DHIS2 lacks it as well, {FAILS}",
                    m.id, m.mapping_name, m.category_id
                ),
            ));
            continue;
        };
        let own: FxHashSet<&str> = category
            .category_options
            .iter()
            .map(|o| o.id.as_str())
            .collect();
        let mut seen = FxHashSet::default();
        for om in &m.option_mappings {
            if !seen.insert(om.option_id.as_str()) {
                out.push(Finding::error(
                    &cell,
                    format!(
                        "E4079: category mapping {} `{}` maps option {} twice: {FAILS}",
                        m.id,
                        m.mapping_name,
                        super::disaggregation::option_label(tracker, &om.option_id)
                    ),
                ));
            }
            if !own.contains(om.option_id.as_str())
                && tracker.category_option(&om.option_id).is_none()
            {
                out.push(Finding::error(
                    &cell,
                    format!(
                        "E4073: category mapping {} `{}` of category {} maps option {}, which is not in the metadata: {FAILS}",
                        m.id, m.mapping_name, category.name, om.option_id
                    ),
                ));
            }
        }
    }
}

/// A disaggregated indicator's mappings: each listed one in the program (E4071), each category
/// of its combos mapped (E4074), each option reachable.
fn indicator(
    tracker: &Metadata,
    pi: &ProgramIndicator,
    programs: &FxHashMap<&str, &Program>,
    out: &mut Vec<Finding>,
) {
    let combos = [
        ("disaggregation", side(tracker, pi.category_combo.as_ref())),
        ("attribute", side(tracker, pi.attribute_combo.as_ref())),
    ];
    if combos.iter().all(|(_, s)| matches!(s, Side::Plain)) && pi.category_mapping_ids.is_empty() {
        return;
    }
    let cell = format!("programIndicators[{}]", pi.id);
    let program_id = pi.program.as_ref().map_or("", |p| p.id.as_str());
    let Some(program) = programs.get(program_id) else {
        if !pi.category_mapping_ids.is_empty() || !tracker.programs.is_empty() {
            out.push(Finding::warning(
                &cell,
                format!(
                    "`{}`: its program {program_id} is not in the tracker metadata, so its category \
                     mappings cannot be checked (export programs too)",
                    pi.name.trim()
                ),
            ));
        }
        return;
    };
    let by_id: FxHashMap<&str, &ProgramCategoryMapping> = program
        .category_mappings
        .iter()
        .map(|m| (m.id.as_str(), m))
        .collect();
    let mut mine: Vec<&ProgramCategoryMapping> = Vec::new();
    for id in &pi.category_mapping_ids {
        match by_id.get(id.as_str()) {
            Some(m) => mine.push(m),
            None => out.push(Finding::error(
                &cell,
                format!(
                    "E4071: `{}` lists category mapping {id}, which program {} does not have: {FAILS}",
                    pi.name.trim(),
                    program.id
                ),
            )),
        }
    }
    for (kind, s) in &combos {
        let Side::Combo(combo) = s else { continue };
        for cat in &combo.categories {
            let category = tracker.category(&cat.id);
            let name = category.map_or(cat.id.clone(), |c| format!("{} ({})", c.name.trim(), c.id));
            if category.is_some_and(|c| c.name == "default") {
                continue;
            }
            let maps: Vec<&&ProgramCategoryMapping> =
                mine.iter().filter(|m| m.category_id == cat.id).collect();
            if maps.is_empty() {
                let elsewhere = program
                    .category_mappings
                    .iter()
                    .any(|m| m.category_id == cat.id);
                out.push(Finding::error(
                    &cell,
                    format!(
                        "E4074: `{}`: {kind} category {name} has no category mapping among the indicator's own \
                         categoryMappingIds{}: {FAILS}",
                        pi.name.trim(),
                        if elsewhere { " (the program has one, but the indicator does not list it)" } else { "" }
                    ),
                ));
                continue;
            }
            let Some(category) = category else { continue };
            let mapped: FxHashSet<&str> = maps
                .iter()
                .flat_map(|m| m.option_mappings.iter().map(|o| o.option_id.as_str()))
                .collect();
            for o in &category.category_options {
                if !mapped.contains(o.id.as_str()) {
                    out.push(Finding::warning(
                        &cell,
                        format!(
                            "`{}`: option {} of category {name} has no option mapping: no event is ever counted \
                             under it, and analytics leaves its option combos out without a word",
                            pi.name.trim(),
                            super::disaggregation::option_label(tracker, &o.id)
                        ),
                    ));
                }
            }
        }
    }
}

/// The mapping's rows of disaggregated indicators against what their export carries: the
/// tracker's own option combo UIDs of the indicator's combos (`PiDisagDataHandler.addCocAndAoc`).
pub fn rows(mapping: &super::Mapping, tracker: &Metadata) -> Vec<Finding> {
    let mut out = Vec::new();
    let by_id: FxHashMap<&str, &ProgramIndicator> = tracker
        .program_indicators
        .iter()
        .map(|p| (p.id.as_str(), p))
        .collect();
    for r in mapping.rows.iter().filter(|r| r.enabled) {
        let Some(pi) = by_id.get(r.source.trim()) else {
            continue;
        };
        let sides = [
            (
                super::Col::SourceCoc,
                "sourceCategoryOptionCombo",
                &r.source_category_option_combo,
                &pi.category_combo,
            ),
            (
                super::Col::SourceAoc,
                "sourceAttributeOptionCombo",
                &r.source_attribute_option_combo,
                &pi.attribute_combo,
            ),
        ];
        for (col, column, source, combo) in sides {
            let Side::Combo(combo) = side(tracker, combo.as_ref()) else {
                continue;
            };
            let cell = mapping.cell(col, r.row);
            let label = super::disaggregation::combo_label(combo);
            if source.trim().is_empty() {
                out.push(Finding::warning(
                    cell,
                    format!(
                        "{} is disaggregated by {label}: its export has one value per option combo, and with {column} \
                         empty they all go to this row's target (`mapping from-metadata` writes one row each)",
                        pi.id
                    ),
                ));
            } else if !tracker
                .option_combos_of(&combo.id)
                .any(|c| c.id == source.trim())
            {
                out.push(Finding::error(
                    cell,
                    format!(
                        "{} is disaggregated by {label}: its export carries that combo's option combo UIDs, never {column} \
                         `{}`, so this row's values are never found (`mapping from-metadata` writes the rows it needs)",
                        pi.id,
                        source.trim()
                    ),
                ));
            }
        }
    }
    out
}

/// A known bug of the tracker's version that changes program indicator numbers.
struct Bug {
    key: &'static str,
    what: &'static str,
    /// Affected `[from, to)` ranges.
    affected: &'static [([u32; 3], [u32; 3])],
    /// Only for disaggregated indicators (the rest: every indicator).
    disaggregation: bool,
}

/// From the release notes in `dhis2/dhis2-releases` (`releases/2.4x/ReleaseNote-*.md`) and the
/// fixing commits in dhis2-core.
const BUGS: &[Bug] = &[
    Bug {
        key: "DHIS2-19663",
        what: "PI disaggregation scaling bugs",
        affected: &[([2, 42, 0], [2, 42, 1])],
        disaggregation: true,
    },
    Bug {
        key: "DHIS2-21440",
        what: "PI disaggregation fails when using date between functions",
        affected: &[([2, 42, 0], [2, 42, 5])],
        disaggregation: true,
    },
    Bug {
        key: "DHIS2-20929",
        what: "a program indicator filtering a Yes/No data element gives a wrong value for \"No\"",
        affected: &[
            ([2, 0, 0], [2, 40, 12]),
            ([2, 41, 0], [2, 41, 9]),
            ([2, 42, 0], [2, 42, 5]),
            ([2, 43, 0], [2, 43, 1]),
        ],
        disaggregation: false,
    },
    Bug {
        key: "DHIS2-21513",
        what: "tracker program indicators don't work after they are defined or edited",
        affected: &[
            ([2, 41, 0], [2, 41, 9]),
            ([2, 42, 0], [2, 42, 5]),
            ([2, 43, 0], [2, 43, 1]),
        ],
        disaggregation: false,
    },
    Bug {
        key: "DHIS2-21591",
        what: "a program indicator is not calculated (column pistatus renamed enrollmentstatus)",
        affected: &[([2, 43, 0], [2, 43, 1])],
        disaggregation: false,
    },
];

/// The tracker version against [`BUGS`]. A running instance's `system.version` counts for every
/// bug; a package's `DHIS2Version` (the version it was built on, not the one it runs on) only for
/// the disaggregation bugs, which a package with disaggregated indicators is exposed to anyway.
fn versions(tracker: &Metadata, out: &mut Vec<Finding>) {
    let (text, running) = match (&tracker.system_version, &tracker.package_version) {
        (Some(v), _) => (v.as_str(), true),
        (None, Some(v)) => (v.as_str(), false),
        _ => return,
    };
    let Some(version) = Version::parse(text) else {
        return;
    };
    let disaggregated = tracker
        .program_indicators
        .iter()
        .filter(|pi| {
            [&pi.category_combo, &pi.attribute_combo]
                .iter()
                .any(|c| !matches!(side(tracker, c.as_ref()), Side::Plain))
        })
        .count();
    for bug in BUGS {
        let exposed = if bug.disaggregation {
            disaggregated
        } else if running {
            tracker.program_indicators.len()
        } else {
            0
        };
        let fixed = bug.affected.iter().find(|&&(from, to)| {
            Version::parse(&dotted(from)).is_some_and(|f| version >= f)
                && Version::parse(&dotted(to)).is_some_and(|t| version < t)
        });
        if let (Some((_, to)), true) = (fixed, exposed > 0) {
            out.push(Finding::warning(
                format!("tracker version {version}"),
                format!(
                    "{}: {} (fixed in {}); {} here may export wrong numbers until the tracker is \
                     upgraded",
                    bug.key,
                    bug.what,
                    dotted(*to),
                    crate::words::count(exposed as u64, "program indicator")
                ),
            ));
        }
    }
}

fn dotted([a, b, c]: [u32; 3]) -> String {
    format!("{a}.{b}.{c}")
}
