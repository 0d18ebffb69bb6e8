//! The output's id schemes settled by its ids, and what stops a conversion after reading and
//! before anything is written: ids that cannot be what the output declares
//! ([`crate::write::Schemes::misfit`]), and a run that read values and would write none —
//! never an empty success with import instructions, but exit 2 naming the likely cause.

use anyhow::{Result, bail};
use rustc_hash::FxHashSet;

use super::load::Undeclared;
use crate::config::{ConvertConfig, OutputPlan};
use crate::convert::Converted;
use crate::convert::store::Slot;
use crate::ids::IdScheme;
use crate::ids::is_uid;
use crate::mapping::Mapping;
use crate::policy::Entries;
use crate::words::{count, thousands};
use crate::write::Schemes;

/// A scheme nothing declared is read off the ids: UID when every id of its kind is a UID, CODE
/// when none is; ids of both kinds are refused, with the option that says which they are.
/// (An analytics export asked for codes does not say so in the file.)
pub fn settle(schemes: &mut Schemes, undeclared: Undeclared, c: &Converted) -> Result<()> {
    // Each kind with the position of its id in `OutputValue::fields`.
    let kinds = [
        (
            undeclared.data_element,
            &mut schemes.data_element,
            "data element",
            "--target-scheme",
            0,
        ),
        (
            undeclared.category_option_combo,
            &mut schemes.category_option_combo,
            "category option combo",
            "--target-scheme",
            3,
        ),
        (
            undeclared.attribute_option_combo,
            &mut schemes.attribute_option_combo,
            "attribute option combo",
            "--target-scheme",
            4,
        ),
        (
            undeclared.org_unit,
            &mut schemes.org_unit,
            "org unit",
            "--org-unit-scheme",
            2,
        ),
    ];
    for (open, scheme, what, option, field) in kinds {
        if !open {
            continue;
        }
        let (mut uid, mut other) = (None, None);
        // Each distinct id looked at once (ids are interned: a flag per id number).
        let mut seen = vec![false; c.ids.len()];
        for (_, slot) in c.values() {
            let n = slot.key.ids()[field];
            match seen.get_mut(n.index()) {
                Some(seen) if !*seen => *seen = true,
                _ => continue,
            }
            let id = c.text(n);
            match (id.is_empty(), is_uid(id)) {
                (true, _) => {}
                (false, true) => uid = uid.or(Some(id)),
                (false, false) => other = other.or(Some(id)),
            }
            if uid.is_some() && other.is_some() {
                break;
            }
        }
        *scheme = match (uid, other) {
            (Some(u), Some(o)) => bail!(
                "the {what} ids are partly UIDs (`{u}`) and partly not (`{o}`), and nothing says \
                 which scheme they follow; give {option} uid or {option} code (ids of the other \
                 kind are then refused); nothing was written"
            ),
            (None, Some(_)) => IdScheme::Code,
            _ => IdScheme::Uid,
        };
    }
    Ok(())
}

/// Why the run must stop: its output could not be imported as declared, or would be empty.
pub fn check(
    config: &ConvertConfig,
    e: Entries,
    schemes: &Schemes,
    mapping: Option<&Mapping>,
) -> Option<String> {
    let c = e.converted;
    let data_sets: Vec<_> = if matches!(config.output, OutputPlan::Folder { .. }) {
        let ids: FxHashSet<_> = c.values().map(|(_, s)| s.data_set).collect();
        let mut sets: Vec<_> = ids.into_iter().filter_map(|id| c.data_set(id)).collect();
        sets.extend(e.zeros.iter().filter_map(|z| z.data_set.clone()));
        sets.extend(e.deletions.iter().filter_map(|d| d.data_set.clone()));
        sets
    } else {
        Vec::new()
    };
    let deletions = e.deletions.iter().map(|d| d.output_value(None));
    let zeros = e.zeros.iter().map(|z| z.output_value(None));
    let values = fresh_ids(c).map(|s| c.output_value(&s, None));
    if let Some(m) = schemes.misfit(values.chain(zeros).chain(deletions), data_sets.into_iter()) {
        return Some(m.to_string());
    }
    let written = c.written() + e.zeros.len() as u64 + e.deletions.len() as u64;
    (written == 0).then(|| nothing_written(e, mapping))
}

/// The values written that hold an id no value before them holds in the same place: a misfit
/// is found at its first value, so the others need no look (a pass over 10^6 values checked
/// every id's text, 35 ms; now an id's number, once per value).
fn fresh_ids(c: &Converted) -> impl Iterator<Item = Slot<'_>> {
    // A bit per place in the key.
    let mut seen = vec![0u8; c.ids.len()];
    c.values()
        .filter(move |(_, s)| {
            let mut fresh = false;
            for (bit, id) in s.key.ids().into_iter().enumerate() {
                match seen.get_mut(id.index()) {
                    Some(flags) if *flags & (1 << bit) != 0 => {}
                    Some(flags) => {
                        *flags |= 1 << bit;
                        fresh = true;
                    }
                    None => fresh = true,
                }
            }
            fresh
        })
        .map(|(_, s)| s)
}

/// Why a run that read values writes none: the reasons that left them out, and, when no
/// mapping row matched, whether the export and the mapping name items in different schemes.
fn nothing_written(e: Entries, mapping: Option<&Mapping>) -> String {
    let c = e.converted;
    let mut reasons: Vec<_> = c.ledger.counts().filter(|(_, n)| *n > 0).collect();
    reasons.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let why: Vec<String> = reasons
        .iter()
        .take(3)
        .map(|(r, n)| format!("{} {}", thousands(*n), r.name()))
        .collect();
    let mut text = format!(
        "{} read and none would be written ({}); nothing was written",
        count(c.ledger.read, "value"),
        why.join(", ")
    );
    if let Some(hint) = mapping.and_then(|m| scheme_hint(e, m)) {
        text.push_str(": ");
        text.push_str(&hint);
    } else {
        text.push_str(" (the summary's leftOut and the audit workbook list each value)");
    }
    text
}

/// The export names its items by UID and the mapping by code, or the other way round.
fn scheme_hint(e: Entries, mapping: &Mapping) -> Option<String> {
    let unmapped = e.converted.unmapped();
    let exported = unmapped.first()?;
    let mapped = mapping.rows.iter().find(|r| !r.exported().is_empty())?;
    let export_uid = is_uid(&exported.data_element);
    if export_uid == is_uid(mapped.exported()) {
        return None;
    }
    let (a, b) = if export_uid {
        ("UID", "code")
    } else {
        ("code", "UID")
    };
    Some(format!(
        "the export names its items by {a} (`{}`) and the mapping by {b} (`{}`): export with \
         the mapping's scheme (pi2de request writes the URL), or write the mapping's sources as \
         the export names them",
        exported.data_element,
        mapped.exported()
    ))
}
