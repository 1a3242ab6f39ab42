"""Shared helpers of the opsux_lint tests (imported by the test modules, not a plugin)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest


HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
GOLDEN = HERE / "golden"
REPO = HERE.parents[1]
# The official schema, vendored (see tests/data/README.md).
SARIF_SCHEMA = Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json"

_EXPECT_RE = re.compile(rb"#\s*expect:\s*(OPS[0-9]{3}(?:\s*,\s*OPS[0-9]{3})*)")
_SITE_RE = re.compile(rb"#\s*site:\s*([a-z-]+)")


def copy_fixture(name: str, destination: Path) -> Path:
    target = destination / name
    shutil.copytree(FIXTURES / name, target)
    return target


def expectations(root: Path) -> set[tuple[str, int, str]]:
    """``(path relative to root, line, code)`` from ``# expect: OPS001[, OPS002]`` comments.

    Read from raw bytes, line by line, so undecodable files can carry expectations too.
    """
    found: set[tuple[str, int, str]] = set()
    for file in sorted(root.rglob("*.py")):
        relative = file.relative_to(root).as_posix()
        for number, line in enumerate(file.read_bytes().splitlines(), start=1):
            match = _EXPECT_RE.search(line)
            if match:
                for code in match.group(1).decode().split(","):
                    found.add((relative, number, code.strip()))
    return found


def site_expectations(root: Path) -> set[tuple[str, int, str]]:
    """``(path relative to root, line, status)`` from ``# site: STATUS`` comments."""
    found: set[tuple[str, int, str]] = set()
    for file in sorted(root.rglob("*.py")):
        relative = file.relative_to(root).as_posix()
        for number, line in enumerate(file.read_bytes().splitlines(), start=1):
            match = _SITE_RE.search(line)
            if match:
                found.add((relative, number, match.group(1).decode()))
    return found


def check_golden(name: str, actual: str) -> None:
    """Compare with ``golden/<name>``; ``OPSUX_UPDATE_GOLDEN=1`` rewrites the file instead."""
    path = GOLDEN / name
    if os.environ.get("OPSUX_UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
        return
    assert path.is_file(), f"golden file {path} missing; run with OPSUX_UPDATE_GOLDEN=1 to create it"
    assert actual == path.read_text(encoding="utf-8")


def tiny_project(
    tmp_path: Path, sink: str | list[str], files: dict[str, str], types: list[str] | None = None, src: str = "src",
) -> None:
    """A project of package ``app`` under ``src/`` (``files`` by name) with the sinks ``sink``
    (YAML flow mappings) and the registered ``types`` (default: ``inventory.sync``)."""
    sinks = "".join(f"    - {entry}\n" for entry in ([sink] if isinstance(sink, str) else sink))
    registered = "".join(f"  {code}: {code}\n" for code in types or ["inventory.sync"])
    (tmp_path / "opsux.yaml").write_text(
        f"operation_types:\n{registered}lint:\n  src: ['{src}']\n  operation_type_sinks:\n{sinks}",
        encoding="utf-8",
    )
    app = tmp_path / "src" / "app"
    app.mkdir(parents=True)
    (app / "__init__.py").write_text("", encoding="utf-8")
    for name, text in files.items():
        (app / name).write_text(text, encoding="utf-8")


def outlined_modules(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The modules the project index outlines from now on (in this process), in order."""
    from opsux_lint.analysis import index

    outlined: list[str] = []
    summarize = index.summarize

    def recording(source: bytes, module: str, is_package: bool) -> object:
        outlined.append(module)
        return summarize(source, module, is_package)

    monkeypatch.setattr(index, "summarize", recording)
    return outlined
