"""Generated configs through the loader: a Policy or a ConfigError, never any other exception.

Three generators: arbitrary text, YAML-shaped text stitched from fragments (anchors, aliases,
tags, flow collections, config keys), and config-shaped mappings with right and wrong values in
every section (validated directly, and dumped to YAML and loaded from a file). A policy that loads
must also be usable: its catalog builds and its link templates render.

Each mapping test runs 100 examples and the text test 500 (about 15 s for the module); set
``OPSUX_FUZZ_EXAMPLES`` for a deeper run (1000, so 5000 texts, took 3 minutes and found nothing further).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from opsux_core import ConfigError, Policy, RunLinks, load_policy, policy_from_mapping
from opsux_core.policy import (
    _LINK_KEYS,
    _TOP_LEVEL_KEYS,
    _TYPE_KEYS,
    DEFAULT_OPERATION_TYPE_PATTERN,
    DEFAULT_SUMMARY_KEYS,
)
from opsux_lint.settings import LINT_KEYS as _LINT_KEYS
from opsux_lint.settings import NOTIFICATION_CALL_KEYS as _NOTIFICATION_CALL_KEYS
from opsux_lint.settings import SINK_KEYS as _SINK_KEYS

EXAMPLES = int(os.environ.get("OPSUX_FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Text is cheap to load and its interesting cases (a tag on an odd scalar) are sparse: more of it.
TEXT_FUZZ = settings(FUZZ, max_examples=5 * EXAMPLES)

KEYS = sorted({*_TOP_LEVEL_KEYS, *_TYPE_KEYS, *_LINK_KEYS, *_LINT_KEYS, *_SINK_KEYS, *_NOTIFICATION_CALL_KEYS})

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12), st.sampled_from(KEYS)
)
ANY = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8), st.integers()), children, max_size=4),
    ),
    max_leaves=16,
)
TEXTS = st.one_of(st.text(max_size=20), st.sampled_from(["", " ", "Inventory sync", "OPS", "OPS001", "src"]))

CODES = st.one_of(st.from_regex(r"[a-z]{1,4}(\.[a-z_]{1,4}){1,2}", fullmatch=True), st.text(max_size=10), st.integers())
TYPE_ENTRY = st.one_of(
    TEXTS,
    st.fixed_dictionaries(
        {}, optional={"label": TEXTS, "expected_duration_seconds": st.one_of(st.integers(), ANY), "description": TEXTS}
    ),
    ANY,
)
PATTERNS = st.one_of(
    st.sampled_from([
        DEFAULT_OPERATION_TYPE_PATTERN, "", "(", "^[A-Z_]+$", "a{4294967296}", "(" * 1500 + ")" * 1500, "[", "\\",
    ]),
    st.text(max_size=20),
    ANY,
)
TEMPLATES = st.one_of(
    st.sampled_from([
        "/ops/{run_id}", "/t/{tenant_id}/ops/{run_id}", "/ops", "/ops/{run_id:d}", "/ops/{run_id!r}",
        "/ops/{run_id:{tenant_id}}", "/ops/{run_id:>{x}}", "/ops/{run_id.real}", "/ops/{run_id[0]}", "/ops/{}",
        "/ops/{0}", "{", "}", "{{run_id}}/{run_id}", "/ops/{run_id}/{tenant_id!s:>3}",
    ]),
    st.text(alphabet="{}/_adeinrtu:!.[]0>s", max_size=24),
    ANY,
)
CALL_ENTRY = st.one_of(
    st.fixed_dictionaries(
        {"call": st.one_of(st.sampled_from(["app.start", "*.enqueue", "a b", "*", ""]), ANY)},
        optional={
            name: st.one_of(st.integers(min_value=-2, max_value=3), st.sampled_from(["op", "status", "1x"]), ANY)
            for name in ("arg", "keyword", "status_arg", "status_keyword", "kw")
        },
    ),
    ANY,
)
LINT = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            **{name: st.one_of(st.lists(TEXTS, max_size=3), ANY) for name in _LINT_KEYS},
            "operation_type_sinks": st.one_of(st.lists(CALL_ENTRY, max_size=3), ANY),
            "notification_calls": st.one_of(st.lists(CALL_ENTRY, max_size=3), ANY),
            "severity": st.one_of(
                st.dictionaries(
                    st.one_of(st.sampled_from(["OPS008", "OPS", "OPS0001", "X"]), SCALARS),
                    st.one_of(st.sampled_from(["error", "warning", "fatal"]), ANY),
                    max_size=3,
                ),
                ANY,
            ),
        },
    ),
    ANY,
)
SECTIONS = {
    "operation_types": st.one_of(st.dictionaries(CODES, TYPE_ENTRY, max_size=4), ANY),
    "operation_type_pattern": PATTERNS,
    "summary_keys": st.one_of(st.lists(st.one_of(st.sampled_from(DEFAULT_SUMMARY_KEYS), TEXTS), max_size=4), ANY),
    "links": st.one_of(st.fixed_dictionaries({}, optional={"run": TEMPLATES, "index": TEMPLATES, "detail": TEMPLATES}), ANY),
    "lint": LINT,
    "lnt": ANY,
}
# Whole configs rarely get every section right, so one-section configs reach each section's last checks.
CONFIGS = st.one_of(
    st.fixed_dictionaries({}, optional=SECTIONS),
    st.sampled_from(sorted(SECTIONS)).flatmap(lambda name: SECTIONS[name].map(lambda value: {name: value})),
)

FRAGMENTS = [
    "operation_types:", "summary_keys:", "links:", "lint:", "select:", "run:", "label:", "\n", "\n  ", "\n    ",
    "  ", " ", "- ", ": ", ", ", "{", "}", "[", "]", "a.b", "inventory.sync", "Inventory sync", "total", "'", '"',
    "#", "? ", "&a ", "&b ", "*a", "*b", "<<: ", "!!python/object/apply:os.getpid []", "!!python/name:os.sep",
    "!custom ", "!!str ", "!!int ", "!!binary ", "!!set ", "!!map ", "!!seq ", "!<tag:x,2000:y> ", "---\n", "...\n",
    "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "1e999", "0x1F", "0o17", "2026-01-01", "~", "null", "yes", "\t", "|\n  ",
    ">-\n  ", "\\x00", "\x00", "\x85", "\ufeff", "9" * 5000,
]
YAML_TEXT = st.one_of(st.text(max_size=120), st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join))


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("fuzz") / "opsux.yaml"


def usable(policy: Policy) -> None:
    """What every caller does with a loaded policy must work."""
    assert len(policy.catalog) == len(policy.operation_types)
    links = RunLinks(policy.links)
    assert isinstance(links.run_url(42, "acme"), str)
    assert isinstance(links.index_url("acme"), str)


def outcome(load: Any, *args: Any, **kwargs: Any) -> str:
    """The policy's fingerprint, or ``"ConfigError"``; any other exception propagates and fails."""
    try:
        policy = load(*args, **kwargs)
    except ConfigError as exc:
        assert str(exc)
        return "ConfigError"
    usable(policy)
    return str(policy.fingerprint)


@TEXT_FUZZ
@given(text=YAML_TEXT)
def test_any_text_in_opsux_yaml_is_a_policy_or_a_config_error(config_file: Path, text: str) -> None:
    config_file.write_text(text, encoding="utf-8", errors="surrogatepass")
    outcome(load_policy, config_file)


@FUZZ
@given(data=CONFIGS)
def test_any_config_mapping_is_a_policy_or_a_config_error(data: dict[str, Any]) -> None:
    outcome(policy_from_mapping, data)


@FUZZ
@given(links=st.fixed_dictionaries({"run": TEMPLATES}, optional={"index": TEMPLATES}))
def test_any_accepted_link_template_renders(links: dict[str, Any]) -> None:
    outcome(policy_from_mapping, {"links": links})


@FUZZ
@given(data=CONFIGS)
def test_a_mapping_dumped_to_yaml_loads_as_the_mapping_validates(config_file: Path, data: dict[str, Any]) -> None:
    try:
        text = yaml.safe_dump(data, allow_unicode=True)
    except (yaml.YAMLError, ValueError):
        assume(False)
        return
    config_file.write_text(text, encoding="utf-8", errors="surrogatepass")
    direct = outcome(policy_from_mapping, data)
    loaded = outcome(load_policy, config_file)
    if not _has_nan(data):  # NaN != NaN: a NaN key or value cannot round-trip to an equal mapping
        assert loaded == direct


def _has_nan(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, dict):
        return any(_has_nan(k) or _has_nan(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nan(v) for v in value)
    return False
