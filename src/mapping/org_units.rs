//! The org-unit crosswalk from both instances' metadata (`mapping from-metadata` with org units
//! on both sides): each tracker org unit matched to the HMIS one by a shared attribute, then the
//! same UID, then code, then name under the matched parent. What matches nothing, or more than
//! one unit, is listed with its path, not guessed.

use rustc_hash::FxHashMap;

use crate::metadata::{Metadata, OrganisationUnit};

/// How a tracker org unit found its HMIS one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    Attribute,
    Uid,
    Code,
    Name,
}

impl MatchedBy {
    pub fn label(self) -> &'static str {
        match self {
            MatchedBy::Attribute => "attribute",
            MatchedBy::Uid => "uid",
            MatchedBy::Code => "code",
            MatchedBy::Name => "name under the same parent",
        }
    }
}

/// A tracker org unit and its HMIS one.
pub struct Pair<'m> {
    pub tracker: &'m OrganisationUnit,
    pub hmis: &'m OrganisationUnit,
    pub by: MatchedBy,
}

/// A tracker org unit left without an HMIS one, and why.
pub struct Unmatched<'m> {
    pub tracker: &'m OrganisationUnit,
    pub why: String,
}

#[derive(Default)]
pub struct Crosswalk<'m> {
    pub pairs: Vec<Pair<'m>>,
    pub unmatched: Vec<Unmatched<'m>>,
}

/// The names from the root down to an org unit: `Sierra Leone / Bo / Ngelehun CHC`.
pub fn path_names(meta: &Metadata, ou: &OrganisationUnit) -> String {
    meta.lineage(&ou.id)
        .unwrap_or_default()
        .iter()
        .map(|id| {
            meta.organisation_unit(id)
                .map_or(id.as_str(), |o| o.name.trim())
        })
        .collect::<Vec<_>>()
        .join(" / ")
}

/// An org unit's parent: as exported, else from its path.
fn parent_of<'m>(meta: &'m Metadata, o: &'m OrganisationUnit) -> Option<&'m str> {
    if let Some(p) = o.parent.as_ref().filter(|p| !p.id.is_empty()) {
        return Some(p.id.as_str());
    }
    let lineage = meta.lineage(&o.id)?;
    lineage.len().checked_sub(2).map(|i| lineage[i].as_str())
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Every HMIS org unit by a key, for the lookups.
fn by_key<'m>(
    hmis: &'m Metadata,
    key: impl Fn(&'m OrganisationUnit) -> Option<String>,
) -> FxHashMap<String, Vec<&'m OrganisationUnit>> {
    let mut map: FxHashMap<String, Vec<&OrganisationUnit>> = FxHashMap::default();
    for o in &hmis.organisation_units {
        if let Some(k) = key(o).filter(|k| !k.is_empty()) {
            map.entry(k).or_default().push(o);
        }
    }
    map
}

/// Matches every tracker org unit, parents first (so that names are matched under the matched
/// parent).
pub fn crosswalk<'m>(
    tracker: &'m Metadata,
    hmis: &'m Metadata,
    attribute: Option<&str>,
) -> Crosswalk<'m> {
    let attr = |o: &OrganisationUnit| {
        let a = attribute?;
        o.attribute_values
            .iter()
            .find(|v| v.attribute.id == a)
            .and_then(|v| v.value.as_deref())
            .map(|v| v.trim().to_string())
    };
    let by_attribute = by_key(hmis, attr);
    let by_code = by_key(hmis, |o| o.code.as_deref().map(|c| c.trim().to_string()));
    let by_parent_name = by_key(hmis, |o| {
        let parent = parent_of(hmis, o).unwrap_or("");
        Some(format!("{parent}\u{1}{}", norm(&o.name)))
    });
    let mut order: Vec<&OrganisationUnit> = tracker.organisation_units.iter().collect();
    order.sort_by_key(|o| tracker.lineage(&o.id).map_or(0, <[String]>::len));
    let mut matched: FxHashMap<&str, &OrganisationUnit> = FxHashMap::default();
    let mut walk = Crosswalk::default();
    for t in order {
        let parent = parent_of(tracker, t);
        let hmis_parent = match parent {
            Some(p) => matched.get(p).map(|h| h.id.as_str()),
            None => Some(""),
        };
        let tries: [(MatchedBy, Option<Vec<&OrganisationUnit>>); 4] = [
            (
                MatchedBy::Attribute,
                attr(t).and_then(|v| by_attribute.get(&v).cloned()),
            ),
            (
                MatchedBy::Uid,
                hmis.organisation_unit(&t.id)
                    .filter(|h| h.id == t.id)
                    .map(|h| vec![h]),
            ),
            (
                MatchedBy::Code,
                t.code
                    .as_deref()
                    .and_then(|c| by_code.get(c.trim()).cloned()),
            ),
            (
                MatchedBy::Name,
                hmis_parent.and_then(|p| {
                    by_parent_name
                        .get(&format!("{p}\u{1}{}", norm(&t.name)))
                        .cloned()
                }),
            ),
        ];
        let mut outcome = Err(no_match(tracker, parent, hmis_parent));
        for (by, found) in tries {
            match found.as_deref() {
                None | Some([]) => continue,
                Some([one]) => outcome = Ok((*one, by)),
                Some(many) => outcome = Err(ambiguous(hmis, by, many)),
            }
            break;
        }
        match outcome {
            Ok((h, by)) => {
                matched.insert(t.id.as_str(), h);
                walk.pairs.push(Pair {
                    tracker: t,
                    hmis: h,
                    by,
                });
            }
            Err(why) => walk.unmatched.push(Unmatched { tracker: t, why }),
        }
    }
    walk
}

fn no_match(tracker: &Metadata, parent: Option<&str>, hmis_parent: Option<&str>) -> String {
    match (parent, hmis_parent) {
        (Some(p), None) => format!(
            "no HMIS org unit with its attribute, UID or code, and its parent {} is not matched, so its name cannot be looked for",
            tracker.organisation_unit(p).map_or(p, |o| o.name.trim())
        ),
        _ => "no HMIS org unit with its attribute, UID, code, or name under the matched parent"
            .to_string(),
    }
}

fn ambiguous(hmis: &Metadata, by: MatchedBy, many: &[&OrganisationUnit]) -> String {
    let list: Vec<String> = many
        .iter()
        .map(|o| format!("{} ({})", path_names(hmis, o), o.id))
        .collect();
    format!(
        "ambiguous: {} HMIS org units match by {}: {}",
        many.len(),
        by.label(),
        list.join("; ")
    )
}
