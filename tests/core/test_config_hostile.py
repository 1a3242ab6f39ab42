"""Hostile config files: refused quickly, with one clean ConfigError naming file, line and key.

YAML can do more than a config needs (aliases that expand exponentially, tags that name Python
callables, unbounded nesting); a broken pyproject.toml must never make discovery fall back to a
parent directory's catalog.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from opsux_core import ConfigError, find_config, load_policy, plain_yaml
from opsux_core.cli import main as opsux_main
from opsux_core.plain_yaml import MAX_DEPTH, PlainYamlError, read_plain_yaml

# Every test here runs with each YAML parser opsux can compose over: libyaml's (PyYAML's wheels
# have it, and it is the one used then) and PyYAML's pure-Python one (a build without libyaml).
_DEFAULT = plain_yaml._Loader
_PARSERS = {"pure-python": plain_yaml._PyLoader, **({"libyaml": plain_yaml._CLoader} if hasattr(plain_yaml, "_CLoader") else {})}


@pytest.fixture(autouse=True, params=sorted(_PARSERS))
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(plain_yaml, "_Loader", _PARSERS[request.param])
    return str(request.param)


def test_libyaml_is_the_parser_where_pyyaml_has_it() -> None:
    import yaml

    assert yaml.__with_libyaml__  # so CI runs both halves of this module
    assert _DEFAULT is plain_yaml._CLoader


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def refused(config: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_policy(config)
    assert type(info.value) is ConfigError
    return info.value


# ------------------------------------------------------------------ aliases


def billion_laughs(levels: int = 9) -> str:
    lines = ['lol0: &a0 "lol"']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"lol{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_at_the_first_alias(tmp_path: Path) -> None:
    config = write(tmp_path / "opsux.yaml", billion_laughs())
    error = refused(config)
    assert str(error) == f"{config}:2: lol1[0]: YAML aliases are not allowed (*a0): write the value out"


def test_an_alias_in_a_real_config_names_where_it_is_used(tmp_path: Path) -> None:
    config = write(
        tmp_path / "opsux.yaml",
        """\
        operation_types:
          inventory.sync: &sync Inventory sync
          inventory.full: *sync
        """,
    )
    assert str(refused(config)) == (
        f"{config}:3: operation_types.inventory.full: YAML aliases are not allowed (*sync): write the value out"
    )


def test_an_anchor_without_an_alias_is_harmless(tmp_path: Path) -> None:
    config = write(tmp_path / "opsux.yaml", "operation_types: &types\n  inventory.sync: Inventory sync\n")
    assert load_policy(config).catalog.label("inventory.sync") == "Inventory sync"


# ------------------------------------------------------------------ tags


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("!!python/object/apply:os.mkdir [{marker}]", "!!python/object/apply:os.mkdir"),
        ("!!python/object/new:os.mkdir [{marker}]", "!!python/object/new:os.mkdir"),
        ("!!python/name:os.system", "!!python/name:os.system"),
        ("!!python/tuple [a, b]", "!!python/tuple"),
        ("!custom {{a.b: A}}", "!custom"),
        ("!<tag:example.com,2000:app/types> {{a.b: A}}", "!<tag:example.com,2000:app/types>"),
        ("!!binary aGVsbG8=", "!!binary"),
        ("!!timestamp 2026-01-01", "!!timestamp"),
        ("!!set {{a.b: null}}", "!!set"),
        ("!!omap [{{a.b: A}}]", "!!omap"),
    ],
)
def test_tags_beyond_plain_data_are_refused_and_nothing_runs(tmp_path: Path, value: str, shown: str) -> None:
    marker = tmp_path / "ran"
    config = write(tmp_path / "opsux.yaml", "operation_types: " + value.format(marker=repr(str(marker))) + "\n")
    assert str(refused(config)) == f"{config}:1: operation_types: YAML tag {shown} is not allowed"
    assert not marker.exists()


def test_a_tag_deep_inside_names_its_key_path_and_line(tmp_path: Path) -> None:
    config = write(
        tmp_path / "opsux.yaml",
        """\
        operation_types:
          inventory.sync: Inventory sync
        lint:
          operation_type_sinks:
            - {call: app.start, arg: !!python/object/apply:os.getpid []}
        """,
    )
    assert str(refused(config)) == (
        f"{config}:5: lint.operation_type_sinks[0].arg: YAML tag !!python/object/apply:os.getpid is not allowed"
    )


def test_core_schema_tags_are_plain_data(tmp_path: Path) -> None:
    config = write(
        tmp_path / "opsux.yaml",
        "operation_types:\n  a.b: {label: !!str 2026, expected_duration_seconds: !!int '30', description: !!null ''}\n",
    )
    entry = load_policy(config).catalog.get("a.b")
    assert entry is not None
    assert (entry.label, entry.expected_duration_seconds, entry.description) == ("2026", 30, None)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("!!str {a: 1}", "YAML tag !!str does not fit a mapping"),
        ("!!map [1]", "YAML tag !!map does not fit a list"),
        ("!!seq abc", "YAML tag !!seq does not fit a scalar"),
        ("!!int abc", "invalid YAML value: 'abc' is not a !!int"),
        ("!!int ''", "invalid YAML value: '' is not a !!int"),
        ("!!float x", "invalid YAML value: 'x' is not a !!float"),
        ("!!bool maybe", "invalid YAML value: 'maybe' is not a !!bool"),
        ("!!null nothing", "invalid YAML value: 'nothing' is not a !!null"),
    ],
)
def test_a_core_tag_on_the_wrong_value_is_refused(tmp_path: Path, value: str, problem: str) -> None:
    config = write(tmp_path / "opsux.yaml", f"summary_keys: {value}\n")
    assert str(refused(config)) == f"{config}:1: summary_keys: {problem}"


def test_dates_are_strings_and_merge_keys_are_ordinary_keys(tmp_path: Path) -> None:
    config = write(tmp_path / "opsux.yaml", "operation_types:\n  a.b: {label: A, description: 2026-01-01}\n")
    assert load_policy(config).catalog.get("a.b").description == "2026-01-01"  # type: ignore[union-attr]
    merged = write(tmp_path / "merged.yaml", "operation_types:\n  a.b:\n    <<: {label: A}\n")
    assert str(refused(merged)) == (
        f"{merged}:3: operation_types.a.b.<<: unknown key; known keys: label, expected_duration_seconds, description"
    )


# ------------------------------------------------------------------ shape and size


def nested_lists(depth: int) -> str:
    return "summary_keys: " + "[" * depth + "total" + "]" * depth + "\n"


def test_nesting_up_to_the_limit_is_composed_one_more_level_is_refused() -> None:
    # The scalar sits MAX_DEPTH - 1 list items below summary_keys: a key path of MAX_DEPTH steps.
    assert len(read_plain_yaml(nested_lists(MAX_DEPTH - 1)).lines) == MAX_DEPTH + 1
    with pytest.raises(PlainYamlError, match=f"^nested more than {MAX_DEPTH} levels deep$") as info:
        read_plain_yaml(nested_lists(MAX_DEPTH))
    assert info.value.line == 1 and len(info.value.key) == MAX_DEPTH


@pytest.mark.parametrize("depth", [100, 10_000, 200_000])
def test_deep_nesting_is_a_config_error_not_a_recursion_error(tmp_path: Path, depth: int) -> None:
    for opener, closer in (("[", "]"), ("{a: ", "}")):
        config = write(tmp_path / "opsux.yaml", "summary_keys: " + opener * depth + "x" + closer * depth + "\n")
        assert f"nested more than {MAX_DEPTH} levels deep" in str(refused(config))


@pytest.mark.parametrize(
    ("text", "line", "key", "problem"),
    [
        ("operation_types:\n  ? [a, b]\n  : A\n", 2, "operation_types", "mapping keys must be plain values, not a list or a mapping"),
        ("operation_types:\n  ? {a: b}\n  : A\n", 2, "operation_types", "mapping keys must be plain values, not a list or a mapping"),
        ("summary_keys: [total]\noperation_types: {a.b: {label: A, expected_duration_seconds: " + "9" * 5000 + "}}\n", 2,
         "operation_types.a.b.expected_duration_seconds", "invalid YAML value: Exceeds the limit (4300 digits)"),
        ("summary_keys: [total]\n\x00\n", 2, None, "invalid YAML: unacceptable character #x0000"),
        ("operation_types: {a.b: A}\n---\nlint: {}\n", 2, None, "invalid YAML: expected a single document in the stream but found another document"),
        ("operation_types:\n  !!map a.b: A\n", 2, "operation_types", "YAML tag !!map does not fit a scalar"),
        ("operation_types: {1: A, 0x1: B}\n", 1, "operation_types[1]", "duplicate key (first defined on line 1)"),
    ],
)
def test_malformed_documents_name_line_and_key(tmp_path: Path, text: str, line: int, key: str | None, problem: str) -> None:
    config = tmp_path / "opsux.yaml"
    config.write_text(text, encoding="utf-8")
    error = refused(config)
    assert (error.line, error.key) == (line, key)
    assert error.problem.startswith(problem)


# ------------------------------------------------------------------ pyproject.toml


def test_a_pyproject_that_does_not_parse_stops_discovery_instead_of_using_a_parents_config(tmp_path: Path) -> None:
    write(tmp_path / "opsux.yaml", "operation_types: {a.b: Parent catalog}\n")
    broken = write(tmp_path / "pkg" / "pyproject.toml", '[tool.opsux.operation_types]\n"a.b" = \n')
    assert find_config(tmp_path / "pkg") == broken
    error = refused(tmp_path / "pkg")  # type: ignore[arg-type]
    assert error.path == broken and str(error).startswith(f"{broken}: invalid TOML: ")


def test_a_pyproject_that_is_not_utf8_stops_discovery_too(tmp_path: Path) -> None:
    write(tmp_path / "opsux.yaml", "operation_types: {a.b: Parent catalog}\n")
    broken = tmp_path / "pkg" / "pyproject.toml"
    broken.parent.mkdir()
    broken.write_bytes(b"[project]\nname = '\xff'\n")
    assert find_config(tmp_path / "pkg") == broken
    assert str(refused(tmp_path / "pkg")) == f"{broken}: not valid UTF-8 (byte 18)"  # type: ignore[arg-type]


def test_a_pyproject_that_parses_without_tool_opsux_is_still_skipped(tmp_path: Path) -> None:
    parent = write(tmp_path / "opsux.yaml", "operation_types: {a.b: Parent catalog}\n")
    write(tmp_path / "pkg" / "pyproject.toml", "[project]\nname = 'pkg'\n")
    assert find_config(tmp_path / "pkg") == parent


def test_a_directory_named_pyproject_toml_is_not_a_config(tmp_path: Path) -> None:
    parent = write(tmp_path / "opsux.yaml", "operation_types: {a.b: Parent catalog}\n")
    (tmp_path / "pkg" / "pyproject.toml").mkdir(parents=True)
    assert find_config(tmp_path / "pkg") == parent


# ------------------------------------------------------------------ opsux check-config


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("opsux.yaml", "operation_types: !!python/object/apply:os.system ['true']\n",
         "{config}:1: operation_types: YAML tag !!python/object/apply:os.system is not allowed"),
        ("opsux.yaml", billion_laughs(), "{config}:2: lol1[0]: YAML aliases are not allowed (*a0): write the value out"),
        ("pyproject.toml", "[tool.opsux\n", "{config}: invalid TOML: "),
    ],
)
def test_check_config_reports_hostile_files_in_one_line_exit_2(tmp_path: Path, name: str, text: str, message: str) -> None:
    config = tmp_path / name
    config.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(opsux_main, ["check-config", str(tmp_path)])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("opsux: " + message.format(config=config))
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_check_config_in_a_package_with_a_broken_pyproject_does_not_report_the_parent_as_valid(tmp_path: Path) -> None:
    write(tmp_path / "opsux.yaml", "operation_types: {a.b: Parent catalog}\n")
    broken = write(tmp_path / "pkg" / "pyproject.toml", "[tool.opsux\n")
    result = CliRunner().invoke(opsux_main, ["check-config", str(tmp_path / "pkg")])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"opsux: {broken}: invalid TOML: ")
