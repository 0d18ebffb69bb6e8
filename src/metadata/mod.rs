//! DHIS2 metadata JSON exports (e.g. the WHO packages): program indicators with their export
//! attribute and `aggregateExport*` fields, data elements, category combos and option combos,
//! data sets, organisation units and attributes. Read through serde in one pass: only these
//! collections are kept, and only the fields pi2de uses; everything else is skipped unparsed.

mod model;

use std::fmt;

use anyhow::{Context, Result, bail};

use crate::read::{At, error_at};
use rustc_hash::FxHashMap;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};

pub use model::*;

/// DHIS2's "Data element for aggregate data export" attribute, which packages use to name the
/// target data element of a program indicator.
pub const EXPORT_ATTRIBUTE: &str = "vudyDP7jUy5";

/// The collections of a metadata export that pi2de reads.
#[derive(Debug, Default)]
pub struct Metadata {
    pub path: String,
    pub program_indicators: Vec<ProgramIndicator>,
    pub data_elements: Vec<DataElement>,
    pub category_combos: Vec<CategoryCombo>,
    pub categories: Vec<Category>,
    pub programs: Vec<Program>,
    pub category_option_combos: Vec<CategoryOptionCombo>,
    pub data_sets: Vec<DataSet>,
    pub category_options: Vec<CategoryOption>,
    pub organisation_units: Vec<OrganisationUnit>,
    pub attributes: Vec<Named>,
    pub validation_rules: Vec<ValidationRule>,
    /// Whether the file had an `organisationUnits` collection at all.
    pub has_organisation_units: bool,
    /// The exporting instance's version (`system.version`), when the export says.
    pub system_version: Option<String>,
    /// The version a package was made for (`package.DHIS2Version`).
    pub package_version: Option<String>,
    index: Index,
}

/// Lookups by UID and code, built once after loading.
#[derive(Debug, Default)]
struct Index {
    data_element: FxHashMap<String, usize>,
    category_combo: FxHashMap<String, usize>,
    category_option_combo: FxHashMap<String, usize>,
    data_set: FxHashMap<String, usize>,
    data_sets_of: FxHashMap<String, Vec<usize>>,
    organisation_unit: FxHashMap<String, usize>,
    category_option: FxHashMap<String, usize>,
    category: FxHashMap<String, usize>,
    /// Per data set, the org units it is assigned to: a bit per org unit, by its index in
    /// `organisation_units` (an assigned UID the metadata does not list has no bit).
    data_set_org_units: Vec<Vec<u64>>,
    /// Per org unit, its ancestors' UIDs and its own (from `path`, else the `parent` chain).
    lineage: Vec<Vec<String>>,
}

/// Which property an id is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Uid,
    Code,
}

struct Top<'m>(&'m mut Metadata);

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a DHIS2 metadata export object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let m = self.0;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "programIndicators" => m.program_indicators = map.next_value()?,
                "dataElements" => m.data_elements = map.next_value()?,
                "categoryCombos" => m.category_combos = map.next_value()?,
                "categoryOptionCombos" => m.category_option_combos = map.next_value()?,
                "categories" => m.categories = map.next_value()?,
                "programs" => m.programs = map.next_value()?,
                "package" => m.package_version = map.next_value::<Package>()?.dhis2_version,
                "dataSets" => m.data_sets = map.next_value()?,
                "categoryOptions" => m.category_options = map.next_value()?,
                "system" => m.system_version = map.next_value::<System>()?.version,
                "organisationUnits" => {
                    m.has_organisation_units = true;
                    m.organisation_units = map.next_value()?;
                }
                "attributes" => m.attributes = map.next_value()?,
                "validationRules" => m.validation_rules = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

impl Metadata {
    /// Reads a metadata export. A file that is not one (no metadata collection at all) is an
    /// error naming the file.
    pub fn load(path: &str) -> Result<Metadata> {
        std::fs::metadata(path)
            .with_context(|| format!("{path}: cannot open the metadata file"))?;
        let mut m = Metadata {
            path: path.to_string(),
            ..Default::default()
        };
        // Read as exports are: gzip or a zip of one file (the Import/Export app's download).
        crate::read::with_input(path, false, None, |reader, _| {
            let mut de = serde_json::Deserializer::from_reader(reader);
            Top(&mut m)
                .deserialize(&mut de)
                .and_then(|()| de.end())
                .map_err(|e| {
                    let at = At::LineColumn(e.line() as u64, e.column() as u64);
                    error_at(path, at, format!("not a DHIS2 metadata export: {e}"))
                })
        })?;
        if m.program_indicators.is_empty()
            && m.data_elements.is_empty()
            && m.category_option_combos.is_empty()
            && m.data_sets.is_empty()
        {
            bail!(
                "{path}: not a DHIS2 metadata export: it has no programIndicators, dataElements, \
                 categoryOptionCombos or dataSets (export it with /api/metadata or the Import/Export app)"
            );
        }
        m.build_index();
        Ok(m)
    }

    fn build_index(&mut self) {
        fn add(map: &mut FxHashMap<String, usize>, id: &str, code: &Option<String>, i: usize) {
            map.insert(id.to_string(), i);
            if let Some(c) = code.as_deref().filter(|c| !c.is_empty()) {
                map.entry(c.to_string()).or_insert(i);
            }
        }
        let mut ix = Index::default();
        for (i, d) in self.data_elements.iter().enumerate() {
            add(&mut ix.data_element, &d.id, &d.code, i);
        }
        for (i, c) in self.category_combos.iter().enumerate() {
            add(&mut ix.category_combo, &c.id, &c.code, i);
        }
        for (i, c) in self.category_option_combos.iter().enumerate() {
            add(&mut ix.category_option_combo, &c.id, &c.code, i);
        }
        for (i, ds) in self.data_sets.iter().enumerate() {
            add(&mut ix.data_set, &ds.id, &ds.code, i);
            for e in &ds.data_set_elements {
                ix.data_sets_of
                    .entry(e.data_element.id.clone())
                    .or_default()
                    .push(i);
            }
        }
        for (i, o) in self.organisation_units.iter().enumerate() {
            add(&mut ix.organisation_unit, &o.id, &o.code, i);
        }
        let by_uid: FxHashMap<&str, usize> = (self.organisation_units.iter().enumerate())
            .map(|(i, o)| (o.id.as_str(), i))
            .collect();
        let words = self.organisation_units.len().div_ceil(64);
        for ds in &self.data_sets {
            let mut bits = vec![0u64; words];
            for i in ds
                .organisation_units
                .iter()
                .filter_map(|o| by_uid.get(o.id.as_str()))
            {
                bits[i / 64] |= 1 << (i % 64);
            }
            ix.data_set_org_units.push(bits);
        }
        for (i, o) in self.category_options.iter().enumerate() {
            add(&mut ix.category_option, &o.id, &o.code, i);
        }
        for (i, c) in self.categories.iter().enumerate() {
            add(&mut ix.category, &c.id, &c.code, i);
        }
        ix.lineage = self
            .organisation_units
            .iter()
            .map(|o| lineage(o, &ix.organisation_unit, &self.organisation_units))
            .collect();
        self.index = ix;
    }

    /// A data element by UID or code, and which of the two matched.
    pub fn data_element(&self, id: &str) -> Option<(&DataElement, IdKind)> {
        let d = &self.data_elements[*self.index.data_element.get(id)?];
        Some((
            d,
            if d.id == id {
                IdKind::Uid
            } else {
                IdKind::Code
            },
        ))
    }

    pub fn category_option_combo(&self, id: &str) -> Option<(&CategoryOptionCombo, IdKind)> {
        let c = &self.category_option_combos[*self.index.category_option_combo.get(id)?];
        Some((
            c,
            if c.id == id {
                IdKind::Uid
            } else {
                IdKind::Code
            },
        ))
    }

    pub fn category_combo(&self, id: &str) -> Option<&CategoryCombo> {
        Some(&self.category_combos[*self.index.category_combo.get(id)?])
    }

    pub fn data_set(&self, id: &str) -> Option<(&DataSet, IdKind)> {
        let d = &self.data_sets[*self.index.data_set.get(id)?];
        Some((
            d,
            if d.id == id {
                IdKind::Uid
            } else {
                IdKind::Code
            },
        ))
    }

    /// An org unit by UID or code.
    pub fn organisation_unit(&self, id: &str) -> Option<&OrganisationUnit> {
        Some(&self.organisation_units[self.organisation_unit_index(id)?])
    }

    /// The index in `organisation_units` of an org unit, by UID or code.
    pub fn organisation_unit_index(&self, id: &str) -> Option<usize> {
        self.index.organisation_unit.get(id).copied()
    }

    /// An org unit's level (1 for the root): as exported, else from its lineage.
    pub fn level(&self, id: &str) -> Option<u32> {
        let ou = self.organisation_unit(id)?;
        ou.level
            .or_else(|| self.lineage(id).and_then(|l| u32::try_from(l.len()).ok()))
    }

    /// The UID of the default category option combo (`default`; DHIS2 gives it the UID
    /// `HllvX50cXC0` when it creates it).
    pub fn default_option_combo_uid(&self) -> &str {
        self.category_option_combos
            .iter()
            .find(|c| {
                c.name == "default"
                    || c.code.as_deref() == Some("default")
                    || c.id == crate::ids::DEFAULT_COMBO_UID
            })
            .map_or(crate::ids::DEFAULT_COMBO_UID, |c| c.id.as_str())
    }

    /// The UIDs from the root down to an org unit (by UID or code), itself included.
    pub fn lineage(&self, id: &str) -> Option<&[String]> {
        let i = *self.index.organisation_unit.get(id)?;
        self.index.lineage.get(i).map(Vec::as_slice)
    }

    /// A category by UID or code.
    pub fn category(&self, id: &str) -> Option<&Category> {
        Some(&self.categories[*self.index.category.get(id)?])
    }

    /// The tracker instance's version: `system.version`, else the package's `DHIS2Version`.
    pub fn version(&self) -> Option<&str> {
        self.system_version
            .as_deref()
            .or(self.package_version.as_deref())
    }

    /// The option combos of a category combo (by UID).
    pub fn option_combos_of<'a>(
        &'a self,
        combo: &'a str,
    ) -> impl Iterator<Item = &'a CategoryOptionCombo> {
        self.category_option_combos
            .iter()
            .filter(move |c| c.category_combo.as_ref().is_some_and(|r| r.id == combo))
    }

    /// A category option by UID or code.
    pub fn category_option(&self, id: &str) -> Option<&CategoryOption> {
        Some(&self.category_options[*self.index.category_option.get(id)?])
    }

    /// The category combo a data set gives a data element (by UID): the data set element's own,
    /// else the data element's (dhis2-core 2.43 `HibernateDataEntryStore.getCocNotInDataSet`).
    pub fn effective_combo<'a>(
        &'a self,
        data_set: &'a DataSet,
        element: &'a DataElement,
    ) -> &'a str {
        data_set
            .data_set_elements
            .iter()
            .find(|e| e.data_element.id == element.id)
            .and_then(|e| e.category_combo.as_ref())
            .or(element.category_combo.as_ref())
            .map_or("", |c| c.id.as_str())
    }

    /// Whether data set number `data_set` (an index into `data_sets`) is assigned to org unit
    /// number `org_unit` (an index into `organisation_units`, see
    /// [`organisation_unit_index`](Self::organisation_unit_index)).
    pub fn data_set_assigned(&self, data_set: usize, org_unit: usize) -> bool {
        (self.index.data_set_org_units.get(data_set))
            .and_then(|bits| bits.get(org_unit / 64))
            .is_some_and(|w| w & (1 << (org_unit % 64)) != 0)
    }

    /// The index of a data set in `data_sets`.
    pub fn data_set_index(&self, id: &str) -> Option<usize> {
        self.index.data_set.get(id).copied()
    }

    /// The indexes of the data sets that hold a data element (by its UID).
    pub fn data_set_indexes_of(&self, data_element_uid: &str) -> &[usize] {
        self.index
            .data_sets_of
            .get(data_element_uid)
            .map_or(&[], |v| v.as_slice())
    }

    /// The data sets that hold a data element (by its UID).
    pub fn data_sets_of(&self, data_element_uid: &str) -> Vec<&DataSet> {
        self.index
            .data_sets_of
            .get(data_element_uid)
            .map(|v| v.iter().map(|&i| &self.data_sets[i]).collect())
            .unwrap_or_default()
    }

    /// True when the category combo (by UID) is DHIS2's `default`.
    pub fn is_default_combo(&self, uid: &str) -> bool {
        self.category_combo(uid).is_none_or(|c| {
            c.name == "default"
                || c.code.as_deref() == Some("default")
                || uid == crate::ids::DEFAULT_CATEGORY_COMBO_UID
        })
    }
}

/// An org unit's ancestors and itself: from its `path`, else by following `parent`.
fn lineage(
    o: &OrganisationUnit,
    by_id: &FxHashMap<String, usize>,
    all: &[OrganisationUnit],
) -> Vec<String> {
    if let Some(path) = o.path.as_deref().filter(|p| p.contains(&o.id)) {
        return path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
    }
    let mut chain = vec![o.id.clone()];
    let mut next = o.parent.as_ref().map(|p| p.id.clone());
    while let Some(id) = next.take() {
        if chain.contains(&id) || chain.len() > 64 {
            break; // a cycle in a broken export
        }
        next = by_id
            .get(&id)
            .and_then(|&i| all[i].parent.as_ref())
            .map(|p| p.id.clone());
        chain.push(id);
    }
    chain.reverse();
    chain
}

/// The id to write for an object under a scheme: its code (falling back to the UID when it has
/// none) or its UID.
pub fn id_for<'a>(uid: &'a str, code: &'a Option<String>, want_code: bool) -> &'a str {
    match code.as_deref() {
        Some(c) if want_code && !c.is_empty() => c,
        _ => uid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_set_assignment_is_read_by_org_unit_index_across_words() {
        let unit = |i: usize| OrganisationUnit {
            id: format!("Ou{i:09}"),
            // One unit's code is another's UID: only the UID assigns.
            code: Some(if i == 3 {
                "Ou000000064".into()
            } else {
                format!("C{i}")
            }),
            ..Default::default()
        };
        let assigned = [0, 1, 63, 64, 65, 127, 128, 129];
        let set = |id: &str, units: &[usize]| DataSet {
            id: id.into(),
            organisation_units: (units.iter().map(|&i| Ref {
                id: format!("Ou{i:09}"),
            }))
            .chain([Ref {
                id: "NotListed01".into(),
            }])
            .collect(),
            ..Default::default()
        };
        let mut m = Metadata {
            organisation_units: (0..130).map(unit).collect(),
            data_sets: vec![set("DsA", &assigned), set("DsB", &[2])],
            ..Default::default()
        };
        m.build_index();
        for i in 0..130 {
            assert_eq!(m.data_set_assigned(0, i), assigned.contains(&i), "unit {i}");
            assert_eq!(m.data_set_assigned(1, i), i == 2, "unit {i}");
        }
        assert!(
            !m.data_set_assigned(0, 130) && !m.data_set_assigned(2, 0),
            "out of range"
        );
        assert_eq!(m.organisation_unit_index("C5"), Some(5), "by code");
        assert_eq!(
            m.organisation_unit_index("Ou000000064"),
            Some(64),
            "a UID wins over a code"
        );
    }
}
