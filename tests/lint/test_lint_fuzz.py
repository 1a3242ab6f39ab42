"""Generated programs through the engine: findings or OPS000, never an exception."""

from __future__ import annotations

from pathlib import Path

import hypothesmith
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsux_core import policy_from_mapping
from opsux_lint.engine import Linter
from opsux_lint.registry import builtin_rules

ROOT = Path("/nowhere")
POLICY = policy_from_mapping(
    {
        "operation_types": {"inventory.sync": "Inventory sync"},
        # Name-matched sinks on common names, so generated calls reach the matchers.
        "lint": {"operation_type_sinks": [{"call": f"*.{name}", "arg": 0} for name in ("a", "b", "start", "x")]},
    },
    source=ROOT / "opsux.yaml",
    root=ROOT,
)
LINTER = Linter(POLICY, builtin_rules(), exhaustive=True)  # every program goes through libcst


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(source=hypothesmith.from_grammar() | hypothesmith.from_node())
def test_generated_programs_never_crash_the_engine(source: str) -> None:
    findings = LINTER.lint(ROOT / "app" / "m.py", source.encode("utf-8", "surrogatepass"))
    assert all(f.code.startswith("OPS") and f.line >= 1 and f.column >= 1 for f in findings)


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_the_engine(data: bytes) -> None:
    findings = LINTER.lint(ROOT / "app" / "m.py", data)
    assert all(f.code.startswith("OPS") and f.line >= 1 and f.column >= 1 for f in findings)
