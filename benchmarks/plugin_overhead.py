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
config, with the plugin loaded against ``-p no:opsux``, interleaved. Goal: at most 20 ms added.

    python benchmarks/plugin_overhead.py [--tests 500] [--repeat 5] [--db-url sqlite://]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import resource
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


def _run(directory: Path, root: Path, extra: list[str], url: str) -> float:
    out = root / "result.json"
    env = dict(os.environ, OPSUX_BENCH_OUT=str(out), PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
    env.pop("OPSUX_DB_URL", None)
    command = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "opsux_bench_timer",
        "-p", "no:randomly", "-p", "no:xdist", *extra,
    ]
    completed = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        raise SystemExit(f"benchmark run failed in {directory} ({' '.join(extra)}):\n{completed.stdout}\n{completed.stderr}")
    result = json.loads(out.read_text())
    return float(result["seconds"]) / int(result["tests"]) * 1000.0


def _startup(directory: Path, extra: list[str]) -> float:
    """CPU time (user + system) of a whole pytest process in *directory*, in ms.

    CPU rather than wall time for the reason given in the timer plugin; start-up is import work.
    """
    env = {key: value for key, value in os.environ.items() if key != "OPSUX_DB_URL"}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    elapsed = ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000.0
    if completed.returncode != 0:
        raise SystemExit(f"start-up run failed in {directory}:\n{completed.stdout}\n{completed.stderr}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db-url", default="sqlite://")
    parser.add_argument("--startup-repeat", type=int, default=15)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="opsux-bench-") as tmp:
        root = Path(tmp)
        plugin_dir, peer_dir = _write(root, args.tests, args.db_url)
        configs = {
            "peer": (peer_dir, ["-p", "no:opsux"]),
            "check off": (plugin_dir, [f"--opsux-db-url={args.db_url}", "-o", "opsux_verify=false"]),
            "check on": (plugin_dir, [f"--opsux-db-url={args.db_url}"]),
        }
        samples: dict[str, list[float]] = {name: [] for name in configs}
        for _ in range(args.repeat):
            for name, (directory, extra) in configs.items():
                samples[name].append(_run(directory, root, extra, args.db_url))

        unused = root / "unused"
        unused.mkdir()
        (unused / "test_plain.py").write_text("def test_plain():\n    assert True\n")
        startup: dict[str, list[float]] = {"without": [], "with": []}
        for _ in range(args.startup_repeat):
            startup["without"].append(_startup(unused, ["-p", "no:opsux"]))
            startup["with"].append(_startup(unused, []))

    median = {name: statistics.median(values) for name, values in samples.items()}
    peer = median["peer"]
    print(textwrap.dedent(f"""\
        opsux pytest plugin overhead: {args.tests} tests, each starting and completing one run
        database {args.db_url}; median of {args.repeat} interleaved runs; CPU time of the test loop
        """))
    print(f"{'peer (plugin off, same fixtures by hand)':<44}{peer:8.3f} ms/test")
    for name in ("check off", "check on"):
        value = median[name]
        print(
            f"{'plugin, automatic check ' + name.split()[1]:<44}{value:8.3f} ms/test   "
            f"overhead {value - peer:+.3f} ms/test   ratio {value / peer:.2f}x"
        )
    overhead = median["check on"] - peer
    if args.db_url.startswith("sqlite"):
        verdict = "within" if overhead <= TARGET_MS else "OVER"
        note = f"{verdict} the {TARGET_MS:g} ms target"
    else:
        note = f"the {TARGET_MS:g} ms target is for SQLite; two more round trips per test here"
    print(f"\nper-test overhead with the check on: {overhead:.3f} ms ({note})")

    without = statistics.median(startup["without"])
    with_plugin = statistics.median(startup["with"])
    added = with_plugin - without
    verdict = "within" if added <= STARTUP_TARGET_MS else "OVER"
    print(
        f"\npytest start-up (CPU time) of a one-test project without opsux config, median of {args.startup_repeat} interleaved runs:\n"
        f"{'-p no:opsux':<44}{without:8.1f} ms\n"
        f"{'plugin installed, unused':<44}{with_plugin:8.1f} ms   added {added:+.1f} ms   ratio {with_plugin / without:.2f}x"
        f"   ({verdict} the {STARTUP_TARGET_MS:g} ms goal)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
