"""``@pytest.mark.opsux(...)``: per-test switches, mergeable at module, class and test level.

The closest marker wins per key (test over class over module), and anything a marker leaves out
falls back to the ini default. Markers are validated at collection time so that a typo such as
``verfy=False`` stops the run instead of silently leaving the check on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from opsux_pytest.plugin import MARKER

if TYPE_CHECKING:
    from opsux_pytest.settings import OpsuxSettings

_KEYS = ("verify", "strict_catalog")


@dataclass(frozen=True)
class TestOptions:
    verify: bool
    strict_catalog: bool


def resolve(item: pytest.Item, settings: OpsuxSettings) -> TestOptions:
    """The effective switches for *item*: closest marker first, then the ini defaults."""
    chosen: dict[str, bool] = {}
    # iter_markers yields the closest node's markers first (test, then class, then module).
    for mark in item.iter_markers(MARKER):
        validate(item, mark)
        for key, value in mark.kwargs.items():
            chosen.setdefault(key, value)
    return TestOptions(
        verify=chosen.get("verify", settings.verify),
        strict_catalog=chosen.get("strict_catalog", settings.strict_catalog),
    )


def validate(item: pytest.Item, mark: pytest.Mark) -> None:
    where = item.nodeid
    if mark.args:
        raise pytest.UsageError(
            f"@pytest.mark.opsux on {where}: takes keyword arguments only "
            f"({', '.join(f'{key}=...' for key in _KEYS)}), got {mark.args!r}"
        )
    for key, value in mark.kwargs.items():
        if key not in _KEYS:
            import difflib  # only for this error: not worth its import at every start-up

            close = difflib.get_close_matches(key, _KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known options: {', '.join(_KEYS)}"
            raise pytest.UsageError(f"@pytest.mark.opsux on {where}: unknown option {key!r}{hint}")
        if not isinstance(value, bool):
            raise pytest.UsageError(
                f"@pytest.mark.opsux({key}=...) on {where}: must be True or False, not {value!r}"
            )
