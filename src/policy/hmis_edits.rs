//! `--current`: what the import would do to what people did in the HMIS. Every import
//! overwrites the stored comment and follow-up flag (2.43 `HibernateDataEntryStore.upsertValues`:
//! `comment = EXCLUDED.comment`, `followup = EXCLUDED.followup`; ≤ 2.42
//! `DefaultDataValueSetService.saveDataValueUpdate`), and a value someone changed by hand is
//! replaced. Found per value written: each is reported, and `--keep-hmis-comments` carries the
//! HMIS's comment and follow-up into the output instead.

use rustc_hash::FxHashMap;

use crate::convert::Converted;
use crate::ids::KeyText;
use crate::policy::deletions::PreviousValue;

/// A value written whose HMIS counterpart people touched.
#[derive(Debug, Clone)]
pub struct Edit {
    pub key: KeyText,
    pub comment: Option<String>,
    pub followup: bool,
    pub stored_by: Option<String>,
    pub last_updated: Option<String>,
    /// The import replaces its comment (there is one, and the output carries another or none).
    pub wipes_comment: bool,
    /// The import clears its follow-up flag.
    pub clears_followup: bool,
    /// Last stored by someone else than `--integration-user`.
    pub by_someone_else: bool,
}

/// What the HMIS holds for the keys written: comment and follow-up by key (for
/// `--keep-hmis-comments`), and the edits to report.
pub struct HmisEdits {
    pub kept: FxHashMap<KeyText, (Option<String>, bool)>,
    pub edits: Vec<Edit>,
}

/// The HMIS's values among `earlier` from index `from` on (`--current`), against what `c`
/// writes. `comment` is `--comment`; `keep` is `--keep-hmis-comments`.
pub fn find(
    c: &Converted,
    earlier: &[PreviousValue],
    from: usize,
    cal: crate::period::Calendar,
    comment: Option<&str>,
    keep: bool,
    user: Option<&str>,
) -> HmisEdits {
    let mut out = HmisEdits {
        kept: FxHashMap::default(),
        edits: Vec::new(),
    };
    // Each period text parsed once.
    let mut periods: FxHashMap<&str, Option<String>> = FxHashMap::default();
    for v in earlier.iter().filter(|v| v.input as usize >= from) {
        let period = periods.entry(v.key.period.as_str()).or_insert_with(|| {
            crate::period::parse_in(cal, &v.key.period)
                .ok()
                .map(|p| p.id)
        });
        let Some(period) = period.clone() else {
            continue;
        };
        let key = KeyText {
            period,
            ..v.key.clone()
        };
        if !c.arrived(&key) {
            continue;
        }
        let [hmis_comment, followup, stored_by, last_updated] = v.audit.clone();
        let hmis_comment = hmis_comment.filter(|s| !s.trim().is_empty());
        let followup = followup.as_deref().is_some_and(crate::read::is_true);
        if keep {
            out.kept
                .insert(key.clone(), (hmis_comment.clone(), followup));
        }
        let written_comment = if keep {
            hmis_comment.as_deref()
        } else {
            comment
        };
        let edit = Edit {
            wipes_comment: hmis_comment.is_some() && written_comment != hmis_comment.as_deref(),
            clears_followup: followup && !keep,
            by_someone_else: user.is_some_and(|u| {
                stored_by
                    .as_deref()
                    .is_some_and(|s| !s.trim().is_empty() && s.trim() != u)
            }),
            key,
            comment: hmis_comment,
            followup,
            stored_by,
            last_updated,
        };
        if edit.wipes_comment || edit.clears_followup || edit.by_someone_else {
            out.edits.push(edit);
        }
    }
    out
}
