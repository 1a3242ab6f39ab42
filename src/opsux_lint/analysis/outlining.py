"""Outlining many modules at once, shared with forked helper processes when it is worth it.

A cold run outlines every module that mentions a sink's name before it can derive a single
wrapper (warehouse: 139 modules, 3.9 MB, tests included), one after another in the main process
while the other cores wait for the lint phase. Here the work is split by size: the process keeps
one share and outlines it while forked helpers outline theirs and send them back as JSON
(outlines are plain JSON, the cache stores them so; encoding and decoding them costs a few
percent of making them). The answers are the same outlines, in the same order, as one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from opsux_lint import stopwatch
from opsux_lint.analysis.outline import Summary, summarize
from opsux_lint.stopwatch import Step

MIN_SHARED_BYTES = 512 * 1024
"""Less source than this is outlined in the process: a fork and its answer cost more (about
0.2 s of outlining here)."""


class Pending(NamedTuple):
    """A module to outline: its source, name and whether it is a package's ``__init__``."""

    data: bytes
    module: str
    is_package: bool


def outline_all(pending: Sequence[Pending], helpers: int) -> list[Summary | None]:
    """The outline of each module of ``pending`` (None where it does not parse), made with up to
    ``helpers`` forked processes besides this one when the modules are large enough to pay."""
    helpers = min(helpers, len(pending) - 1, sum(len(p.data) for p in pending) // MIN_SHARED_BYTES)
    if helpers < 1:
        return [summarize(p.data, p.module, p.is_package) for p in pending]
    # Imported here: multiprocessing is a tenth of the imports of a run that needs no helper.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    if "fork" not in multiprocessing.get_all_start_methods():
        return [summarize(p.data, p.module, p.is_package) for p in pending]
    shares = _shares(pending, helpers + 1)

    found: dict[int, Summary | None] = {}
    try:
        # fork: the helpers start from this process as it is (nothing to import or pickle but
        # the sources), and only the short time they live.
        with ProcessPoolExecutor(max_workers=helpers, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [(share, pool.submit(_outline_share, [pending[i] for i in share])) for share in shares[1:]]
            for i in shares[0]:
                found[i] = summarize(pending[i].data, pending[i].module, pending[i].is_package)
            for share, future in futures:
                summaries, steps = future.result()
                found.update(zip(share, summaries, strict=True))
                stopwatch.absorb(steps)
    except (OSError, BrokenProcessPool):
        # No working multiprocessing here (no /dev/shm, seccomp): the same outlines, slower.
        for i in range(len(pending)):
            if i not in found:
                found[i] = summarize(pending[i].data, pending[i].module, pending[i].is_package)
    return [found[i] for i in range(len(pending))]


def _shares(pending: Sequence[Pending], count: int) -> list[list[int]]:
    """``pending``'s indexes in ``count`` shares of about equal size, largest module first."""
    shares: list[list[int]] = [[] for _ in range(count)]
    sizes = [0] * count
    for i in sorted(range(len(pending)), key=lambda i: -len(pending[i].data)):
        smallest = sizes.index(min(sizes))
        shares[smallest].append(i)
        sizes[smallest] += len(pending[i].data)
    return shares


def _outline_share(share: Sequence[Pending]) -> tuple[list[Summary | None], dict[str, Step]]:
    stopwatch.take()  # forked: the parent's steps are the parent's to report
    # Pickled back: pickle keeps one copy of each string an outline repeats (names, tags),
    # where JSON would make one per occurrence (a third more memory in this process).
    return [summarize(p.data, p.module, p.is_package) for p in share], stopwatch.take()
