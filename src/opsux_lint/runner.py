"""A whole run: targets -> files -> (cache | the engine, in parallel when it pays) -> findings."""

from __future__ import annotations

import dataclasses
import gc
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from opsux_core.policy import Policy, load_policy
from opsux_lint.analysis import ProjectIndex, build_index
from opsux_lint.analysis.index import save_index
from opsux_lint.cache import (
    CACHE_DIRNAME,
    LintCache,
    content_digest,
    derived_file,
    read_json,
    tool_digest,
    write_json,
)
from opsux_lint.coverage import Site
from opsux_lint.discovery import Excludes, discover
from opsux_lint.engine import Derived, Linter
from opsux_lint.findings import Finding
from opsux_lint.project import Target
from opsux_lint.registry import RuleSpec, builtin_rules, rules_by_id
from opsux_lint.selection import select_rules
from opsux_lint.settings import lint_settings

# Below this many files to parse, starting worker processes (each imports libcst) costs more
# than it saves.
PARALLEL_THRESHOLD = 120


@dataclass(frozen=True)
class Selection:
    """Command-line rule selection: ``select`` replaces the config's, ``ignore`` adds to it."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunOptions:
    jobs: int | None = None
    """Worker processes; None: one per CPU when there is enough work, 1: no pool."""
    cache: bool = False
    version: str = ""
    coverage: bool = False
    """Account for every sink site (:mod:`opsux_lint.coverage`); the cache is not used then."""
    exhaustive: bool = False
    """Parse every file instead of the prefilter's candidates (for checking the prefilter)."""
    progress: Progress | None = None
    """Told how many files are to be linted (when they are :data:`PROGRESS_THRESHOLD` or more)
    and then of each one done: the CLI's progress bar on a terminal."""


Progress = Callable[[int], AbstractContextManager[Callable[[int], None]]]
"""Given the number of files to lint, a context in which the returned callable is told how many
more are done."""

PROGRESS_THRESHOLD = 200
"""Files to lint (not answered from the cache) from which a run reports its progress: below it a
cold run takes a few seconds, and a bar would only flicker."""


@dataclass(frozen=True)
class RunResult:
    findings: tuple[Finding, ...]
    files: int
    rules: tuple[RuleSpec, ...]
    """Every rule that ran for at least one file (what SARIF describes)."""
    parsed: int = 0
    """Files the engine looked at (not answered from the cache)."""
    baselined: int = 0
    """Findings hidden by ``--baseline``."""
    sites: tuple[Site, ...] | None = None
    """With ``coverage``: every sink site and what became of it."""
    timings: tuple[tuple[str, float], ...] = ()
    """Seconds per phase (``--timings``)."""
    linters: Mapping[str, Linter] = field(default_factory=dict, compare=False, repr=False)
    """The linter of each file with findings, by shown path: unsafe fixes need its project index."""


def display_path(path: Path, cwd: Path) -> str:
    """Relative to the working directory, ``/``-separated (absolute when on another drive)."""
    try:
        return Path(os.path.relpath(path.resolve(), cwd)).as_posix()
    except ValueError:
        return path.resolve().as_posix()


@dataclass(frozen=True)
class _Job:
    path: Path
    display: str
    data: bytes | None
    digest: str
    group: int


def run(
    targets: Sequence[Target], selection: Selection, cwd: Path, options: RunOptions | None = None
) -> RunResult:
    options = options or RunOptions()
    if options.coverage:
        options = dataclasses.replace(options, cache=False)
    clock = _Clock()
    linters: list[Linter] = []
    caches: list[LintCache | None] = []
    by_policy: dict[int, int] = {}
    findings: list[Finding] = []
    jobs: list[_Job] = []
    seen: set[Path] = set()
    linter_of: dict[str, Linter] = {}
    for target in targets:
        group = by_policy.get(id(target.policy))
        if group is None:
            lint = lint_settings(target.policy)
            select = selection.select if selection.select is not None else lint.select
            rules = select_rules(builtin_rules(), select, (*lint.ignore, *selection.ignore))
            group = by_policy[id(target.policy)] = len(linters)
            index = project_index(target.policy, options.cache)
            clock.lap("read the project")
            derived_at = derived_file(target.policy, rules, options.version, index.fingerprint()) if options.cache else None
            derived = _cached_derivation(derived_at)
            linter = Linter(target.policy, rules, index, options.coverage, options.exhaustive, derived)
            if derived_at is not None and derived is None:
                assert linter.derived is not None
                write_json(derived_at, linter.derived.to_json(), prune="derived-*.json")
            linters.append(linter)
            clock.lap("derive wrappers and needles")
            caches.append(
                LintCache.open(target.policy, rules, options.version, linter.fingerprint()) if options.cache else None
            )
            clock.lap("open the cache")
        linter, cache = linters[group], caches[group]
        excludes = Excludes.build(target.policy.root, lint_settings(target.policy).exclude)
        for file in discover(target.path, excludes):
            resolved = file.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            shown = display_path(file, cwd)
            try:
                data = file.read_bytes()
            except OSError as exc:
                findings.extend(linter.read_error(shown, exc))
                continue
            digest = content_digest(data) if cache is not None else ""
            cached = cache.get(resolved, digest, shown) if cache is not None else None
            if cached is not None:
                findings.extend(cached)
                if cached:
                    linter_of[shown] = linter
            else:
                jobs.append(_Job(resolved, shown, data, digest, group))

    clock.lap("discover and read the files")
    sites: list[Site] = []
    if options.progress is not None and len(jobs) >= PROGRESS_THRESHOLD:
        with options.progress(len(jobs)) as advance:
            results = _lint_all(jobs, linters, options.jobs, advance)
    else:
        results = _lint_all(jobs, linters, options.jobs)
    clock.lap(f"lint {len(jobs)} files")
    for job, (result, found) in zip(jobs, results, strict=True):
        findings.extend(result)
        sites.extend(found)
        if result:
            linter_of[job.display] = linters[job.group]
        cache = caches[job.group]
        if cache is not None:
            cache.put(job.path, job.digest, result)
    for linter, cache in zip(linters, caches, strict=True):
        if cache is not None:
            cache.save()
            save_project_index(linter)
    clock.lap("save the cache")
    ran = {rule.id: rule for linter in linters for rule in linter.rules}
    findings.sort()
    return RunResult(
        tuple(findings), len(seen), tuple(sorted(ran.values(), key=lambda r: r.id)), len(jobs),
        sites=tuple(sorted(sites)) if options.coverage else None, timings=clock.laps(), linters=linter_of,
    )


class _Clock:
    """Wall time per phase; phases that repeat (one per config) add up."""

    def __init__(self) -> None:
        self._last = time.perf_counter()
        self._laps: dict[str, float] = {}

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self._laps[phase] = self._laps.get(phase, 0.0) + now - self._last
        self._last = now

    def laps(self) -> tuple[tuple[str, float], ...]:
        return tuple(self._laps.items())


def _cached_derivation(file: Path | None) -> Derived | None:
    if file is None:
        return None
    data = read_json(file)
    if data is None:
        return None
    try:
        return Derived.from_json(data)
    except ValueError:
        return None  # damaged: derive afresh


def project_index(policy: Policy, cache: bool) -> ProjectIndex:
    """The index of every module under the policy's source roots (cached beside the config)."""
    lint = lint_settings(policy)
    cache_dir = policy.root / CACHE_DIRNAME if cache else None
    return build_index(
        policy.root, lint.src, lint.exclude, cache_dir=cache_dir, salt=tool_digest(), max_file_bytes=lint.max_file_bytes
    )


def save_project_index(linter: Linter) -> None:
    """Keep the outlines this run made (beside the config) for the next run."""
    lint = linter.settings
    assert linter.index is not None
    save_index(linter.index, linter.policy.root, lint.src, lint.exclude, cache_dir=linter.policy.root / CACHE_DIRNAME, salt=tool_digest())


def _workers(requested: int | None, count: int) -> int:
    if requested is not None:
        return max(1, requested)
    if count < PARALLEL_THRESHOLD:
        return 1
    return max(1, min(os.cpu_count() or 1, count // (PARALLEL_THRESHOLD // 2)))


_FileResult = tuple[list[Finding], list[Site]]


def _lint_all(
    jobs: Sequence[_Job], linters: Sequence[Linter], requested: int | None,
    advance: Callable[[int], None] = lambda done: None,
) -> list[_FileResult]:
    workers = _workers(requested, len(jobs))
    # Workers rebuild the policy from its file (a Policy holds mapping proxies, which do not
    # pickle); a policy built in memory has no file, so such runs stay in this process.
    if workers > 1 and len(jobs) > 1 and all(linter.policy.source is not None for linter in linters):
        specs = [
            (
                str(linter.policy.source), tuple(rule.id for rule in linter.rules), linter.index,
                linter.coverage, linter.exhaustive, linter.derived,
            )
            for linter in linters
        ]
        tasks = [(job.group, str(job.path), job.display, job.data) for job in jobs]
        chunk = max(1, min(32, len(tasks) // (workers * 8)))
        try:
            with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(specs,)) as pool:
                return _counted(pool.map(_lint_in_worker, tasks, chunksize=chunk), advance)
        except (OSError, BrokenProcessPool):
            # Sandboxes without working multiprocessing (no /dev/shm, seccomp): same answer,
            # only slower.
            pass
    return _counted((linters[job.group].check(job.path, job.data or b"", job.display) for job in jobs), advance)


def _counted(results: Iterable[_FileResult], advance: Callable[[int], None]) -> list[_FileResult]:
    done: list[_FileResult] = []
    for result in results:
        done.append(result)
        advance(1)
    return done


_worker_linters: list[Linter] = []  # per worker process, filled once by the pool's initializer


def collect_garbage_rarely() -> None:
    """For a process that only lints: the cyclic collector ran every 700 allocations over
    millions of parse-tree nodes (acyclic, short-lived), a third of the time of a big module's
    ``ast.parse``; a run's memory peak is the same with it every 100,000."""
    gc.set_threshold(100_000, 50, 100)


def _init_worker(specs: Sequence[tuple[str, tuple[str, ...], ProjectIndex | None, bool, bool, Derived | None]]) -> None:
    collect_garbage_rarely()
    known = rules_by_id()
    policies: dict[str, Policy] = {}
    for source, rule_ids, index, coverage, exhaustive, derived in specs:
        policy = policies.setdefault(source, load_policy(Path(source)))
        rules = tuple(known[rule_id] for rule_id in rule_ids)
        # The parent derived wrappers and needles already: a worker only lints.
        _worker_linters.append(Linter(policy, rules, index, coverage, exhaustive, derived))


def _lint_in_worker(task: tuple[int, str, str, bytes | None]) -> _FileResult:
    group, path, display, data = task
    return _worker_linters[group].check(Path(path), data or b"", display)
