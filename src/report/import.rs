//! How to import an output: the Import/Export app options and the `/api/dataValueSets` call
//! with its id-scheme parameters (dhis2-core `ImportOptions`, `DataValueSetController`).

use crate::ids::DataSetId;
use crate::ids::IdScheme;
use crate::model::Format;
use crate::preflight::version::Version;
use crate::write::Schemes;

/// `CODE` → `Code`, as the Import/Export app labels its options.
fn label(scheme: &IdScheme) -> String {
    match scheme {
        IdScheme::Uid => "UID".into(),
        IdScheme::Code => "Code".into(),
        IdScheme::Name => "Name".into(),
        IdScheme::Attribute(uid) => format!("Attribute {uid}"),
        IdScheme::Other(name) => name.clone(),
    }
}

/// Lines telling how to import `path`.
pub fn instructions(
    path: &str,
    format: Format,
    gzip: bool,
    schemes: &Schemes,
    data_set: Option<&DataSetId>,
    target: Option<Version>,
) -> Vec<String> {
    let content_type = match format {
        Format::Json => "application/json",
        Format::Xml => "application/xml",
        Format::Csv => "application/csv",
    };
    let general = &schemes.data_element;
    let mut params = format!(
        "idScheme={general}&dataElementIdScheme={}&categoryOptionComboIdScheme={}&attributeOptionComboIdScheme={}&orgUnitIdScheme={}",
        schemes.data_element,
        schemes.category_option_combo,
        schemes.attribute_option_combo,
        schemes.org_unit
    );
    if let Some(ds) = data_set {
        // CSV has no payload: the data set goes in the URL (JSON and XML carry it in the file).
        if format == Format::Csv {
            params.push_str(&format!("&dataSet={}", ds.id));
        }
        params.push_str(&format!("&dataSetIdScheme={}", ds.scheme));
    }
    let mut lines = vec![format!(
        "Import/Export app → Data import: file {path}, format {}{}, ID scheme {}, data element ID scheme {}, org unit ID scheme {}; run with \"Dry run\" first.",
        format.name(),
        if format == Format::Csv {
            ", first row is header: yes"
        } else {
            ""
        },
        label(general),
        label(&schemes.data_element),
        label(&schemes.org_unit),
    )];
    if format == Format::Csv {
        lines.push("CSV carries no id schemes: the options above (or the URL parameters below) are required.".into());
    } else {
        lines.push("The id schemes are also written in the file itself.".into());
    }
    let header = format!("Content-Type: {content_type}");
    let data = format!("@{path}");
    let url = format!("https://HMIS/api/dataValueSets?dryRun=true&{params}");
    lines.push(format!(
        "API: {}{}",
        crate::shell::line(&[
            "curl",
            "-u",
            "USER",
            "-H",
            &header,
            "--data-binary",
            &data,
            &url
        ]),
        if gzip {
            "  (DHIS2 detects the gzip compression itself)"
        } else {
            ""
        }
    ));
    lines.push("Then repeat without dryRun=true once the dry run reports no conflicts.".into());
    lines.push(strategy(target));
    lines
}

/// What the app's Strategy and Skip options do on the target version.
fn strategy(target: Option<Version>) -> String {
    match target {
        Some(v) if !v.is_entry_pipeline() => format!(
            "On DHIS2 {v}: keep the strategy \"New and updates\": \"New only\" leaves values that changed as they were and \"Updates only\" drops new ones (both counted as ignored); leave \"Skip existing check\" off, it imports every value as new and breaks updates and deletions (DefaultDataValueSetService.importDataValue)."
        ),
        v => format!(
            "On DHIS2 {}: the strategy changes nothing but \"Delete\" (\"New only\" and \"Updates only\" import like \"New and updates\": DataEntryPipeline reads importStrategy only to tell DELETE apart) and \"Skip existing check\" has no effect; one refused value rejects its whole data set, so run the dry run first.",
            v.map_or("2.43+".to_string(), |v| v.to_string())
        ),
    }
}
