"""What the opsux pytest plugin costs per test.

Runs the same 500 tests (each starts and completes one run through the service) three ways, in
one go, interleaved so that machine noise hits all three alike:

- peer: the plugin disabled (``-p no:opsux``) and the same fixtures written by hand in a
  conftest (one engine, one rolled-back transaction and savepoint session per test) - what a
  team would write without opsux;
- plugin with the automatic check off (``opsux_verify=false``);
- plugin with the automatic check on (the default).

Only the test loop is timed (a tiny timing plugin around ``pytest_runtestloop``, CPU time), not
interpreter start-up or collection. With ``--db-url postgresql...`` the server's own work (and the
round trips' waiting) is not in that CPU time: only the client side is compared there. Prints ms per test, the per-test overhead against the peer, and the ratio.

A second row measures what the plugin costs a project that has opsux installed but does not use
it (issue 16): the CPU time of the whole ``python -m pytest`` of a one-test project without opsux
config, with the plugin loaded and with ``-p no:opsux``, run in pairs (alternating which goes
first) and reported as the median of the pairs' differences. The other pytest plugins installed
here (hypothesis, pytest-postgresql, xdist, ...) are blocked on both sides by default: they cost
the same either way, but their second or so of imports would bury the plugin's few milliseconds
in noise (``--with-other-plugins`` keeps them). ``--callgrind`` counts instructions instead
(valgrind), which a loaded machine does not move. Goal: at most 20 ms added.

``--against DIR`` adds the plugin of another checkout (``DIR/src``, e.g. a ``git worktree`` of the
main branch) to the same interleaving, with the check off and on: old against new in one run, both
against the same peer, so a loaded machine moves all of them alike.

    python benchmarks/plugin_overhead.py [--tests 500] [--repeat 5] [--db-url sqlite://] [--against DIR]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

TARGET_MS = 1.0
STARTUP_TARGET_MS = 20.0

CONFIG = """\
operation_types:
  inventory.sync: Inventory sync
"""

TESTS = """\
import pytest
from opsux_core import Initiator

USER = Initiator("user-3", "User Three")


@pytest.mark.parametrize("n", range({count}))
def test_start_and_complete(n, opsux_service):
    run = opsux_service.start("acme", "inventory.sync", initiator=USER, inputs={{"n": n}}).run
    opsux_service.mark_running(run)
    opsux_service.complete(run, "succeeded", summary_counts={{"total": 1, "processed": 1}})
"""

# The peer: what the plugin's fixtures do, written by hand, with the plugin switched off.
PEER_CONFTEST = """\
import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from opsux_core import OperationRunService, create_schema, load_policy

URL = make_url({url!r})


@pytest.fixture(scope="session")
def engine():
    if URL.get_backend_name() == "sqlite":
        engine = create_engine(URL, poolclass=StaticPool, connect_args={{"check_same_thread": False}})
        event.listen(engine, "connect", lambda dbapi, record: setattr(dbapi, "isolation_level", None))
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    else:
        engine = create_engine(URL)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def policy():
    return load_policy({config!r})


@pytest.fixture
def opsux_service(engine, policy):
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield OperationRunService(session, policy)
    finally:
        session.close()
        outer.rollback()
        connection.close()
"""

TIMER = """\
import json
import os
import time

import pytest


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session):
    # CPU time of this process: on SQLite in memory all the work is here, and a shared machine's
    # load, which inflates wall time many times over, barely moves it.
    start = time.process_time()
    try:
        return (yield)
    finally:
        elapsed = time.process_time() - start
        with open(os.environ["OPSUX_BENCH_OUT"], "w") as out:
            json.dump({"seconds": elapsed, "tests": session.testscollected, "failed": session.testsfailed}, out)
"""


def _write(root: Path, count: int, url: str) -> tuple[Path, Path]:
    plugin_dir = root / "with_plugin"
    peer_dir = root / "peer"
    for directory in (plugin_dir, peer_dir):
        directory.mkdir()
        (directory / "opsux.yaml").write_text(CONFIG)
        (directory / "test_bench.py").write_text(TESTS.format(count=count))
        (directory / "pytest.ini").write_text("[pytest]\n")
    (peer_dir / "conftest.py").write_text(PEER_CONFTEST.format(url=url, config=str(peer_dir / "opsux.yaml")))
    (root / "opsux_bench_timer.py").write_text(TIMER)
    return plugin_dir, peer_dir


def _run(directory: Path, root: Path, extra: list[str], url: str, source: Path | None = None) -> float:
    out = root / "result.json"
    # Another checkout's src/ ahead of the installed opsux: Python finds its packages first.
    path = [str(root), *([str(source)] if source is not None else []), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, OPSUX_BENCH_OUT=str(out), PYTHONPATH=os.pathsep.join(path))
    env.pop("OPSUX_DB_URL", None)
    command = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "opsux_bench_timer",
        "-p", "no:randomly", "-p", "no:xdist", *extra,
    ]
    completed = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"benchmark run failed in {directory} ({' '.join(extra)}):\n{completed.stdout}\n{completed.stderr}")
    result = json.loads(out.read_text())
    return float(result["seconds"]) / int(result["tests"]) * 1000.0


def _other_plugins() -> list[str]:
    """``-p no:NAME`` for every other pytest plugin installed here."""
    blocked: list[str] = []
    for entry_point in importlib.metadata.entry_points(group="pytest11"):
        if entry_point.name != "opsux":
            blocked += ["-p", f"no:{entry_point.name}"]
    return blocked


def _startup_command(extra: list[str]) -> list[str]:
    # Not -q: a plain run prints the header, for which pytest reads each plugin's distribution
    # metadata and calls the plugin's pytest_report_header.
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *extra]


def _startup_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != "OPSUX_DB_URL"}


def _startup(directory: Path, extra: list[str]) -> float:
    """CPU time (user + system) of a whole pytest process in *directory*, in ms.

    CPU rather than wall time for the reason given in the timer plugin; start-up is import work.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(
        _startup_command(extra), cwd=directory, env=_startup_env(), capture_output=True, text=True, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    elapsed = ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000.0
    if completed.returncode != 0:
        raise SystemExit(f"start-up run failed in {directory}:\n{completed.stdout}\n{completed.stderr}")
    return elapsed


def _instructions(directory: Path, extra: list[str]) -> int:
    """Instructions a whole pytest process in *directory* executes, counted by valgrind's callgrind."""
    with tempfile.TemporaryDirectory(prefix="opsux-callgrind-") as tmp:
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out", *_startup_command(extra)]
        completed = subprocess.run(command, cwd=directory, env=_startup_env(), capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise SystemExit(f"callgrind run failed in {directory}:\n{completed.stdout}\n{completed.stderr}")
        match = re.search(r"Collected\s*:\s*(\d+)", completed.stderr)
        if match is None:
            raise SystemExit(f"no instruction count in callgrind's output:\n{completed.stderr}")
        return int(match.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db-url", default="sqlite://")
    parser.add_argument("--startup-repeat", type=int, default=21)
    parser.add_argument("--with-other-plugins", action="store_true", help="do not block the other pytest plugins installed")
    parser.add_argument("--callgrind", action="store_true", help="also count the start-up's instructions with valgrind")
    parser.add_argument("--startup-only", action="store_true", help="only the start-up row")
    parser.add_argument("--per-test-only", action="store_true", help="only the per-test rows")
    parser.add_argument(
        "--against", type=Path, metavar="DIR", help="also time the plugin of the checkout DIR (its src/), interleaved"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="opsux-bench-") as tmp:
        root = Path(tmp)
        if not args.startup_only:
            _per_test(root, args)
        if args.per_test_only:
            return 0
        unused = root / "unused"
        unused.mkdir()
        (unused / "test_plain.py").write_text("def test_plain():\n    assert True\n")
        _startup_row(unused, args)
    return 0


def _per_test(root: Path, args: argparse.Namespace) -> None:
    plugin_dir, peer_dir = _write(root, args.tests, args.db_url)
    off = [f"--opsux-db-url={args.db_url}", "-o", "opsux_verify=false"]
    on = [f"--opsux-db-url={args.db_url}"]
    configs: dict[str, tuple[Path, list[str], Path | None]] = {
        "peer": (peer_dir, ["-p", "no:opsux"], None),
        "check off": (plugin_dir, off, None),
        "check on": (plugin_dir, on, None),
    }
    if args.against is not None:
        source = args.against.resolve() / "src"
        if not (source / "opsux_pytest").is_dir():
            raise SystemExit(f"--against {args.against}: no src/opsux_pytest there")
        configs["against: check off"] = (plugin_dir, off, source)
        configs["against: check on"] = (plugin_dir, on, source)
    samples: dict[str, list[float]] = {name: [] for name in configs}
    for round_ in range(args.repeat):
        # Every other round backwards, so that a trend in the machine's load favours no one.
        order = list(configs.items()) if round_ % 2 == 0 else list(configs.items())[::-1]
        for name, (directory, extra, source) in order:
            samples[name].append(_run(directory, root, extra, args.db_url, source))

    median = {name: statistics.median(values) for name, values in samples.items()}
    peer = median["peer"]
    print(textwrap.dedent(f"""\
        opsux pytest plugin overhead: {args.tests} tests, each starting and completing one run
        database {args.db_url}; median of {args.repeat} interleaved runs; CPU time of the test loop
        """))
    print(f"{'peer (plugin off, same fixtures by hand)':<44}{peer:8.3f} ms/test")
    for name in configs:
        if name == "peer":
            continue
        value = median[name]
        label = f"plugin, automatic check {name.split()[-1]}"
        if name.startswith("against"):
            label = f"{args.against}: check {name.split()[-1]}"
        print(
            f"{label:<44}{value:8.3f} ms/test   "
            f"overhead {value - peer:+.3f} ms/test   ratio {value / peer:.2f}x"
        )
    overhead = median["check on"] - peer
    if args.db_url.startswith("sqlite"):
        verdict = "within" if overhead <= TARGET_MS else "OVER"
        note = f"{verdict} the {TARGET_MS:g} ms target"
    else:
        note = f"the {TARGET_MS:g} ms target is for SQLite; two more round trips per test here"
    print(f"\nper-test overhead with the check on: {overhead:.3f} ms ({note})\n")


def _startup_row(unused: Path, args: argparse.Namespace) -> None:
    others = [] if args.with_other_plugins else _other_plugins()
    without_args, with_args = [*others, "-p", "no:opsux"], others
    without: list[float] = []
    with_plugin: list[float] = []
    for index in range(args.startup_repeat):
        # Alternating which side goes first, so that a trend in the machine's load hits both.
        if index % 2:
            with_plugin.append(_startup(unused, with_args))
            without.append(_startup(unused, without_args))
        else:
            without.append(_startup(unused, without_args))
            with_plugin.append(_startup(unused, with_args))
    added = statistics.median(b - a for a, b in zip(without, with_plugin))
    verdict = "within" if added <= STARTUP_TARGET_MS else "OVER"
    plugins = "other pytest plugins installed here loaded too" if args.with_other_plugins else "other pytest plugins blocked on both sides"
    bytecode = "no bytecode cache (PYTHONDONTWRITEBYTECODE)" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "bytecode cached"
    print(
        f"pytest start-up (CPU time) of a one-test project without opsux config, {args.startup_repeat} pairs; "
        f"{plugins}; {bytecode}:\n"
        f"{'-p no:opsux':<44}{statistics.median(without):8.1f} ms (median)\n"
        f"{'plugin installed, unused':<44}{statistics.median(with_plugin):8.1f} ms (median)   "
        f"added {added:+.1f} ms (median of the pairs' differences; {verdict} the {STARTUP_TARGET_MS:g} ms goal)"
    )
    if args.callgrind:
        count_without = _instructions(unused, without_args)
        count_with = _instructions(unused, with_args)
        print(
            f"instructions (callgrind): -p no:opsux {count_without / 1e6:.1f} M, plugin installed and unused "
            f"{count_with / 1e6:.1f} M: {(count_with - count_without) / 1e6:+.1f} M "
            f"({(count_with - count_without) / count_without:+.1%})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
