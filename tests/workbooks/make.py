#!/usr/bin/env python3
"""Makes the workbook fixtures of tests/cli/workbooks.rs the way users make them.

openpyxl writes a workbook the way a script does (formulas without calculated values); LibreOffice
Calc (soffice --headless --convert-to) then opens each one, calculates it and saves it as .xlsx
and .ods, as a user saving from LibreOffice would. Run from this folder with openpyxl and
LibreOffice installed:  python3 make.py   (the files are committed; CI does not run this).
"""
import csv, datetime, os, shutil, subprocess, tempfile
from openpyxl import Workbook

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "..", "..", "mappings", "immunisation.csv"), newline="") as f:
    MAPPING = list(csv.reader(f))
HEADER = ["programIndicator", "dataElement", "categoryOptionCombo", "dataSet"]


def sheet_rows(ws, rows):
    for r in rows:
        ws.append(r)


def sample_mapping(ws):
    h = MAPPING[0]
    idx = [h.index(c) for c in HEADER]
    sheet_rows(ws, [HEADER] + [[row[i] for i in idx] for row in MAPPING[1:]])


def trailing_space(wb):
    # A first sheet `old` and the mapping on `Mapping ` (a trailing space).
    old = wb.active
    old.title = "old"
    old.append(["programIndicator", "notes"])
    old.append(["bCgDoses01a", "last year's draft: no dataElement column"])
    sample_mapping(wb.create_sheet("Mapping "))


def two_mappings(wb):
    a = wb.active
    a.title = "2023"
    sample_mapping(a)
    sample_mapping(wb.create_sheet("2024"))


def error_cells(wb):
    ws = wb.active
    ws.title = "mapping"
    ws.append(HEADER)
    ws.append(["bCgDoses01a", "IMM_BCG", "=1/0", "EPI_MONTHLY"])
    ws.append(["oPv1Doses1b", "IMM_OPV1", "=NA()", "EPI_MONTHLY"])
    ws.append(["oPv3Doses3c", "IMM_OPV3", None, "EPI_MONTHLY"])


def typed_codes(wb):
    ws = wb.active
    ws.title = "mapping"
    ws.append(HEADER)
    ws.append(["bCgDoses01a", 1, None, "EPI_MONTHLY"])  # `01` typed into a General cell
    ws.append(["oPv1Doses1b", datetime.datetime(2024, 1, 5), None, "EPI_MONTHLY"])  # `1-5`
    ws.append(["oPv3Doses3c", True, None, "EPI_MONTHLY"])  # `TRUE`
    ws["B3"].number_format = "yyyy-mm-dd"


def stray_cell(wb, cell):
    ws = wb.active
    ws.title = "mapping"
    sample_mapping(ws)
    ws[cell] = "x"


def script_formulas(wb):
    ws = wb.active
    ws.title = "mapping"
    ws.append(HEADER)
    ws.append(["bCgDoses01a", "IMM_BCG", '="COC_"&"1"', "EPI_MONTHLY"])


def save(build, name):
    wb = Workbook()
    build(wb)
    path = os.path.join(TMP, name + ".xlsx")
    wb.save(path)
    return path


def libreoffice(src, fmt, name):
    out = os.path.join(TMP, "lo")
    os.makedirs(out, exist_ok=True)
    subprocess.run(["soffice", "--headless", "--convert-to", fmt, "--outdir", out, src],
                   check=True, capture_output=True)
    produced = os.path.join(out, os.path.splitext(os.path.basename(src))[0] + "." + fmt)
    shutil.move(produced, os.path.join(HERE, name + "." + fmt))


TMP = tempfile.mkdtemp()
for build, name, formats in [
    (trailing_space, "trailing-space", ["xlsx", "ods"]),
    (two_mappings, "two-mappings", ["xlsx", "ods"]),
    (error_cells, "error-cells", ["xlsx", "ods"]),
    (typed_codes, "typed-codes", ["xlsx", "ods"]),
    (lambda wb: stray_cell(wb, "XFD1048576"), "stray-cell", ["ods"]),
]:
    src = save(build, name)
    for fmt in formats:
        libreoffice(src, fmt, name)
shutil.copy(save(script_formulas, "script-formulas"), os.path.join(HERE, "script-formulas.xlsx"))
shutil.rmtree(TMP)
