"""Which of the project's files are unchanged since an earlier run, by what the file system says
of them: the content digest of a file whose stamp (size, modification and change times, inode,
device) is the one recorded is taken from the record instead of reading and hashing the file.

A run on one file used to read and hash every file under the source roots to know which
changed (saleor: 4,300 files, 39 MB, a quarter of a one-file run); now it reads the files it
lints and those whose stamp moved. Git's index does the same, and has the same blind spot, which
is closed the same way: a file written in the same clock tick as it was stamped keeps its
modification time, so a stamp is only recorded once the file has been still for
:data:`SETTLED_NS` before the run began (until then it is hashed on every run). The change
time is part of the stamp because no tool can set it: restoring an old modification time
(``touch -r``, ``rsync -t``, an archive) still moves it.

A stamp only ever saves reading a file. Results are keyed by the digest, and a file whose
bytes turn out to differ from the recorded digest when they are read later in the run is taken
as it is then (:class:`~opsux_lint.analysis.index.SourceFile`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from opsux_lint.cache import read_json, write_json

SETTLED_NS = 2_000_000_000
"""How long before a run a file must have last changed for its stamp to be recorded: longer
than the coarsest timestamp granularity of a common file system (FAT's two seconds)."""

_FORMAT = 1

Stamp = tuple[int, int, int, int, int]
"""``(size, mtime_ns, ctime_ns, inode, device)``."""


def stamp_of(info: os.stat_result) -> Stamp:
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


class Stamps:
    """Recorded stamps and digests by file (its path relative to the config's directory)."""

    def __init__(self, known: dict[str, tuple[Stamp, str]], started_ns: int) -> None:
        self._known = known
        self._started = started_ns
        self._now: dict[str, tuple[Stamp, str]] = {}
        self.changed = False
        """Whether the table to save differs from the one loaded."""

    @classmethod
    def load(cls, file: Path, started_ns: int) -> Stamps:
        """The table saved at ``file``; empty when there is none or it is damaged."""
        data = read_json(file)
        known: dict[str, tuple[Stamp, str]] = {}
        if isinstance(data, dict) and data.get("format") == _FORMAT and isinstance(data.get("files"), dict):
            for key, item in data["files"].items():
                if (
                    isinstance(item, list) and len(item) == 6 and all(type(n) is int for n in item[:5])
                    and isinstance(item[5], str)
                ):
                    known[key] = ((item[0], item[1], item[2], item[3], item[4]), item[5])
        return cls(known, started_ns)

    def digest(self, key: str, info: os.stat_result) -> str | None:
        """The recorded digest of the file while its stamp is the one recorded; None: read it."""
        known = self._known.get(key)
        if known is None or known[0] != stamp_of(info):
            return None
        self._now[key] = known
        return known[1]

    def record(self, key: str, info: os.stat_result, digest: str) -> None:
        """``digest`` of the bytes read after ``info`` was taken; kept only for a settled file."""
        if max(info.st_mtime_ns, info.st_ctime_ns) >= self._started - SETTLED_NS:
            known = self._known.get(key)
            if known is not None:
                # Kept as it was: it no longer matches the file, and a file being edited (the
                # one a pre-commit run is given) does not rewrite the table on every run.
                self._now[key] = known
            return
        self._now[key] = (stamp_of(info), digest)
        self.changed = True

    def save(self, file: Path) -> None:
        """The stamps of this run's files (files gone since drop out)."""
        if not self.changed and self._now.keys() == self._known.keys():
            return
        files: dict[str, Any] = {key: [*stamp, digest] for key, (stamp, digest) in sorted(self._now.items())}
        write_json(file, {"format": _FORMAT, "files": files}, prune="stamps-*.json")
