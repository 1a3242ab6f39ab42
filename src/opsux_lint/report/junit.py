"""JUnit XML, as ruff writes it: one test suite per file, one failing test case per finding.

A clean run is one passing test case, so CI test views show that the check ran. Control
characters (which XML 1.0 cannot carry) are escaped in file names and messages.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import groupby

from opsux_lint.report import ReportContext
from opsux_lint.report.paths import printable

_PACKAGE = "opsux-lint"


def render_junit(context: ReportContext) -> str:
    findings = context.result.findings
    suites = ET.Element(
        "testsuites", name=_PACKAGE, tests=str(max(1, len(findings))), failures=str(len(findings)), errors="0"
    )
    if not findings:
        suite = ET.SubElement(suites, "testsuite", name=_PACKAGE, tests="1", failures="0", errors="0")
        ET.SubElement(suite, "testcase", name="No errors found", classname=_PACKAGE)
    for path, group in groupby(sorted(findings, key=lambda f: f.path), key=lambda f: f.path):
        items = list(group)
        name = printable(path)
        suite = ET.SubElement(suites, "testsuite", name=name, tests=str(len(items)), failures=str(len(items)), errors="0")
        for f in items:
            case = ET.SubElement(
                suite, "testcase", name=f"{_PACKAGE}.{f.code}", classname=name, file=name, line=str(f.line), column=str(f.column),
            )
            failure = ET.SubElement(case, "failure", message=printable(f.message), type=f.code)
            failure.text = f"line {f.line}, col {f.column}, {printable(f.message)}"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
