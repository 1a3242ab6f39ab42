"""Stable identities of findings, for SARIF ``partialFingerprints`` (and a future baseline).

A fingerprint hashes the rule, the file and the stripped text of the line the finding starts on,
plus how many identical (rule, file, text) findings came before it. It survives edits elsewhere in
the file (lines moving up or down) and changes when the offending line itself changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from opsux_lint.findings import Finding


def fingerprints(findings: Sequence[Finding], location: Callable[[Finding], str]) -> list[str]:
    """One fingerprint per finding, in order; ``location`` names the file stably (repo-relative)."""
    counts: dict[tuple[str, str, str], int] = {}
    result: list[str] = []
    for finding in findings:
        key = (finding.code, location(finding), finding.snippet)
        occurrence = counts.get(key, 0)
        counts[key] = occurrence + 1
        digest = hashlib.sha256("\0".join((*key, str(occurrence))).encode("utf-8")).hexdigest()
        result.append(digest[:32])
    return result
