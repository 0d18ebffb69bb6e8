//! Every workbook pi2de writes prints: read from the xlsx itself (each sheet landscape with a
//! header naming the run and a footer `Page x of y`, text no smaller than 7 pt, every row with
//! wrapped text tall enough for its lines) and, where LibreOffice is installed, rendered to PDF
//! and measured there (page numbers printed, no line of text over another, no tiny text).

use super::*;
use quick_xml::events::Event;
use std::io::Read;

/// A part of an xlsx (a zip of XML files), as text.
fn part(xlsx: &Path, name: &str) -> Option<String> {
    let mut zip = zip::ZipArchive::new(fs::File::open(xlsx).ok()?).ok()?;
    let mut xml = String::new();
    zip.by_name(name).ok()?.read_to_string(&mut xml).ok()?;
    Some(xml)
}

/// An element's attribute, unescaped.
fn attr(e: &quick_xml::events::BytesStart, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// The text of every `<t>` in order, joined per `<si>`: the shared strings.
fn shared_strings(xlsx: &Path) -> Vec<String> {
    let Some(xml) = part(xlsx, "xl/sharedStrings.xml") else {
        return Vec::new();
    };
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut out, mut current, mut in_t) = (Vec::new(), String::new(), false);
    loop {
        match reader.read_event().expect("sharedStrings.xml is XML") {
            Event::Start(e) if e.name().as_ref() == "t" => in_t = true,
            Event::End(e) if e.name().as_ref() == "t" => in_t = false,
            Event::Text(t) if in_t => current.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_t => {
                let entity = format!("&{};", r.into_inner());
                current.push_str(&quick_xml::escape::unescape(&entity).expect("entity"));
            }
            Event::End(e) if e.name().as_ref() == "si" => out.push(std::mem::take(&mut current)),
            Event::Eof => return out,
            _ => {}
        }
    }
}

/// Which cell formats (`cellXfs`, by index) wrap text.
fn wrapping_styles(xlsx: &Path) -> Vec<bool> {
    let xml = part(xlsx, "xl/styles.xml").expect("styles.xml");
    let xfs = &xml[xml.find("<cellXfs").expect("cellXfs")..];
    let xfs = &xfs[..xfs.find("</cellXfs>").expect("cellXfs end")];
    xfs.split("<xf ")
        .skip(1)
        .map(|xf| {
            let end = xf.find("</xf>").or(xf.find("/>")).unwrap_or(xf.len());
            xf[..end].contains("wrapText=\"1\"")
        })
        .collect()
}

/// The sheets that print (hidden ones aside): their names and XML parts, in order.
fn sheets(xlsx: &Path) -> Vec<(String, String)> {
    let workbook = part(xlsx, "xl/workbook.xml").expect("workbook.xml");
    workbook
        .split("<sheet ")
        .skip(1)
        .enumerate()
        .filter(|(_, tag)| !tag[..tag.find('>').unwrap_or(tag.len())].contains("state=\"hidden\""))
        .map(|(i, tag)| {
            let name = tag
                .split("name=\"")
                .nth(1)
                .and_then(|t| t.split('"').next());
            let name = quick_xml::escape::unescape(name.unwrap_or(""))
                .expect("name")
                .into_owned();
            let xml = part(xlsx, &format!("xl/worksheets/sheet{}.xml", i + 1)).expect("sheet");
            (name, xml)
        })
        .collect()
}

/// What would print badly in the workbook at `xlsx`, one line per problem.
pub(crate) fn print_problems(xlsx: &Path) -> Vec<String> {
    let strings = shared_strings(xlsx);
    let wraps = wrapping_styles(xlsx);
    let mut problems = Vec::new();
    for (name, xml) in sheets(xlsx) {
        let mut say = |p: String| problems.push(format!("{name}: {p}"));
        let mut reader = quick_xml::Reader::from_str(&xml);
        let (mut widths, mut fit, mut scale, mut landscape) = (Vec::new(), false, 100.0, false);
        let (mut header, mut footer, mut in_hf) = (String::new(), String::new(), 0);
        let (mut row_height, mut row) = (15.0, 0u32);
        let mut cell: Option<(usize, bool)> = None;
        let mut in_v = false;
        loop {
            match reader.read_event().expect("sheet XML") {
                Event::Empty(e) | Event::Start(e) => match e.name().as_ref() {
                    "col" => {
                        let n = |k| attr(&e, k).and_then(|v| v.parse::<f64>().ok());
                        let (min, max, w) = (n("min"), n("max"), n("width"));
                        if let (Some(min), Some(max), Some(w)) = (min, max, w) {
                            widths.extend(std::iter::repeat_n(w, (max - min) as usize + 1));
                        }
                    }
                    "pageSetUpPr" => fit = attr(&e, "fitToPage").as_deref() == Some("1"),
                    "pageSetup" => {
                        landscape = attr(&e, "orientation").as_deref() == Some("landscape");
                        if let Some(s) = attr(&e, "scale") {
                            scale = s.parse().unwrap_or(100.0);
                        }
                    }
                    "oddHeader" => in_hf = 1,
                    "oddFooter" => in_hf = 2,
                    "row" => {
                        row = attr(&e, "r").and_then(|r| r.parse().ok()).unwrap_or(0);
                        row_height = attr(&e, "ht").and_then(|h| h.parse().ok()).unwrap_or(15.0);
                    }
                    "c" => {
                        let col = attr(&e, "r").map_or(0, |r| column_index(&r));
                        let style: usize = attr(&e, "s").and_then(|s| s.parse().ok()).unwrap_or(0);
                        let shared = attr(&e, "t").as_deref() == Some("s");
                        cell = shared.then_some((col, wraps.get(style).copied().unwrap_or(false)));
                    }
                    "v" => in_v = true,
                    _ => {}
                },
                Event::Text(t) => {
                    let text = t.xml10_content().into_owned();
                    match in_hf {
                        1 => header.push_str(&text),
                        2 => footer.push_str(&text),
                        _ => {}
                    }
                    if let (true, Some((col, wrapped))) = (in_v, cell) {
                        let index: usize = text.parse().unwrap_or(0);
                        let value = strings.get(index).map_or("", String::as_str);
                        let width = widths.get(col).copied().unwrap_or(8.43);
                        let lines = lines_needed(value, width);
                        if lines > 1 && !wrapped {
                            say(format!(
                                "row {row}: `{}` runs past its column",
                                short(value)
                            ));
                        }
                        if wrapped && row_height < 15.0 * lines.min(27) as f64 - 0.5 {
                            say(format!(
                                "row {row}: {lines} lines of text in a row {row_height} pt high print over the next row"
                            ));
                        }
                    }
                }
                Event::GeneralRef(r) if in_hf > 0 => {
                    let entity = format!("&{};", r.into_inner());
                    let text = quick_xml::escape::unescape(&entity).expect("entity");
                    if in_hf == 1 { &mut header } else { &mut footer }.push_str(&text);
                }
                Event::End(e) => match e.name().as_ref() {
                    "oddHeader" | "oddFooter" => in_hf = 0,
                    "v" => in_v = false,
                    "c" => cell = None,
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
        }
        if !landscape {
            say("not landscape".into());
        }
        if !header.contains("pi2de") {
            say(format!("the header `{header}` does not name the run"));
        }
        if !footer.contains("Page &P of &N") {
            say(format!("the footer `{footer}` has no `Page x of y`"));
        }
        // Fitted to one page wide: the scale is the page's width over the printed columns'
        // (a landscape A4 page holds about 130 character widths at 100 %).
        let printed: f64 = match print_area_columns(xlsx, &name) {
            Some(n) => widths.iter().take(n).sum(),
            None => widths.iter().sum(),
        };
        let effective = if fit {
            (130.0 / printed.max(1.0) * 100.0).min(100.0)
        } else {
            scale
        };
        if effective < 64.0 {
            say(format!(
                "prints at {effective:.0} % ({:.1} pt text)",
                11.0 * effective / 100.0
            ));
        }
    }
    problems
}

/// The columns of a sheet's print area (from column A), when it has one.
fn print_area_columns(xlsx: &Path, sheet: &str) -> Option<usize> {
    let workbook = part(xlsx, "xl/workbook.xml")?;
    let at = workbook.find("_xlnm.Print_Area")?;
    let rest = &workbook[at..];
    let text = &rest[rest.find('>')? + 1..rest.find("</definedName>")?];
    if !text.contains(sheet) {
        return None;
    }
    let last = text.rsplit(':').next()?.trim_start_matches('$');
    let letters: String = last.chars().take_while(char::is_ascii_alphabetic).collect();
    Some(column_index(&letters) + 1)
}

/// `C17` → 2 (0-based column).
fn column_index(cell: &str) -> usize {
    cell.chars()
        .take_while(char::is_ascii_alphabetic)
        .fold(0, |n, c| {
            n * 26 + (c.to_ascii_uppercase() as usize - 'A' as usize + 1)
        })
        .saturating_sub(1)
}

/// The fewest lines `text` takes in a column `width` characters wide.
fn lines_needed(text: &str, width: f64) -> usize {
    let per_line = (width - 1.0).max(1.0);
    text.split('\n')
        .map(|l| ((l.chars().count() as f64) / per_line).ceil().max(1.0) as usize)
        .sum()
}

fn short(text: &str) -> String {
    text.chars().take(40).collect()
}

/// Each workbook pi2de writes, made in `dir`: the audit of a run with mapping findings and
/// left-out values, the template, and the report of every other command.
fn every_workbook(dir: &Workdir) -> Vec<PathBuf> {
    let mut made = Vec::new();
    for job in super::invariants::jobs(dir) {
        for (option, file) in job.outputs.iter().filter(|(_, f)| f.ends_with(".xlsx")) {
            let name = format!("{}-{file}", job.args[..2].join("-"));
            let mut args = job.args.clone();
            args.extend([*option, name.as_str()]);
            // The command's own output, when the workbook is an extra.
            if let Some((o, out)) = job.outputs.iter().find(|(o, _)| *o == "-o" && o != option) {
                args.extend([*o, *out]);
            }
            let (code, stderr) = dir.run(&args);
            assert!(code < 2, "{args:?}: {stderr}");
            made.push(dir.file(&name));
        }
    }
    let (code, stderr) = dir.run(&["mapping", "template", "-o", "template.xlsx"]);
    assert_eq!(code, 0, "{stderr}");
    made.push(dir.file("template.xlsx"));
    made.push(audit_with_findings(dir));
    made
}

/// The audit workbook of a run against target metadata whose mapping targets a data element
/// the metadata lacks (a finding, its value left out) and with a long import instruction.
fn audit_with_findings(dir: &Workdir) -> PathBuf {
    use super::validation::{RULES_EXPORT, RULES_MAPPING};
    dir.write(
        "rm.csv",
        &format!("{RULES_MAPPING}PiXxxxxxxxx,DE_X,,DS_M\n"),
    );
    dir.write(
        "rin.csv",
        &format!("{RULES_EXPORT}PiXxxxxxxxx,202401,OuFacility2,4\n"),
    );
    let meta = repo("tests/metadata/rules.json");
    let (code, stderr) = dir.run(&[
        "convert",
        "rin.csv",
        "-m",
        "rm.csv",
        "-o",
        "rules.json",
        "--target-metadata",
        s(&meta),
        "--as-of",
        "2024-03-01",
        "--report",
        "audit.xlsx",
    ]);
    assert_eq!(code, 1, "{stderr}");
    dir.file("audit.xlsx")
}

#[test]
fn every_workbook_prints_readable_with_header_footer_and_row_heights() {
    let dir = Workdir::new();
    for xlsx in every_workbook(&dir) {
        let problems = print_problems(&xlsx);
        assert!(problems.is_empty(), "{}: {problems:#?}", xlsx.display());
    }
}

/// A workbook written without pi2de's print settings: portrait, no header or footer, a
/// wrapped cell in a row of the default height over a row of text, and 40 columns fitted to
/// one page.
fn badly_printing(dir: &Workdir) -> PathBuf {
    let path = dir.file("bad.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    let wrap = rust_xlsxwriter::Format::new().set_text_wrap();
    sheet.set_column_width(0, 20).unwrap();
    sheet
        .write_string_with_format(1, 0, "a long text ".repeat(10), &wrap)
        .unwrap();
    sheet.write_string(2, 0, "the next row").unwrap();
    for c in 1..40 {
        sheet.write_string(0, c, "x").unwrap();
        sheet.set_column_width(c, 10).unwrap();
    }
    sheet.set_print_fit_to_pages(1, 0);
    wb.save(&path).unwrap();
    path
}

#[test]
fn the_print_check_finds_what_prints_badly() {
    let dir = Workdir::new();
    let path = badly_printing(&dir);
    let problems = print_problems(&path).join("\n");
    for expected in [
        "not landscape",
        "does not name the run",
        "has no `Page x of y`",
        "print over the next row",
        "prints at",
    ] {
        assert!(problems.contains(expected), "{expected}: {problems}");
    }
}

#[test]
fn the_mapping_sheet_splits_written_and_left_out_and_shows_each_rows_findings() {
    let dir = Workdir::new();
    let wb = read_workbook(&audit_with_findings(&dir));
    let mapping = sheet(&wb, "Mapping");
    let row = row_where(mapping, "dataElement", "DE_X");
    let col = |name: &str| {
        let i = mapping[0].iter().position(|h| h == name);
        &row[i.unwrap_or_else(|| panic!("no column {name}"))]
    };
    assert_eq!(col("values matched"), "1");
    assert_eq!(col("written"), "0");
    assert_eq!(col("left out"), "1");
    assert_eq!(col("left out because"), "unknownTarget (every value)");
    assert!(
        col("findings").starts_with("error: ") && col("findings").contains("DE_X"),
        "{row:?}"
    );
    // A row that wrote its values has nothing left out.
    let written = mapping[1..]
        .iter()
        .find(|r| r[4] != "0")
        .expect("a row with values written");
    assert_eq!(written[5], "0", "{written:?}");
    // The findings sheet holds the same finding, with its cell.
    let findings = sheet(&wb, "Mapping findings");
    assert!(
        findings[1..]
            .iter()
            .any(|f| f[0] == "error" && f[1].starts_with("rm.csv") && f[2].contains("DE_X")),
        "{findings:?}"
    );
    // The Summary ends with the sign-off lines.
    let summary = sheet(&wb, "Summary");
    let at = summary
        .iter()
        .position(|r| r[0] == "Sign-off")
        .expect("sign-off");
    assert_eq!(summary[at + 1][0], "prepared by (name, date)");
    assert_eq!(summary[at + 2][0], "reviewed by (name, date)");
}

/// A word of a rendered page: its box in points.
#[derive(Debug)]
struct Word {
    page: usize,
    x: (f64, f64),
    y: (f64, f64),
    text: String,
}

/// The words of a PDF as `pdftotext -bbox` places them.
fn words(pdf: &Path) -> Vec<Word> {
    let out = std::process::Command::new("pdftotext")
        .args(["-bbox", s(pdf), "-"])
        .output()
        .expect("pdftotext runs");
    let html = String::from_utf8_lossy(&out.stdout);
    let mut page = 0;
    let mut out = Vec::new();
    for line in html.lines() {
        if line.contains("<page ") {
            page += 1;
        }
        let Some(rest) = line.trim().strip_prefix("<word ") else {
            continue;
        };
        let n = |k: &str| -> f64 {
            rest.split(&format!("{k}=\""))
                .nth(1)
                .and_then(|v| v.split('"').next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0)
        };
        let text = rest
            .split('>')
            .nth(1)
            .unwrap_or("")
            .split('<')
            .next()
            .unwrap_or("");
        out.push(Word {
            page,
            x: (n("xMin"), n("xMax")),
            y: (n("yMin"), n("yMax")),
            text: text.to_string(),
        });
    }
    out
}

/// Renders `xlsx` to PDF with LibreOffice in `dir`; the PDF's path.
fn render(xlsx: &Path, dir: &Path) -> PathBuf {
    let profile = format!("-env:UserInstallation=file://{}/lo-profile", dir.display());
    let out = std::process::Command::new("soffice")
        .args([
            profile.as_str(),
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(dir)
        .arg(xlsx)
        .output()
        .expect("soffice runs");
    let pdf = dir.join(xlsx.with_extension("pdf").file_name().expect("a file name"));
    assert!(
        pdf.exists(),
        "{}: LibreOffice made no PDF: {}",
        xlsx.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    pdf
}

/// What is wrong with a rendered workbook: pages without `Page x of y` or the run's header,
/// text smaller than 6.5 pt, words printed over others.
fn rendering_problems(pdf: &Path) -> Vec<String> {
    let words = words(pdf);
    let pages = words.iter().map(|w| w.page).max().unwrap_or(0);
    let mut problems = Vec::new();
    for page in 1..=pages {
        let on: Vec<&Word> = words.iter().filter(|w| w.page == page).collect();
        let text: Vec<&str> = on.iter().map(|w| w.text.as_str()).collect();
        let joined = text.join(" ");
        if !joined.contains(&format!("Page {page} of {pages}")) {
            problems.push(format!("page {page}: no `Page {page} of {pages}`"));
        }
        if !joined.contains("pi2de") {
            problems.push(format!("page {page}: no header naming the run"));
        }
        let mut heights: Vec<f64> = on.iter().map(|w| w.y.1 - w.y.0).collect();
        heights.sort_by(f64::total_cmp);
        let median = heights.get(heights.len() / 2).copied().unwrap_or(0.0);
        if median < 6.5 {
            problems.push(format!("page {page}: text {median:.1} pt high"));
        }
        problems.extend(
            overprinted(&on)
                .into_iter()
                .map(|p| format!("page {page}: {p}")),
        );
    }
    problems
}

/// Words of one page drawn over one another (more than a fifth of the smaller one covered).
fn overprinted(on: &[&Word]) -> Vec<String> {
    let overlap = |p: (f64, f64), q: (f64, f64)| (p.1.min(q.1) - p.0.max(q.0)).max(0.0);
    let area = |w: &Word| (w.x.1 - w.x.0) * (w.y.1 - w.y.0);
    let mut out = Vec::new();
    for (i, a) in on.iter().enumerate() {
        for b in &on[i + 1..] {
            let covered = overlap(a.x, b.x) * overlap(a.y, b.y);
            let smaller = area(a).min(area(b));
            if smaller > 0.0 && covered > 0.2 * smaller {
                out.push(format!("`{}` printed over `{}`", a.text, b.text));
            }
        }
    }
    out
}

#[test]
fn words_drawn_over_one_another_are_found() {
    let word = |x: f64, y: f64, text: &str| Word {
        page: 1,
        x: (x, x + 30.0),
        y: (y, y + 7.0),
        text: text.into(),
    };
    let (a, b, c) = (
        word(10.0, 10.0, "wrapped"),
        word(12.0, 13.0, "next"),
        word(10.0, 18.0, "below"),
    );
    assert_eq!(overprinted(&[&a, &b]), ["`wrapped` printed over `next`"]);
    assert!(overprinted(&[&a, &c]).is_empty());
}

/// Needs LibreOffice (`soffice`) and poppler (`pdftotext`): `.ci/run` installs them and runs
/// the ignored tests. Set `PI2DE_RENDERED=DIR` to keep the PDFs to look at.
#[test]
#[ignore = "needs LibreOffice and pdftotext (.ci/run installs them)"]
fn libreoffice_prints_every_workbook_with_page_numbers_readable_text_and_no_overprint() {
    let dir = Workdir::new();
    let keep = std::env::var_os("PI2DE_RENDERED").map(PathBuf::from);
    for xlsx in every_workbook(&dir) {
        let pdf = render(&xlsx, dir.path());
        if let Some(keep) = &keep {
            let _ = fs::create_dir_all(keep);
            let _ = fs::copy(&pdf, keep.join(pdf.file_name().expect("a name")));
        }
        let problems = rendering_problems(&pdf);
        assert!(problems.is_empty(), "{}: {problems:#?}", xlsx.display());
    }
    // The same measures find what prints badly.
    let bad = render(&badly_printing(&dir), dir.path());
    let problems = rendering_problems(&bad).join("\n");
    for expected in ["no `Page 1 of 1`", "no header", "pt high"] {
        assert!(problems.contains(expected), "{expected}: {problems}");
    }
}
