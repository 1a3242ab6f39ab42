"""``enum_members``: a sink that takes a plain ``Enum``'s member for its value or its name
(grafana/oncall's ``write_resource_insight_log(..., event=EntityEvent.CREATED)`` stores
``event.value``); without it a member is no string (OPS008)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lint_support import tiny_project

from opsux_lint.project import resolve_targets
from opsux_lint.runner import RunOptions, Selection, run

LOG = """\
import enum


class EntityEvent(enum.Enum):
    CREATED = "created"
    DELETED = "deleted"


def write_log(instance, event: EntityEvent):
    print(event.value)
"""

USE = """\
from app.log import EntityEvent, write_log

GONE = EntityEvent.DELETED


def log_it(instance, event):
    write_log(instance, event)


def use(instance, flag):
    write_log(instance, event=EntityEvent.CREATED)
    write_log(instance, event=EntityEvent.DELETED)
    log_it(instance, GONE)
    write_log(instance, EntityEvent.CREATED if flag else EntityEvent.DELETED)
"""


def _findings(tmp_path: Path, option: str, types: list[str]) -> list[tuple[int, str, str]]:
    tiny_project(tmp_path, f"{{call: app.log.write_log, arg: 1, keyword: event{option}}}", {"log.py": LOG, "use.py": USE}, types)
    (tmp_path / "opsux.yaml").write_text(
        (tmp_path / "opsux.yaml").read_text(encoding="utf-8") + "operation_type_pattern: '^[A-Za-z_.]+$'\n", encoding="utf-8"
    )
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path, RunOptions())
    return [(f.line, f.code, f.message) for f in result.findings]


def test_members_stand_for_their_values(tmp_path: Path) -> None:
    findings = _findings(tmp_path, ", enum_members: value", ["created"])
    assert [(line, code) for line, code, _ in findings] == [(12, "OPS001"), (13, "OPS001"), (14, "OPS001")]
    assert findings[0][2].startswith("Operation type 'deleted' is not registered")
    # Through the wrapper and the constant, the evidence runs to the member's definition.
    assert findings[1][2].endswith("(GONE -> src/app/use.py:3 EntityEvent.DELETED -> src/app/log.py:6 'deleted')")


def test_members_stand_for_their_names(tmp_path: Path) -> None:
    findings = _findings(tmp_path, ", enum_members: name", ["CREATED"])
    assert [(line, code) for line, code, _ in findings] == [(12, "OPS001"), (13, "OPS001"), (14, "OPS001")]
    assert findings[0][2].startswith("Operation type 'DELETED' is not registered")


@pytest.mark.parametrize("types", [["created"], ["created", "deleted"]])
def test_without_the_option_a_member_is_no_string(tmp_path: Path, types: list[str]) -> None:
    findings = _findings(tmp_path, "", types)
    assert {code for _, code, _ in findings} == {"OPS008"}
    assert "is a member of the Enum `EntityEvent`, not a string" in findings[0][2]


def test_registered_members_are_verified(tmp_path: Path) -> None:
    assert _findings(tmp_path, ", enum_members: value", ["created", "deleted"]) == []
