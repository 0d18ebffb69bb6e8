//! Mapping workbooks as Excel, LibreOffice and scripts leave them: sheet names with stray
//! spaces, error cells, formulas never calculated, codes the spreadsheet turned into numbers,
//! dates or booleans, a stray cell at the sheet's last cell. The .xlsx/.ods fixtures in
//! tests/workbooks/ were saved by LibreOffice Calc (tests/workbooks/make.py).

use super::*;

/// `pi2de mapping check PATH`: exit code, stdout and stderr.
pub(crate) fn check(path: &Path) -> (i32, String, String) {
    let out = pi2de()
        .args(["mapping", "check", s(path)])
        .output()
        .expect("run pi2de");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn workbook(name: &str) -> PathBuf {
    repo(&format!("tests/workbooks/{name}"))
}

/// Converts the sample CSV export with `mapping`; returns the exit code, summary and stderr.
fn convert_sample(dir: &Workdir, mapping: &Path) -> (i32, Value, String) {
    let out = dir.file("out.json");
    dir.convert(&[
        s(&repo("samples/immunisation.csv")),
        "-m",
        s(mapping),
        "-o",
        s(&out),
    ])
}

#[test]
fn the_mapping_sheet_is_found_whatever_its_spaces_and_case() {
    for name in ["trailing-space.xlsx", "trailing-space.ods"] {
        let dir = Workdir::new();
        let (code, summary, stderr) = convert_sample(&dir, &workbook(name));
        // The first sheet, `old`, has no dataElement column: reading it would convert nothing.
        assert_eq!(code, 1, "{name}: {stderr}");
        assert_eq!(summary["counts"]["written"], 99, "{name}");
        assert_eq!(summary["mapping"]["sheet"], "Mapping ", "{name}");
    }
}

#[test]
fn several_sheets_that_look_like_mappings_stop_and_are_named() {
    for name in ["two-mappings.xlsx", "two-mappings.ods"] {
        let dir = Workdir::new();
        let (code, _, stderr) = convert_sample(&dir, &workbook(name));
        assert_eq!(code, 2, "{name}");
        assert!(
            stderr.contains("2 sheets look like mappings: `2023`, `2024`"),
            "{name}: {stderr}"
        );
        assert_only(&dir, &[]);
        let (code, _, stderr) = check(&workbook(name));
        assert_eq!(code, 2, "{name}: {stderr}");
    }
}

#[test]
fn spreadsheet_errors_are_errors_naming_the_cell_in_every_format() {
    let dir = Workdir::new();
    let csv = dir.write(
        "errors.csv",
        "programIndicator,dataElement,categoryOptionCombo,dataSet\n\
         bCgDoses01a,IMM_BCG,#DIV/0!,EPI_MONTHLY\n\
         oPv1Doses1b,IMM_OPV1,#N/A,EPI_MONTHLY\n",
    );
    let cases = [
        (workbook("error-cells.xlsx"), "mapping"),
        (workbook("error-cells.ods"), "mapping"),
        (csv, "errors.csv"),
    ];
    for (mapping, sheet) in cases {
        let (code, stdout, _) = check(&mapping);
        assert_eq!(code, 1, "{mapping:?}: {stdout}");
        for (cell, error) in [("C2", "#DIV/0!"), ("C3", "#N/A")] {
            let line = stdout
                .lines()
                .find(|l| l.contains(&format!("{sheet}!{cell}")))
                .unwrap_or_else(|| panic!("{mapping:?}: no finding at {cell}: {stdout}"));
            assert!(line.contains(error), "{line}");
        }
        assert!(stdout.contains("2 errors"), "{stdout}");
        // convert refuses the mapping and writes nothing: never a COC called `#DIV/0!`.
        let run = Workdir::new();
        let (code, _, stderr) = convert_sample(&run, &mapping);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains(&format!("{sheet}!C2")), "{stderr}");
        assert_only(&run, &[]);
    }
}

#[test]
fn a_formula_never_calculated_is_an_error_not_a_blank() {
    // Written by openpyxl: `<f>` without `<v>`; read as blank, the value would have gone to
    // the default COC.
    let (code, stdout, _) = check(&workbook("script-formulas.xlsx"));
    assert_eq!(code, 1, "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.contains("mapping!C2"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        line.contains("no calculated value") && line.contains("\"COC_\"&\"1\""),
        "{line}"
    );
}

#[test]
fn codes_the_spreadsheet_retyped_are_warned_with_their_cell() {
    for name in ["typed-codes.xlsx", "typed-codes.ods"] {
        let (code, stdout, _) = check(&workbook(name));
        assert_eq!(code, 0, "{name}: warnings only: {stdout}");
        let at = |cell: &str| {
            stdout
                .lines()
                .find(|l| l.contains(&format!("mapping!{cell} ")))
                .unwrap_or_else(|| panic!("{name}: nothing at {cell}: {stdout}"))
                .to_string()
        };
        assert!(at("B2").contains("`1` is a number cell"), "{name}");
        assert!(at("B3").contains("`2024-01-05` is a date cell"), "{name}");
        assert!(at("B4").contains("TRUE/FALSE cell"), "{name}");
    }
}

/// The sample mapping as an .xlsx written by rust_xlsxwriter, with `stray` cells holding `x`.
fn mapping_with_stray_cells(dir: &Workdir, stray: &[(u32, u16)]) -> PathBuf {
    let mut rows = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(repo("mappings/immunisation.csv"))
        .expect("sample mapping");
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet().set_name("mapping").expect("name");
    for (r, record) in rows.records().enumerate() {
        for (c, cell) in record.expect("a record").iter().enumerate() {
            sheet
                .write_string(r as u32, c as u16, cell)
                .expect("write a cell");
        }
    }
    for &(r, c) in stray {
        sheet.write_string(r, c, "x").expect("write a stray cell");
    }
    let path = dir.file("stray.xlsx");
    wb.save(&path).expect("save");
    path
}

#[test]
fn a_stray_cell_at_the_last_cell_of_the_sheet_costs_one_row() {
    let dir = Workdir::new();
    // XFD1048576 aborted the process with a 512 GB allocation; AZ1048576 took 3.3 GB.
    for (cell, stray) in [
        ("XFD1048576", (1_048_575, 16_383)),
        ("AZ1048576", (1_048_575, 51)),
    ] {
        let mapping = mapping_with_stray_cells(&dir, &[stray]);
        let (code, stdout, stderr) = check(&mapping);
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stdout.contains(&format!("mapping!{cell}")) && stdout.contains("ignored"),
            "{stdout}"
        );
        let (code, summary, stderr) = convert_sample(&dir, &mapping);
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(summary["counts"]["written"], 99);
    }
    let (code, stdout, _) = check(&workbook("stray-cell.ods"));
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("mapping!XFD1048576"), "{stdout}");
}

#[test]
fn a_sheet_whose_cells_spread_too_far_is_refused_naming_the_extent() {
    let dir = Workdir::new();
    let stray: Vec<(u32, u16)> = (20..400).map(|r| (r, 16_383)).collect();
    let mapping = mapping_with_stray_cells(&dir, &stray);
    let (code, _, stderr) = check(&mapping);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("stray.xlsx") && stderr.contains("as far as XFD"),
        "{stderr}"
    );
    let (code, _, stderr) = convert_sample(&dir, &mapping);
    assert_eq!(code, 2, "{stderr}");
    assert_only(&dir, &["stray.xlsx"]);
}

#[test]
fn csv_mappings_as_spreadsheets_save_them() {
    let dir = Workdir::new();
    let sample = fs::read_to_string(repo("mappings/immunisation.csv")).expect("sample mapping");
    // Excel for Mac's "CSV (Macintosh)": CR line ends. Read as the same rows.
    let cr = dir.write("cr.csv", &sample.replace('\n', "\r"));
    let (code, stdout, _) = check(&cr);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("11 rows"), "{stdout}");
    let (code, summary, _) = convert_sample(&dir, &cr);
    assert_eq!((code, summary["counts"]["written"].as_u64()), (1, Some(99)));
    // European Excel: `;`, read as such and said.
    let semicolons = dir.write("semi.csv", &sample.replace(',', ";"));
    let (code, stdout, stderr) = check(&semicolons);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("11 rows"), "{stdout}");
    assert!(
        stderr.contains("semi.csv: read as CSV separated by `;`"),
        "{stderr}"
    );
    // A long numeric code that went through Excel comes back in scientific notation.
    let excel = dir.write(
        "excel.csv",
        "programIndicator,dataElement\nbCgDoses01a,1.23457E+11\n",
    );
    let (code, stdout, _) = check(&excel);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("excel.csv!B2") && stdout.contains("`1.23457E+11` is a number"),
        "{stdout}"
    );
    // A header and nothing else is never a usable mapping.
    fs::remove_file(dir.file("out.json")).expect("the earlier output");
    let header_only = dir.write("empty.csv", sample.lines().next().expect("header"));
    let (code, stdout, _) = check(&header_only);
    assert_eq!(code, 1);
    assert!(stdout.contains("no rows below it"), "{stdout}");
    let (code, _, stderr) = convert_sample(&dir, &header_only);
    assert_eq!(code, 2, "{stderr}");
    assert!(!dir.file("out.json").exists());
}
