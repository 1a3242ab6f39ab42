"""The whole standard library of the running Python, its deliberately broken test files
included: no crash, no hang, and every file Python's parser rejects is exactly one OPS000
(errors only the bytecode compiler finds, like a late ``from __future__``, are not parse errors)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import sysconfig
import warnings
from collections import Counter
from pathlib import Path

from opsux_lint.discovery import Excludes, discover

STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()


def test_the_standard_library_lints_without_a_crash(tmp_path: Path) -> None:
    config = tmp_path / "opsux.yaml"
    config.write_text(
        # Name-matched sinks, so that many files are candidates and go through libcst too.
        "operation_types:\n  inventory.sync: Inventory sync\n"
        f"lint:\n  src: ['{STDLIB}']\n  operation_type_sinks: [{{call: '*.start', arg: 1}}, {{call: '*.label', arg: 0}}]\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "opsux_lint", str(STDLIB), "--config", str(config), "--no-cache",
         "--select", "OPS000", "--format", "json"],
        capture_output=True, text=True, timeout=900, check=False, cwd=tmp_path,
    )
    assert result.returncode in (0, 1), result.stderr
    assert "internal error" not in result.stderr
    document = json.loads(result.stdout)
    reported = Counter(Path(tmp_path, f["path"]).resolve() for f in document["findings"] if f["code"] == "OPS000")
    assert all(count == 1 for count in reported.values()), "one OPS000 per file"

    broken = set()
    for file in discover(STDLIB, Excludes.build(STDLIB, [])):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(file.read_bytes(), str(file))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            broken.add(file.resolve())
    assert broken, "the test suite ships files that do not parse"
    assert broken <= set(reported), "every file Python cannot parse is reported"
    assert document["summary"]["files"] > 1000
