"""Where a run's time goes inside its phases (``--timings``).

A phase (:class:`opsux_lint.runner.RunResult` ``timings``) is wall time in the process that
runs it; linting and outlining are shared with forked helper processes, so the steps inside
them (outlining a module, parsing a file with libcst, running the rules on it) are timed in
whichever process takes them and added up over all of them: what a step costs in CPU, which is
what a smaller or a parallel run can save.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import NamedTuple


class Step(NamedTuple):
    """One kind of step, added up: its seconds, how many times it was taken, and how much it
    took in (bytes of a module outlined, lines of a file parsed)."""

    seconds: float
    times: int
    size: int

    def plus(self, other: Step) -> Step:
        return Step(self.seconds + other.seconds, self.times + other.times, self.size + other.size)


OUTLINE = "outline"
"""A module outlined with ``ast`` (:func:`opsux_lint.analysis.outline.summarize`); size: bytes."""
SCREEN = "screen"
"""A candidate file parsed by CPython's parser before libcst sees it; size: bytes."""
IMPORT_LIBCST = "import libcst"
EXCERPT = "excerpt"
"""The part of a candidate file that can hold a finding, cut (:mod:`opsux_lint.excerpt`)."""
PARSE = "parse"
"""An excerpt (or a whole file) parsed by libcst; size: lines."""
RULES = "rules"
"""The rules run on one parsed file: the walk, resolving values, placing what they report."""

_DESCRIPTIONS = {
    OUTLINE: "outline {count} module{s} ({size:,} bytes)",
    SCREEN: "parse {count} candidate file{s} with CPython's parser ({size:,} bytes)",
    IMPORT_LIBCST: "import libcst",
    EXCERPT: "cut {count} excerpt{s}",
    PARSE: "parse {count} excerpt{s} with libcst ({size:,} lines)",
    RULES: "run the rules on {count} file{s}",
}
"""How ``--timings`` names each step, in the order it lists them."""


def described(tally: Mapping[str, Step]) -> list[tuple[float, str]]:
    """``(seconds, what was done)`` of each step taken, in the order of the run's stages."""
    order = [*_DESCRIPTIONS, *sorted(set(tally) - set(_DESCRIPTIONS))]
    return [
        (spent.seconds, _DESCRIPTIONS.get(step, step).format(count=spent.times, s="" if spent.times == 1 else "s", size=spent.size))
        for step in order if (spent := tally.get(step)) is not None
    ]


_tally: dict[str, Step] = {}
"""This process's steps since they were last handed over (:func:`take`)."""


def add(step: str, seconds: float, size: int = 0) -> None:
    taken = Step(seconds, 1, size)
    found = _tally.get(step)
    _tally[step] = taken if found is None else found.plus(taken)


@contextmanager
def timed(step: str, size: int = 0) -> Iterator[None]:
    """Time what the block does as one ``step`` (also when it raises)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        add(step, time.perf_counter() - start, size)


def take() -> dict[str, Step]:
    """This process's steps so far, and start over: a forked helper hands over what it did
    since it last did (it starts with a copy of its parent's, which :func:`take` clears)."""
    taken = dict(_tally)
    _tally.clear()
    return taken


def absorb(tally: Mapping[str, Step]) -> None:
    """Count a helper's steps (what its :func:`take` gave) as this process's."""
    for step, spent in tally.items():
        found = _tally.get(step)
        _tally[step] = spent if found is None else found.plus(spent)
