"""How fast is opsux-lint on a real repository, next to the tools a team would compare it with?

Usage::

    python benchmarks/lint_speed.py CHECKOUT --config CHECKOUT/opsux.yaml [--paths warehouse] [--runs 5]
    python benchmarks/lint_speed.py --django [--runs 5]     # Django's own source, from its wheel

In one invocation, interleaved (one run of each tool per round, so a noisy neighbour hits all of
them alike), ``--runs`` rounds of:

- ``opsux-lint --no-cache`` on the paths (cold), and ``opsux-lint`` with its cache filled (warm);
- ``opsux-lint`` on one changed file, as pre-commit runs it: cold (``--no-cache``) and warm (the
  cache filled, the file's bytes changed by a trailing comment before each run);
- a Fixit rule and a semgrep rule that make the same OPS001 check on string literals
  (``benchmarks/peers/``), each tool installed from PyPI into its own virtual environment under
  ``--cache-dir`` (created on first use);
- ``ruff check --no-cache --isolated`` (ruff's default rules) as the speed reference, and ruff with
  its cache filled.

Printed: the median wall time of each, the ratio of every median to every other, and the peak
memory of each command's whole process tree (resident set sizes of the process and all its
descendants, summed, sampled every 10 ms; at least the largest single process, as wait4 reports
it). The findings of the opsux-lint runs must be identical cold and warm; the script says so, and
exits 1 when they are not. SIGTERM ends the run early and reports the rounds complete so far.

``--django`` downloads Django's wheel (``pip download``) into the cache dir, unpacks its source
and writes a config there (opsux's own positions plus ``*.log_action(action_flag=...)``, Django's
admin log, as the configured sink).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
PEERS = HERE / "peers"
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "opsux-bench"
TOOLS = {"fixit": "fixit", "semgrep": "semgrep", "ruff": "ruff"}
DJANGO_CONFIG = {
    "operation_types": {"django.admin.log": "Django admin log entry"},
    "lint": {
        "src": ["."],
        "select": ["OPS001", "OPS008"],
        "exclude": ["migrations/"],
        "operation_type_sinks": [{"call": "*.log_action", "arg": 4, "keyword": "action_flag"}],
    },
}


# ------------------------------------------------------------------------- measuring


def _tree_rss(root: int) -> int:
    """Summed resident set size (bytes) of ``root`` and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, ()))
    return total


def measure(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak tree RSS (bytes) and stdout of one run."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group, so a stopped benchmark can end the whole tree
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(process.pid))
            done.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    streams: dict[str, str] = {}
    readers = [
        threading.Thread(target=lambda n=name, s=stream: streams.__setitem__(n, s.read()), daemon=True)
        for name, stream in (("out", process.stdout), ("err", process.stderr))
    ]
    for reader in readers:
        reader.start()
    try:
        # wait4, not wait: its resource usage has the peak RSS of the child and of the descendants
        # it waited for, which the sampling misses for runs shorter than a /proc scan.
        _, status, usage = os.wait4(process.pid, 0)
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        done.set()
        raise
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    for reader in readers:
        reader.join()
    out, err = streams["out"], streams["err"]
    peak = max(peak, usage.ru_maxrss * 1024)
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}:\n{err[-2000:]}")
    return elapsed, peak, out


@dataclass
class Tool:
    name: str
    command: list[str]
    prepare: Callable[[int], None] | None = None
    cleanup: Callable[[], None] | None = None
    env: dict[str, str] | None = None
    times: list[float] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------- environments


def tool_env(cache: Path, tool: str) -> Path:
    """A virtual environment with ``tool`` from PyPI (created on first use): its bin directory."""
    venv = cache / "venvs" / tool
    binary = venv / "bin" / tool
    if not binary.exists():
        print(f"installing {tool} into {venv} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        done = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", TOOLS[tool]],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"pip install {TOOLS[tool]} failed:\n{done.stderr[-3000:]}")
    return venv / "bin"


def django_checkout(cache: Path) -> Path:
    """Django's source from its wheel, with an opsux config written beside it."""
    target = cache / "django-src"
    if not (target / "django").is_dir():
        wheels = cache / "wheels"
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                        "-d", str(wheels), "django"], check=True)
        wheel = max(wheels.glob("django-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(target, [n for n in archive.namelist() if n.startswith("django/")])
        (target / "WHEEL").write_text(wheel.name + "\n", encoding="utf-8")
    (target / "opsux.yaml").write_text(yaml.safe_dump(DJANGO_CONFIG, sort_keys=False), encoding="utf-8")
    return target


def peer_spec(config: Path, out: Path) -> dict[str, Any]:
    """The sinks (last names and positions) and the registry, for the peer rules."""
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    sinks = [
        {"name": str(s["call"]).rsplit(".", 1)[-1], "arg": s.get("arg"), "keyword": s.get("keyword")}
        for s in settings.get("lint", {}).get("operation_type_sinks", [])
    ]
    spec = {"sinks": sinks, "registry": sorted(settings.get("operation_types", {}))}
    out.write_text(json.dumps(spec), encoding="utf-8")
    return spec


def semgrep_rule(spec: dict[str, Any], out: Path) -> None:
    patterns: list[str] = []
    for sink in spec["sinks"]:
        for callee in (sink["name"], f"$RECEIVER.{sink['name']}"):
            if sink["keyword"]:
                patterns.append(f'{callee}(..., {sink["keyword"]}="$X", ...)')
            if sink["arg"] is not None:
                leading = "".join(f"$A{i}, " for i in range(sink["arg"]))
                patterns.append(f'{callee}({leading}"$X", ...)')
    alternation = "|".join(_pcre_escape(v) for v in spec["registry"]) or "(?!)"
    template = (PEERS / "ops001_semgrep.yaml.in").read_text(encoding="utf-8")
    body = "\n".join(f"          - pattern: {json.dumps(p)}" for p in patterns)
    out.write_text(template.replace("{{patterns}}", body).replace("{{registry}}", alternation), encoding="utf-8")


def _pcre_escape(text: str) -> str:
    return "".join("\\" + c if not c.isalnum() and c not in "_-:" else c for c in text)


# ---------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkout", type=Path, nargs="?", help="a corpus checkout (see corpus_check.py)")
    parser.add_argument("--config", type=Path, help="its opsux config (default: CHECKOUT/opsux.yaml)")
    parser.add_argument("--paths", nargs="+", help="what to lint, relative to CHECKOUT (default: all of it)")
    parser.add_argument("--changed", help="the file pre-commit passes (default: the largest file with a sink call)")
    parser.add_argument("--django", action="store_true", help="benchmark on Django's source from its wheel")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE,
                        help=f"tool environments and downloads (default: {DEFAULT_CACHE})")
    parser.add_argument("--skip", nargs="*", default=[], help="tools to leave out (fixit, semgrep)")
    args = parser.parse_args()
    # SIGTERM stops after the rounds done so far and still reports them (and restores the file).
    stop = threading.Event()

    def on_term(*_: object) -> None:
        if not stop.is_set():
            stop.set()
            raise Stopped

    signal.signal(signal.SIGTERM, on_term)
    cache: Path = args.cache_dir.resolve()
    cache.mkdir(parents=True, exist_ok=True)
    if args.django:
        checkout = django_checkout(cache)
        paths = ["django"]
    elif args.checkout is None:
        parser.error("give a CHECKOUT or --django")
    else:
        checkout = args.checkout.resolve()
        paths = args.paths or ["."]
    config = (args.config or checkout / "opsux.yaml").resolve()
    if not config.is_file():
        parser.error(f"no config at {config} (corpus_check.py CHECKOUT NAME writes one)")

    work = Path(tempfile.mkdtemp(prefix="opsux-speed-"))
    spec = peer_spec(config, work / "peer-spec.json")
    semgrep_rule(spec, work / "ops001_semgrep.yaml")
    changed = checkout / (args.changed or _changed_file(checkout, paths, spec))
    original = changed.read_bytes()
    opsux = [sys.executable, "-m", "opsux_lint", "--config", str(config), "--format", "json", "--exit-zero"]

    def touch(round_: int) -> None:
        changed.write_bytes(original + f"\n# lint_speed round {round_}\n".encode())

    def restore() -> None:
        changed.write_bytes(original)

    ruff_cache = work / "ruff-cache"
    def fill(round_: int) -> None:
        # Warm means nothing changed since the last run: the one-file runs of the round before
        # changed a file's bytes (and its cache entry), so the cache is filled again, untimed.
        measure([*opsux, *paths], checkout)

    tools = [
        Tool("opsux-lint cold", [*opsux, "--no-cache", *paths]),
        Tool("opsux-lint warm", [*opsux, *paths], fill),
        Tool("opsux-lint 1 file cold", [*opsux, "--no-cache", str(changed)], touch, restore),
        Tool("opsux-lint 1 file warm", [*opsux, str(changed)], touch, restore),
    ]
    if "fixit" not in args.skip:
        fixit_bin = tool_env(cache, "fixit")
        env = {**os.environ, "PYTHONPATH": str(PEERS), "OPSUX_PEER_SPEC": str(work / "peer-spec.json")}
        tools.append(Tool("Fixit rule", [str(fixit_bin / "fixit"), "--rules", "ops001_fixit", "lint", *paths], env=env))
    if "semgrep" not in args.skip:
        semgrep_bin = tool_env(cache, "semgrep")
        tools.append(Tool("semgrep rule", [
            str(semgrep_bin / "semgrep"), "scan", "--config", str(work / "ops001_semgrep.yaml"), "--metrics=off",
            "--disable-version-check", "--quiet", "--json", "--no-git-ignore", *paths,
        ]))
    ruff_bin = tool_env(cache, "ruff")
    tools += [
        Tool("ruff check --no-cache", [str(ruff_bin / "ruff"), "check", "--isolated", "--no-cache", "--exit-zero", *paths]),
        Tool("ruff check warm", [str(ruff_bin / "ruff"), "check", "--isolated", "--cache-dir", str(ruff_cache),
                                 "--exit-zero", *paths]),
    ]

    # An installed opsux-lint (a pre-commit hook's environment, a wheel) has its bytecode; an
    # editable checkout under PYTHONDONTWRITEBYTECODE=1 would compile its modules on every run.
    for package in ("opsux_core", "opsux_lint"):
        compileall.compile_dir(Path(__import__(package).__file__).parent, quiet=1)
    print(f"corpus: {checkout} ({', '.join(paths)}), changed file: {changed.relative_to(checkout)}; "
          f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
    # Fill the caches the warm runs read.
    shutil.rmtree(config.parent / ".opsux_cache", ignore_errors=True)
    measure([*opsux, *paths], checkout)
    measure(tools[-1].command, checkout)
    try:
        for round_ in range(args.runs):
            if stop.is_set():
                break
            for tool in tools:
                if tool.prepare is not None:
                    tool.prepare(round_)
                try:
                    elapsed, peak, out = measure(tool.command, checkout, tool.env)
                except Stopped:
                    break
                finally:
                    if tool.cleanup is not None:
                        tool.cleanup()
                tool.times.append(elapsed)
                tool.peaks.append(peak)
                tool.outputs.append(out)
            if stop.is_set():
                break
            print(f"round {round_ + 1}/{args.runs}: " + ", ".join(f"{t.name} {t.times[-1]:.2f}s" for t in tools),
                  file=sys.stderr)
    except Stopped:
        pass  # between two measurements
    finally:
        restore()
        shutil.rmtree(work, ignore_errors=True)
    rounds = min(len(t.times) for t in tools)
    if rounds < args.runs:
        print(f"stopped: {rounds} of {args.runs} rounds complete; the table uses those")
    if rounds == 0:
        return 1
    for tool in tools:
        del tool.times[rounds:], tool.peaks[rounds:], tool.outputs[rounds:]
    return report(tools)


class Stopped(Exception):
    """SIGTERM arrived: finish with the rounds measured so far."""



def _changed_file(checkout: Path, paths: list[str], spec: dict[str, Any]) -> str:
    """The largest file that calls a sink: the one a developer is most likely to touch."""
    names = [s["name"] + "(" for s in spec["sinks"]] or ["start("]
    candidates = [
        f for p in paths for f in (checkout / p).rglob("*.py")
        if not {"migrations", "tests", "test"} & set(f.parts) and not f.name.startswith("test")
        and any(n in f.read_text(encoding="utf-8", errors="replace") for n in names)
    ]
    if not candidates:
        raise SystemExit("no file calls a sink; pass --changed")
    return max(candidates, key=lambda f: f.stat().st_size).relative_to(checkout).as_posix()


def _findings(output: str) -> list[tuple[str, int, str, str]]:
    return sorted((f["path"], f["line"], f["code"], f["message"]) for f in json.loads(output)["findings"])


def report(tools: list[Tool]) -> int:
    medians = {t.name: statistics.median(t.times) for t in tools}
    print()
    print("| tool | median wall | min-max | peak memory (process tree) |")
    print("| --- | --- | --- | --- |")
    for tool in tools:
        print(f"| {tool.name} | {medians[tool.name]:.2f} s | {min(tool.times):.2f}-{max(tool.times):.2f} s "
              f"| {max(tool.peaks) / 2**20:.0f} MB |")
    print()
    print("ratios of medians (row / column):")
    short = [t.name for t in tools]
    print("| | " + " | ".join(short) + " |")
    print("| --- " * (len(short) + 1) + "|")
    for row in short:
        print(f"| {row} | " + " | ".join(f"{medians[row] / medians[col]:.1f}x" for col in short) + " |")

    def ratio(a: str, b: str) -> float | None:
        return medians[a] / medians[b] if a in medians and b in medians else None

    goals = [
        ("cold within 8x of ruff --no-cache", ratio("opsux-lint cold", "ruff check --no-cache"), lambda r: r <= 8),
        ("warm within 4x of ruff warm", ratio("opsux-lint warm", "ruff check warm"), lambda r: r <= 4),
        ("one staged file <= 0.5 s warm", medians.get("opsux-lint 1 file warm"), lambda r: r <= 0.5),
        ("one staged file <= 2 s cold", medians.get("opsux-lint 1 file cold"), lambda r: r <= 2),
        (">= 20x faster than the Fixit rule, cold", ratio("Fixit rule", "opsux-lint cold"), lambda r: r >= 20),
        (">= 3x faster than the semgrep rule, cold", ratio("semgrep rule", "opsux-lint cold"), lambda r: r >= 3),
        ("peak memory <= 300 MB", max(max(t.peaks) for t in tools if t.name.startswith("opsux")) / 2**20,
         lambda r: r <= 300),
    ]
    print()
    for text, value, ok in goals:
        if value is not None:
            print(f"goal {text}: {value:.2f} -> {'met' if ok(value) else 'NOT met'}")
    cold = {json.dumps(_findings(o)) for o in next(t for t in tools if t.name == "opsux-lint cold").outputs}
    warm = {json.dumps(_findings(o)) for o in next(t for t in tools if t.name == "opsux-lint warm").outputs}
    same = len(cold | warm) == 1
    found = {"opsux-lint cold (OPS001)": sum(1 for f in _findings(tools[0].outputs[-1]) if f[2] == "OPS001")}
    for tool in tools:
        if tool.name == "Fixit rule":
            found[tool.name] = tool.outputs[-1].count("UnregisteredOperationType")
        elif tool.name == "semgrep rule":
            found[tool.name] = len(json.loads(tool.outputs[-1])["results"])
    print("unregistered values found (last run): " + ", ".join(f"{k} {v}" for k, v in found.items()))
    print(f"opsux-lint findings identical cold and warm, every run: {'yes' if same else 'NO'} "
          f"({len(json.loads(next(iter(cold))))} findings)")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
