"""No silent sites: every call with a sink's name ends in one status, and the machinery that
makes runs fast (prefilter, cache, process pool) never changes what is found or counted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lint_support import copy_fixture, site_expectations
from opsux_lint.cli import main
from opsux_lint.coverage import STATUSES, Site, render_coverage, totals, verified_share
from opsux_lint.project import resolve_targets
from opsux_lint.runner import RunOptions, RunResult, Selection, run
from test_lint_fixture_projects import PROJECTS


def _run(project: Path, **options: object) -> RunResult:
    return run(resolve_targets([project], None), Selection(), project, RunOptions(**options))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", PROJECTS)
def test_every_site_has_one_status_whatever_the_machinery(name: str, tmp_path: Path) -> None:
    project = copy_fixture(name, tmp_path)
    plain = _run(project, coverage=True, jobs=1)
    assert plain.sites is not None
    counts = totals(plain.sites)
    assert sum(counts.values()) == len(plain.sites)
    assert all(site.status in STATUSES for site in plain.sites)
    exhaustive = _run(project, coverage=True, exhaustive=True, jobs=1)
    pooled = _run(project, coverage=True, jobs=2)
    assert exhaustive.sites == plain.sites == pooled.sites
    assert exhaustive.findings == plain.findings == pooled.findings
    # Findings do not depend on coverage, the prefilter or the cache either.
    assert _run(project, exhaustive=True).findings == plain.findings
    assert _run(project, cache=True).findings == plain.findings
    assert _run(project, cache=True).findings == plain.findings  # now answered from the cache


def test_the_marked_sites_have_their_status(tmp_path: Path) -> None:
    project = copy_fixture("receivers", tmp_path)
    result = _run(project, coverage=True)
    assert result.sites is not None
    statuses = {(s.path, s.line, s.status) for s in result.sites}
    expected = site_expectations(project)
    assert len(expected) >= 6
    assert expected <= statuses
    # Each OPS001 finding is one unregistered site, and no site is left unaccounted for.
    unregistered = {(s.path, s.line) for s in result.sites if s.status == "unregistered"}
    assert unregistered == {(f.path, f.line) for f in result.findings if f.code == "OPS001"}


def test_look_alikes_say_what_they_are(tmp_path: Path) -> None:
    project = copy_fixture("receivers", tmp_path)
    result = _run(project, coverage=True)
    assert result.sites is not None
    by_line = {s.line: s for s in result.sites if s.path.endswith("lookalikes.py")}
    assert by_line[9].reason == "`func.count().label` is `label` of the result of `sqlalchemy.func.count(...)`"
    assert "parameter `form` of `stats` has no type annotation" in by_line[11].reason
    assert by_line[12].status == "unknown-receiver"
    pages = {s.line: s for s in result.sites if s.path.endswith("pages.py")}
    assert pages[45].reason == (
        "the receiver's class is not known: `publish` of the result of `django.shortcuts.get_object_or_404(...)`,"
        " made by a library; the project's methods of that name differ"
    )
    quiet = next(s for s in result.sites if s.path.endswith("plugins.py") and s.status == "not-a-sink")
    assert quiet.reason == "`self.trigger` is app.plugins.QuietManager.trigger"


def test_coverage_in_text_and_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = copy_fixture("receivers", tmp_path)
    monkeypatch.chdir(project)
    text = CliRunner().invoke(main, ["--coverage"])
    assert text.exit_code == 1
    assert "Coverage of sink calls:" in text.stdout
    total = next(line for line in text.stdout.splitlines() if line.strip().startswith("total"))
    assert total.split()[1:] == ["130", "45", "17", "53", "8", "2", "5"]
    assert "Verified 62 of 123 sites (50.4%); 53 reported as OPS001, 8 as OPS008." in text.stdout
    document = json.loads(CliRunner().invoke(main, ["--coverage", "--format", "json"]).stdout)
    coverage = document["coverage"]
    assert coverage["totals"]["sites"] == len(coverage["sites"]) == 130
    site = next(s for s in coverage["sites"] if s["status"] == "not-a-sink" and s["path"].endswith("lookalikes.py"))
    assert set(site) == {"path", "line", "column", "sink", "callee", "status", "reason", "values"}
    assert coverage["sinks"]["app.plugins.PluginManager.trigger"]["unregistered"] == 3
    refused = CliRunner().invoke(main, ["--coverage", "--format", "sarif"])
    assert refused.exit_code == 2 and "--coverage works with --format text or json" in refused.stderr


def test_the_share_counts_only_the_sinks_own_sites() -> None:
    def site(status: str) -> Site:
        return Site("a.py", 1, 1, "s", "s", status)

    assert verified_share(totals([site("verified"), site("not-a-sink"), site("unknown-receiver")])) == 1.0
    assert verified_share(totals([site("delegated"), site("unregistered")])) == 0.5
    assert verified_share(totals([site("not-a-sink")])) is None
    assert "No call is a sink's." in render_coverage([site("not-a-sink")])
    assert "1 calls have a sink's name on a receiver of unknown type" in render_coverage([site("unknown-receiver")])


@pytest.mark.parametrize(
    ("outer", "inner", "status"),
    [
        # label-studio: emit_webhooks(..., action) passes it to emit_webhooks_sync; only tests call it.
        ("{call: app.hooks.emit, arg: 0, keyword: action}", "emit_sync(action)", "delegated"),
        ("{call: '*.emit', keyword: action}", "emit_sync(action)", "delegated"),
        # Configured at another position: nothing checks what the callers give `action`.
        ("{call: app.hooks.emit, arg: 1, keyword: other}", "emit_sync(action)", "unverifiable"),
        ("{call: '*.emit', keyword: other}", "emit_sync(action)", "unverifiable"),
    ],
)
def test_a_sink_that_passes_its_own_value_to_another_delegates_it_uncalled(
    tmp_path: Path, outer: str, inner: str, status: str
) -> None:
    from lint_support import tiny_project

    tiny_project(tmp_path, ["{call: app.hooks.emit_sync, arg: 0, keyword: action}", outer], {
        "hooks.py": f"def emit_sync(action):\n    print(action)\n\n\ndef emit(action, other=None):\n    {inner}\n",
    }, types=["app.created"])
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path, RunOptions(coverage=True))
    assert result.sites is not None
    assert {(s.line, str(s.status)) for s in result.sites} == {(6, status)}
    assert [f.code for f in result.findings] == ([] if status == "delegated" else ["OPS008"])
