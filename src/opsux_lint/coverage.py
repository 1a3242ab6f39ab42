"""What became of every call that looks like a sink call: ``opsux-lint --coverage``.

A policy linter's green check is only worth what it checked. Every call whose callee is written
with a sink's name and that has a value at the sink's position is a *site*; each site ends in
exactly one status (see :class:`~opsux_lint.kinds.SiteStatus`), so the counts
add up to the number of sites and nothing is silently skipped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

STATUSES = ("verified", "delegated", "unregistered", "unverifiable", "not-a-sink", "unknown-receiver")
"""In report order; ``verified`` and ``delegated`` count as verified."""

_HEADINGS = {
    "verified": "verified",
    "delegated": "delegated",
    "unregistered": "OPS001",
    "unverifiable": "OPS008",
    "not-a-sink": "not a sink",
    "unknown-receiver": "unknown receiver",
}


@dataclass(frozen=True, order=True)
class Site:
    path: str
    line: int
    column: int
    sink: str
    """The sink the callee's name matched (qualified, ``*.name`` or a derived wrapper)."""
    callee: str
    """The callee as written."""
    status: str
    reason: str = ""
    values: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "line": self.line, "column": self.column, "sink": self.sink,
            "callee": self.callee, "status": self.status, "reason": self.reason, "values": list(self.values),
        }


def totals(sites: Iterable[Site]) -> dict[str, int]:
    counts = Counter(site.status for site in sites)
    return {status: counts[status] for status in STATUSES}


def verified_share(counts: dict[str, int]) -> float | None:
    """Verified (or delegated to checked callers) among the sites that are the sink."""
    relevant = sum(counts[s] for s in ("verified", "delegated", "unregistered", "unverifiable"))
    if not relevant:
        return None
    return (counts["verified"] + counts["delegated"]) / relevant


def coverage_document(sites: Sequence[Site]) -> dict[str, Any]:
    """The ``coverage`` member of ``--format json``: per-sink counts and every site."""
    by_sink: dict[str, list[Site]] = {}
    for site in sites:
        by_sink.setdefault(site.sink, []).append(site)
    counts = totals(sites)
    return {
        "totals": {**counts, "sites": len(sites), "verified_share": verified_share(counts)},
        "sinks": {sink: totals(group) for sink, group in sorted(by_sink.items())},
        "sites": [site.to_dict() for site in sorted(sites)],
    }


def render_coverage(sites: Sequence[Site]) -> str:
    """A table: one row per sink, a total, and the share verified."""
    by_sink: dict[str, list[Site]] = {}
    for site in sites:
        by_sink.setdefault(site.sink, []).append(site)
    rows = [[sink, *map(str, _row(group))] for sink, group in sorted(by_sink.items())]
    counts = totals(sites)
    rows.append(["total", *map(str, _row(sites))])
    header = ["sink", "sites", *(_HEADINGS[s] for s in STATUSES)]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["Coverage of sink calls:"]
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0]), *(cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True))]
        lines.append("  " + "  ".join(cells).rstrip())
    share = verified_share(counts)
    if share is None:
        lines.append("No call is a sink's.")
    else:
        checked = counts["verified"] + counts["delegated"]
        total = checked + counts["unregistered"] + counts["unverifiable"]
        # Sites, not findings: a call that fills a wrapper's template of two parameters is two
        # sites (one per argument) and, when the two make an unregistered type, one finding.
        lines.append(
            f"Verified {checked} of {total} sites ({share:.1%}); {counts['unregistered']} reported "
            f"as OPS001, {counts['unverifiable']} as OPS008."
        )
    unknown = [s for s in sites if s.status == "unknown-receiver"]
    if unknown:
        lines.append(
            f"{len(unknown)} calls have a sink's name on a receiver of unknown type: annotate it, or "
            "configure the name as a sink ({call: '*.name', ...}) to check them all."
        )
    return "\n".join(lines) + "\n"


def _row(sites: Sequence[Site]) -> list[int]:
    counts = totals(sites)
    return [len(sites), *(counts[s] for s in STATUSES)]
