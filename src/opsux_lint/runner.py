"""A whole run: targets -> files -> (cache | the engine, in parallel when it pays) -> findings."""

from __future__ import annotations

import dataclasses
import gc
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from opsux_core.policy import Policy, load_policy
from opsux_lint import stopwatch
from opsux_lint.analysis.index import ProjectIndex, build_index, save_index
from opsux_lint.analysis.reads import Reads, Snapshot
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
from opsux_lint.derived import Derived
from opsux_lint.discovery import Excludes, ResolvedPaths, discover
from opsux_lint.findings import Finding
from opsux_lint.project import Target
from opsux_lint.registry import PARSE_ERROR_KIND, RuleSpec, builtin_rules, rules_by_id
from opsux_lint.selection import select_rules, unparsable_rule
from opsux_lint.settings import OWNERS, LintSettings, lint_settings
from opsux_lint.sink_modules import misplaced_sinks
from opsux_lint.stopwatch import Step

if TYPE_CHECKING:
    # The engine (its rule kinds, libcst) is imported when a file is to be linted: a run whose
    # files all come from the cache never needs it.
    from opsux_lint.engine import Linter


def __getattr__(name: str) -> object:
    # ``runner.Linter`` still names the engine's class, imported when first asked for.
    if name == "Linter":
        from opsux_lint.engine import Linter

        return Linter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    steps: Mapping[str, Step] = field(default_factory=dict, compare=False)
    """What the steps inside the phases took in all the run's processes, by
    :mod:`~opsux_lint.stopwatch` step (``--timings``)."""
    linters: Mapping[str, Linter] = field(default_factory=dict, compare=False, repr=False)
    """The linter of each file with findings, by shown path: unsafe fixes need its project index."""
    warnings: tuple[str, ...] = ()
    """What is wrong with a config that no finding says (:mod:`opsux_lint.sink_modules`)."""


def display_path(path: Path, cwd: Path, *, resolved: bool = False) -> str:
    """Relative to the working directory, ``/``-separated (absolute when on another drive).
    ``resolved``: ``path`` is resolved already."""
    real = path if resolved else path.resolve()
    try:
        return Path(os.path.relpath(real, cwd)).as_posix()
    except ValueError:
        return real.as_posix()


@dataclass(frozen=True)
class _Job:
    path: Path
    display: str
    data: bytes | None
    digest: str
    group: int
    record: bool
    """Whether the file's findings are cached (and so what linting it reads is recorded)."""


class _Group:
    """The files of one config: its rules, project index and cache. Its :class:`Linter` is
    built when a file needs one, or at once when there is no derivation to reuse (building it
    derives the wrappers, which the cache's key depends on)."""

    def __init__(
        self, policy: Policy, rules: tuple[RuleSpec, ...], unparsable: RuleSpec | None, options: RunOptions, clock: _Clock
    ) -> None:
        self.policy = policy
        self.rules = rules
        self.unparsable = unparsable
        self.options = options
        self.index = project_index(policy, options.cache, options.jobs)
        clock.lap("read the project")
        derived_at = derived_file(policy, rules, options.version) if options.cache else None
        self.derived = _cached_derivation(derived_at, self.index)
        self._linter: Linter | None = None
        if self.derived is None:
            with self.index.recording() as reads:
                linter = self.linter()
            if derived_at is not None:
                assert linter.derived is not None
                write_json(
                    derived_at,
                    {
                        "derived": linter.derived.to_json(), "reads": reads.to_json(),
                        "snapshot": Snapshot.take(self.index, [reads]).to_json(),
                    },
                    prune="derived-*.json",
                )
        clock.lap("derive wrappers and needles")
        self.cache = None
        if options.cache:
            assert self.derived is not None
            reported = (*rules, *((unparsable,) if unparsable is not None else ()))
            self.cache = LintCache.open(
                policy, rules, options.version, self.index, self.derived.digest(), reported=reported,
            )
        clock.lap("open the cache")

    def linter(self) -> Linter:
        if self._linter is None:
            from opsux_lint.engine import Linter

            options = self.options
            self._linter = Linter(
                self.policy, self.rules, self.index, options.coverage, options.exhaustive, self.derived, self.unparsable,
            )
            self.derived = self._linter.derived
        return self._linter


class _Linters(Mapping[str, "Linter"]):
    """The linter of each file with findings, by shown path, each built on first use."""

    def __init__(self, groups: Mapping[str, _Group]) -> None:
        self._groups = groups

    def __getitem__(self, shown: str) -> Linter:
        return self._groups[shown].linter()

    def __iter__(self) -> Iterator[str]:
        return iter(self._groups)

    def __len__(self) -> int:
        return len(self._groups)


def run(
    targets: Sequence[Target], selection: Selection, cwd: Path, options: RunOptions | None = None
) -> RunResult:
    options = options or RunOptions()
    if options.coverage:
        options = dataclasses.replace(options, cache=False)
    stopwatch.take()  # an earlier run's, in this process
    clock = _Clock()
    groups: list[_Group] = []
    by_policy: dict[int, int] = {}
    findings: list[Finding] = []
    jobs: list[_Job] = []
    seen: set[Path] = set()
    group_of: dict[str, _Group] = {}
    resolve = ResolvedPaths()
    for target in targets:
        number = by_policy.get(id(target.policy))
        if number is None:
            lint = lint_settings(target.policy)
            select = selection.select if selection.select is not None else lint.select
            ignore = (*lint.ignore, *selection.ignore)
            rules = select_rules(builtin_rules(), select, ignore)
            unparsable = unparsable_rule(builtin_rules(), rules, ignore, PARSE_ERROR_KIND)
            number = by_policy[id(target.policy)] = len(groups)
            groups.append(_Group(target.policy, rules, unparsable, options, clock))
        group = groups[number]
        cache = group.cache
        excludes = Excludes.build(target.policy.root, lint_settings(target.policy).exclude)
        for file in discover(target.path, excludes):
            resolved = resolve(file)
            if resolved in seen:
                continue
            seen.add(resolved)
            shown = display_path(resolved, cwd, resolved=True)
            known = group.index.read(resolved)
            # The index knows the file's digest (its stamp may have spared reading it): a
            # cached result needs no bytes.
            cached = cache.get(resolved, known.digest, shown) if known is not None and cache is not None else None
            if cached is None:
                try:
                    data = known.read() if known is not None else file.read_bytes()
                except OSError as exc:
                    findings.extend(group.linter().read_error(shown, exc))
                    continue
                # The digest of the bytes read (a file that changed since its stamp has a new one).
                digest = "" if cache is None else known.digest if known is not None else content_digest(data)
                if cache is not None and known is None:
                    cached = cache.get(resolved, digest, shown)
            if cached is not None:
                findings.extend(cached)
                if cached:
                    group_of[shown] = group
                continue
            jobs.append(_Job(resolved, shown, data, digest, number, cache is not None))

    clock.lap("discover and read the files")
    sites: list[Site] = []
    linters = [group.linter() for group in groups] if jobs else []
    if options.progress is not None and len(jobs) >= PROGRESS_THRESHOLD:
        with options.progress(len(jobs)) as advance:
            results = _lint_all(jobs, linters, options.jobs, advance)
    else:
        results = _lint_all(jobs, linters, options.jobs)
    clock.lap(f"lint {len(jobs)} file{'' if len(jobs) == 1 else 's'}")
    for job, (result, found, reads) in zip(jobs, results, strict=True):
        findings.extend(result)
        sites.extend(found)
        if result:
            group_of[job.display] = groups[job.group]
        cache = groups[job.group].cache
        if cache is not None and reads is not None:
            cache.put(job.path, job.digest, result, reads)
    for group in groups:
        if group.cache is not None:
            group.cache.save()
            save_project_index(group.policy, group.index)
    clock.lap("save the cache")
    ran = {rule.id: rule for group in groups for rule in group.rules}
    findings.sort()
    warnings = [
        warning for group in groups
        for warning in misplaced_sinks(_configured_calls(lint_settings(group.policy)), group.index)
    ]
    return RunResult(
        tuple(findings), len(seen), tuple(sorted(ran.values(), key=lambda r: r.id)), len(jobs),
        sites=tuple(sorted(sites)) if options.coverage else None, timings=clock.laps(), linters=_Linters(group_of),
        warnings=tuple(dict.fromkeys(warnings)), steps=stopwatch.take(),
    )


def _configured_calls(lint: LintSettings) -> list[str]:
    return [s.call for s in lint.operation_type_sinks] + [n.call for n in lint.notification_calls]


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


def _cached_derivation(file: Path | None, index: ProjectIndex) -> Derived | None:
    """The stored derivation while what it read of the index gets the same answers."""
    if file is None:
        return None
    data = read_json(file)
    if not isinstance(data, dict):
        return None
    try:
        derived = Derived.from_json(data.get("derived"))
        reads = Reads.from_json(data.get("reads"))
        snapshot = Snapshot.from_json(data.get("snapshot"))
    except ValueError:
        return None  # damaged: derive afresh
    return derived if snapshot.checker(index).valid(reads) else None


def project_index(policy: Policy, cache: bool, jobs: int | None = 1) -> ProjectIndex:
    """The index of every module under the policy's source roots (cached beside the config).
    ``jobs``: the processes it may outline in (None: one per CPU)."""
    lint = lint_settings(policy)
    cache_dir = policy.root / CACHE_DIRNAME if cache else None
    helpers = (jobs if jobs is not None else os.cpu_count() or 1) - 1
    return build_index(
        policy.root, lint.src, lint.exclude, cache_dir=cache_dir, salt=tool_digest(), max_file_bytes=lint.max_file_bytes,
        helpers=max(0, helpers),
    )


def save_project_index(policy: Policy, index: ProjectIndex) -> None:
    """Keep the outlines this run made (beside the config) for the next run."""
    lint = lint_settings(policy)
    save_index(index, policy.root, lint.src, lint.exclude, cache_dir=policy.root / CACHE_DIRNAME, salt=tool_digest())


def _workers(requested: int | None, count: int) -> int:
    if requested is not None:
        return max(1, requested)
    if count < PARALLEL_THRESHOLD:
        return 1
    return max(1, min(os.cpu_count() or 1, count // (PARALLEL_THRESHOLD // 2)))


_FileResult = tuple[list[Finding], list[Site], Reads | None]
"""A file's findings, sites and (when it is to be cached) what linting it read of the index."""
_Task = tuple[int, str, str, bytes | None, bool]
"""A file to lint: its config group, path, path as shown, bytes, and whether to record its reads."""
_Done = tuple[list[_FileResult], dict[str, Step]]
"""A helper's results for a chunk, and what its steps took since its last chunk."""


def _lint_all(
    jobs: Sequence[_Job], linters: Sequence[Linter], requested: int | None,
    advance: Callable[[int], None] = lambda done: None,
) -> list[_FileResult]:
    workers = _workers(requested, len(jobs))
    tasks = [(job.group, str(job.path), job.display, job.data, job.record) for job in jobs]
    # Helpers rebuild the policy from its file (a Policy holds mapping proxies, which do not
    # pickle); a policy built in memory has no file, so such runs stay in this process.
    if workers > 1 and len(jobs) > 1 and all(linter.policy.source is not None for linter in linters):
        size = max(1, min(32, len(tasks) // (workers * 8)))
        cost = [len(task[3] or b"") if linters[task[0]].prefilter.is_candidate(task[3] or b"") else 0 for task in tasks]
        dealt = deal(cost, size)
        results: list[_FileResult | None] = [None] * len(tasks)
        chunks = [[tasks[i] for i in numbers] for numbers in dealt]
        for numbers, chunk in zip(dealt, _share(chunks, linters, workers - 1, advance, parsing=any(cost)), strict=True):
            for number, result in zip(numbers, chunk, strict=True):
                results[number] = result
        return [result for result in results if result is not None]
    return _counted((_lint_here(linters, task) for task in tasks), advance)


def deal(cost: Sequence[int], size: int) -> list[list[int]]:
    """The indexes of ``cost`` in chunks of about ``size``, costliest chunk first.

    Nearly all the work is in the few files that hold a needle (they are parsed), and those
    sit together (one package's views): dealt out costliest first, one to each chunk in turn,
    every chunk gets a like share, and the cheap ones come last, when a process that is done
    waits for the others.
    """
    order = sorted(range(len(cost)), key=lambda i: -cost[i])
    count = -(-len(cost) // size)
    return [order[start::count] for start in range(count)]


def _share(
    chunks: Sequence[Sequence[_Task]], linters: Sequence[Linter], helpers: int, advance: Callable[[int], None],
    parsing: bool,
) -> list[list[_FileResult]]:
    """The results of each chunk, linted by this process and ``helpers`` processes at once
    (``parsing``: some file of them is to be parsed).

    This process lints too: with N CPUs a run has N processes, not N that lint and one that
    waits (each forked helper holds as much memory as this process, so one fewer is a third of
    a two-CPU run's peak). Every process takes the next chunk from the front (the chunks come
    costliest first), and a thread hands the helpers theirs as they finish them: handed out
    between this process's own chunks, they waited idle for a big file here to be done, and
    taken from the back, the costliest were left to one helper at the end.
    """
    # Imported here: multiprocessing is a tenth of the imports of a run that needs no pool.
    import threading
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    if parsing:
        # Forked helpers inherit what this process has imported: libcst (a quarter of a second)
        # is imported once for the run, not once in each process.
        from opsux_lint.engine import import_syntax_tree

        import_syntax_tree()

    specs = [
        (
            str(linter.policy.source), tuple(rule.id for rule in linter.rules), linter.index,
            linter.coverage, linter.exhaustive, linter.derived, linter.unparsable.id if linter.unparsable else None,
        )
        for linter in linters
    ]
    results: list[list[_FileResult] | None] = [None] * len(chunks)
    steps: list[dict[str, Step]] = []
    """What the helpers' steps took (``--timings``), counted in this thread once they are done."""
    queue = deque(range(len(chunks)))
    completed: deque[int] = deque()
    """Chunks the helpers finished, to be counted (``advance``) in this thread."""
    failures: list[BaseException] = []

    def hand_out(pool: ProcessPoolExecutor, running: dict[Future[_Done], int]) -> None:
        # One chunk in hand per helper and one more, so a helper that finishes one has the next.
        while queue and len(running) < helpers + 1:
            try:
                number = queue.popleft()
            except IndexError:  # this process took the last one meanwhile
                break
            running[pool.submit(_lint_in_worker, chunks[number])] = number

    def feed(pool: ProcessPoolExecutor, running: dict[Future[_Done], int]) -> None:
        try:
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    number = running.pop(future)
                    results[number], spent = future.result()
                    steps.append(spent)
                    completed.append(number)
                hand_out(pool, running)
        except (OSError, BrokenProcessPool) as error:
            failures.append(error)

    def count() -> None:
        while completed:
            advance(len(chunks[completed.popleft()]))

    try:
        with ProcessPoolExecutor(max_workers=helpers, initializer=_init_worker, initargs=(specs,)) as pool:
            running: dict[Future[_Done], int] = {}
            # The first chunks fork the helpers: handed out here, while this is the only thread.
            # Forked from the feeder while this thread held a lock (an import's, a stream's),
            # a helper waited for it forever.
            hand_out(pool, running)
            feeder = threading.Thread(target=feed, args=(pool, running), name=FEEDER, daemon=True)
            feeder.start()
            while queue:
                try:
                    number = queue.popleft()
                except IndexError:  # the helpers took the last one meanwhile
                    break
                results[number] = [_lint_here(linters, task) for task in chunks[number]]
                advance(len(chunks[number]))
                count()
            feeder.join()
            count()
        for spent in steps:
            stopwatch.absorb(spent)
        if failures:
            raise failures[0]
    except (OSError, BrokenProcessPool):
        # Sandboxes without working multiprocessing (no /dev/shm, seccomp): same answer,
        # only slower.
        count()
        for number, chunk in enumerate(results):
            if chunk is None:
                results[number] = [_lint_here(linters, task) for task in chunks[number]]
                advance(len(chunks[number]))
    return [chunk for chunk in results if chunk is not None]


def _lint_here(linters: Sequence[Linter], task: _Task) -> _FileResult:
    group, path, display, data, record = task
    linter = linters[group]
    if not record or linter.index is None:
        return (*linter.check(Path(path), data or b"", display), None)
    with linter.index.recording() as reads:
        findings, sites = linter.check(Path(path), data or b"", display)
    return findings, sites, reads


def _counted(results: Iterable[_FileResult], advance: Callable[[int], None]) -> list[_FileResult]:
    done: list[_FileResult] = []
    for result in results:
        done.append(result)
        advance(1)
    return done


FEEDER = "opsux-lint-feeder"
"""The name of the thread that hands the helpers their chunks (:func:`_share`)."""

_worker_linters: list[Linter] = []  # per worker process, filled once by the pool's initializer


def collect_garbage_rarely() -> None:
    """For a process that only lints: the cyclic collector ran every 700 allocations over
    millions of parse-tree nodes (acyclic, short-lived), a third of the time of a big module's
    ``ast.parse``; a run's memory peak is the same with it every 100,000."""
    gc.set_threshold(100_000, 50, 100)


def _init_worker(specs: Sequence[tuple[str, tuple[str, ...], ProjectIndex | None, bool, bool, Derived | None, str | None]]) -> None:
    from opsux_lint.engine import Linter

    collect_garbage_rarely()
    stopwatch.take()  # forked: the parent's steps are the parent's to report
    known = rules_by_id()
    policies: dict[str, Policy] = {}
    for source, rule_ids, index, coverage, exhaustive, derived, unparsable in specs:
        policy = policies.setdefault(source, load_policy(Path(source), owners=OWNERS))
        rules = tuple(known[rule_id] for rule_id in rule_ids)
        if index is not None:
            index.helpers = 0  # a worker is one of the run's processes already: it forks none
        # The parent derived wrappers and needles already: a worker only lints.
        parse_rule = known[unparsable] if unparsable is not None else None
        _worker_linters.append(Linter(policy, rules, index, coverage, exhaustive, derived, parse_rule))


def _lint_in_worker(chunk: Sequence[_Task]) -> _Done:
    return [_lint_here(_worker_linters, task) for task in chunk], stopwatch.take()
