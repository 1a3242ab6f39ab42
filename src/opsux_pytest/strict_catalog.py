"""Strict catalog at test time: a run started with an unregistered type fails the test.

``OperationRunService.start`` already raises ``UnregisteredOperationType``; but code under test may
catch it (a view turning it into a 400, a job logging it), and then the test would pass while the
app produces an unregistered type. So, for the duration of one test, ``start`` is wrapped to
remember every such error; the test fails at the end unless that very error already failed it.
The wrapper is installed on the class (so services the app builds itself are covered too) and
always restored in ``finally``.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from opsux_core import OperationRunService, UnregisteredOperationType


@dataclass(frozen=True)
class UnregisteredStart:
    error: UnregisteredOperationType
    tenant_id: str
    location: str


@contextmanager
def recording_unregistered_starts(into: list[UnregisteredStart]) -> Iterator[None]:
    original: Callable[..., Any] = OperationRunService.__dict__["start"]

    @functools.wraps(original)
    def start(self: OperationRunService, tenant_id: str, operation_type: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, tenant_id, operation_type, *args, **kwargs)
        except UnregisteredOperationType as exc:
            into.append(UnregisteredStart(exc, str(tenant_id), _caller(sys._getframe(1))))
            raise

    OperationRunService.start = start  # type: ignore[method-assign]
    try:
        yield
    finally:
        OperationRunService.start = original  # type: ignore[method-assign]


def _caller(frame: Any) -> str:
    try:
        path = os.path.relpath(frame.f_code.co_filename)
    except ValueError:  # another drive on Windows
        path = frame.f_code.co_filename
    return f"{path}:{frame.f_lineno}"


def unregistered_report(starts: list[UnregisteredStart], raised: BaseException | None) -> list[str]:
    """A block per unregistered start that the code under test swallowed.

    An error that propagated and failed the test is already reported by pytest itself.
    """
    blocks = []
    for start in starts:
        if start.error is raised:
            continue
        blocks.append(
            f"{start.error}\n- start({start.tenant_id!r}, {start.error.code!r}) at {start.location} "
            "raised it and the error was caught"
        )
    return blocks

