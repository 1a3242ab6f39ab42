"""opsux-lint's throughput against the usual way to build a libcst linter, on the same files.

The peer is what a Fixit-style rule does per file: parse with libcst, resolve the whole file's
``QualifiedNameProvider`` metadata, and visit every call checking its qualified names. It runs in
a process pool of the same size as opsux-lint's, so the ratio compares the designs, not the
number of cores. opsux-lint runs as its command (``--no-cache``: a cold run; then again with the
cache filled, the pre-commit case), so start-up and discovery count against it, not the peer.

    python benchmarks/lint_throughput.py PATH [--config opsux.yaml] [--repeat 3]

PATH is any tree of Python files (a checkout of a real project is the honest choice; see
README "How it performs on real code"). Without --config a config registering one type is written
to a temporary directory, so only the cost is measured, not the findings.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, QualifiedNameProvider

_SKIP = {".git", "__pycache__", "node_modules", ".venv", "venv", ".opsux_cache"}


def python_files(root: Path) -> list[Path]:
    found = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _SKIP and not d.startswith(".")]
        found.extend(Path(directory) / name for name in files if name.endswith(".py"))
    return sorted(found)


class _CallNames(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (QualifiedNameProvider,)

    def __init__(self) -> None:
        self.hits = 0

    def visit_Call(self, node: cst.Call) -> None:
        # What a banned-call rule does: look at every qualified name of every callee.
        for name in self.get_metadata(QualifiedNameProvider, node.func, set()):
            if name.name.endswith((".start", ".require", ".label")):
                self.hits += 1


def peer_one(path: str) -> int:
    try:
        module = cst.parse_module(Path(path).read_bytes())
    except (cst.ParserSyntaxError, UnicodeDecodeError, RecursionError):
        return 0
    visitor = _CallNames()
    MetadataWrapper(module, unsafe_skip_copy=True).visit(visitor)
    return visitor.hits


def time_peer(files: list[Path], workers: int) -> float:
    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(peer_one, [str(f) for f in files], chunksize=8))
    return time.perf_counter() - start


def time_opsux(root: Path, config: Path, *, cache: bool) -> float:
    exe = Path(sys.executable).parent / "opsux-lint"
    args = [str(exe), str(root), "--config", str(config), "--exit-zero", "--format", "json"]
    if not cache:
        args.append("--no-cache")
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--config", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = python_files(args.path)
    if not files:
        sys.exit(f"no Python files under {args.path}")
    workers = min(os.cpu_count() or 1, 8)
    with tempfile.TemporaryDirectory() as scratch:
        config = args.config
        if config is None:
            config = Path(scratch) / "opsux.yaml"
            # The corpus is the source root, so the project index covers it as in real use.
            config.write_text(
                f"operation_types: {{inventory.sync: Inventory sync}}\nlint: {{src: ['{args.path.resolve()}']}}\n"
            )
        time_opsux(args.path, config, cache=True)  # fill the cache once: "warm" means warm
        peer, cold, warm = [], [], []
        for _ in range(args.repeat):
            # Interleaved, so machine noise falls on both alike.
            peer.append(time_peer(files, workers))
            cold.append(time_opsux(args.path, config, cache=False))
            warm.append(time_opsux(args.path, config, cache=True))
    n = len(files)
    p, c, w = statistics.median(peer), statistics.median(cold), statistics.median(warm)
    print(f"{n} Python files under {args.path}; {workers} worker processes each; median of {args.repeat}")
    print(f"peer: libcst parse + QualifiedNameProvider + visit   {p:7.2f} s   {n / p:7.1f} files/s")
    print(f"opsux-lint, cold (--no-cache, whole command)         {c:7.2f} s   {n / c:7.1f} files/s   ratio {p / c:5.2f}x the peer")
    print(f"opsux-lint, cache warm (nothing changed)             {w:7.2f} s   {n / w:7.1f} files/s   ratio {p / w:5.2f}x the peer")


if __name__ == "__main__":
    main()
