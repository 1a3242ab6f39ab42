"""Where a notification was added: the code to name when the automatic check finds a stray one.

The check reads the database (so it also sees raw SQL, which has no origin to give); for every
``RunNotification`` added through a SQLAlchemy session during the test, this keeps the stack of
the ``Session.add`` - the frames of the app and the test, not SQLAlchemy's, opsux's or pytest's -
and hands the check the innermost ones by notification id once the row has one.

Every test that adds a notification pays for this, and almost none of them fail: so an add keeps
only the file, line and function of the few frames shown (a walk up the stack, no strings built),
and names, relative paths and ids are worked out only when the check reports a notification.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import _pytest
import pluggy
import sqlalchemy
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

import opsux_core
import opsux_pytest
from opsux_core import RunNotification

FRAMES_SHOWN = 3

Frame = tuple[str, int, str]
"""A frame as it is shown: file, line, function."""

# Frames from these packages are machinery, never "the code that wrote the notification".
_MACHINERY = (
    *(str(Path(module.__file__ or "").parent) + os.sep for module in (sqlalchemy, opsux_core, opsux_pytest, pluggy, _pytest)),
    str(Path(os.__file__).parent) + os.sep,  # the standard library (contextlib around service.track)
)


class NotificationOrigins:
    """Who added each notification during the current test; ``by_id()`` says it by id.

    One per test session, listening from the first opsux test to the end of the session: adding
    and removing a class-level SQLAlchemy listener for every test would cost more than the rest of
    the check. Outside ``recording()`` (between tests, in tests that do not check) it ignores adds.
    """

    def __init__(self) -> None:
        self._added: list[tuple[RunNotification, tuple[Frame, ...]]] | None = None

    def install(self) -> Callable[[], None]:
        """Start listening; returns the function that stops it."""
        event.listen(Session, "transient_to_pending", self._on_add)
        return lambda: event.remove(Session, "transient_to_pending", self._on_add)

    @contextmanager
    def recording(self) -> Iterator[NotificationOrigins]:
        self._added = []
        try:
            yield self
        finally:
            self._added = None

    def _on_add(self, session: Session, instance: Any) -> None:
        if self._added is not None and isinstance(instance, RunNotification):
            self._added.append((instance, user_frames(sys._getframe(1))))

    def by_id(self) -> dict[int, str]:
        found: dict[int, str] = {}
        for instance, frames in self._added or ():
            identity = inspect(instance).identity
            if identity:
                found[int(identity[0])] = describe_frames(frames)
        return found


def user_frames(frame: FrameType | None) -> tuple[Frame, ...]:
    """The innermost frames of *frame*'s stack that are the app's or the test's (at most
    ``FRAMES_SHOWN``), innermost first."""
    shown: list[Frame] = []
    while frame is not None:
        code = frame.f_code
        filename = code.co_filename
        if not filename.startswith(_MACHINERY) and not filename.startswith("<"):
            shown.append((filename, frame.f_lineno, code.co_name))
            if len(shown) == FRAMES_SHOWN:
                break
        elif shown:
            break  # back in the test runner: the user's frames are all listed
        frame = frame.f_back
    return tuple(shown)


def describe_frames(frames: tuple[Frame, ...]) -> str:
    """``app/notify.py:12 in send_extra, called from tests/test_app.py:30 in test_it``."""
    return ", called from ".join(f"{_relative(filename)}:{line} in {name}" for filename, line, name in frames)


def _relative(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
