"""opsux-lint on real code: how many operation-type sites it can verify, and whether it is right.

Usage::

    python benchmarks/corpus_check.py CHECKOUT NAME            # NAME: netbox | warehouse
    python benchmarks/corpus_check.py CHECKOUT NAME --write-config

``benchmarks/corpora/NAME/corpus.yaml`` pins the repository and commit and names the paths to
lint; ``benchmarks/corpora/NAME/opsux.yaml`` maps the project's own convention onto opsux (its
sink call and argument, and its registry of valid values). ``--write-config`` regenerates that
registry from the project's own definitions in the checkout (netbox: the constants of
``core/events.py``, labels from ``core/apps.py``; warehouse: the ``EventTag`` enums).

Test suites are left out unless ``--with-tests`` is given (they feed made-up values to the code
they test: warehouse records ``tag="test:event"``). OPS001 findings that were reviewed and are
real (the project itself breaks its convention) are listed in ``corpus.yaml`` under
``known_findings``; any other OPS001 finding counts as a false positive.

The script writes the config into the checkout's root as ``opsux.yaml`` (module names and
``lint.src`` are relative to the config file's directory), runs the ``opsux-lint`` command on the
configured paths (timed, without the cache), then counts every sink site through the library
(:meth:`opsux_lint.engine.Linter.sites`). Last, a mutation check: one registry entry - the value
used at most sites - is renamed in a temporary copy of the config, and every site that uses it
must then be reported as OPS001.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
CORPORA = HERE / "corpora"


# ------------------------------------------------------------------------ registries


def _netbox_registry(checkout: Path) -> dict[str, str]:
    events = ast.parse((checkout / "netbox/core/events.py").read_text(encoding="utf-8"))
    constants = {
        node.targets[0].id: node.value.value
        for node in events.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    }
    labels: dict[str, str] = {}
    apps = ast.parse((checkout / "netbox/core/apps.py").read_text(encoding="utf-8"))
    for node in ast.walk(apps):
        # EventType(OBJECT_CREATED, _('Object created')).register()
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "EventType":
            name, label = node.args[0], node.args[1]
            if isinstance(label, ast.Call) and label.args:
                label = label.args[0]
            if isinstance(name, ast.Name) and isinstance(label, ast.Constant) and name.id in constants:
                labels[constants[name.id]] = str(label.value)
    return {value: labels.get(value, value) for value in constants.values()}


def _warehouse_registry(checkout: Path) -> dict[str, str]:
    tree = ast.parse((checkout / "warehouse/events/tags.py").read_text(encoding="utf-8"))
    registry: dict[str, str] = {}
    for outer in tree.body:
        if isinstance(outer, ast.ClassDef) and outer.name == "EventTag":
            for inner in outer.body:
                if isinstance(inner, ast.ClassDef):
                    for stmt in inner.body:
                        if (
                            isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name)
                            and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)
                        ):
                            registry[stmt.value.value] = f"{inner.name} {stmt.targets[0].id}"
    return registry


REGISTRIES = {"netbox": _netbox_registry, "warehouse": _warehouse_registry}


def write_config(checkout: Path, name: str) -> None:
    target = CORPORA / name / "opsux.yaml"
    config = yaml.safe_load(target.read_text(encoding="utf-8"))
    config["operation_types"] = REGISTRIES[name](checkout)
    header = "".join(line for line in target.read_text(encoding="utf-8").splitlines(True) if line.startswith("#"))
    target.write_text(header + yaml.safe_dump(config, sort_keys=False, width=120), encoding="utf-8")
    print(f"wrote {len(config['operation_types'])} registry entries to {target}")


# ---------------------------------------------------------------------------- running


def run_cli(
    checkout: Path, config: Path, paths: list[str], *, cache: bool = False
) -> tuple[list[dict[str, Any]], float, int]:
    command = [
        sys.executable, "-m", "opsux_lint", *paths, "--config", str(config),
        "--format", "json", *([] if cache else ["--no-cache"]),
    ]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=checkout, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode == 2:
        raise SystemExit(f"opsux-lint failed:\n{done.stderr}")
    report = json.loads(done.stdout)
    return report["findings"], elapsed, report["summary"]["files"]


def collect_sites(checkout: Path, config: Path, paths: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    from opsux_core.policy import load_policy

    from opsux_lint.discovery import Excludes, discover
    from opsux_lint.engine import Linter
    from opsux_lint.registry import builtin_rules
    from opsux_lint.runner import project_index
    from opsux_lint.selection import select_rules

    policy = load_policy(config)
    rules = select_rules(builtin_rules(), ["OPS001", "OPS008"], [])
    linter = Linter(policy, rules, project_index(policy, cache=False))
    builtin = {str(s["call"]) for r in rules if r.id == "OPS001" for s in r.params["sinks"]}
    via = {w.spec.call: w.via for w in linter.wrappers}

    def root(call: str) -> str:
        seen = set()
        while call in via and call not in seen:
            seen.add(call)
            call = via[call]
        return call

    excludes = Excludes.build(policy.root, policy.lint.exclude)
    sites: list[dict[str, Any]] = []
    for entry in paths:
        for file in discover(checkout / entry, excludes):
            for line, column, outcome in linter.sites(file, file.read_bytes()):
                if not outcome.call or root(outcome.sink) in builtin:
                    continue  # opsux's own positions (.start, .label, ...), not this project's
                sites.append({
                    "path": file.relative_to(checkout).as_posix(), "line": line, "column": column,
                    "sink": outcome.sink, "site": outcome.site, "verified": outcome.verified,
                    "values": sorted({v.text for v in outcome.values if v.pattern is None}),
                    "unknown": [u.reason for u in outcome.unknown],
                    "delegated": bool(outcome.delegated),
                })
    wrappers = [f"{w.function}({w.param}) -> {w.via} [called from {w.callers} modules]" for w in linter.wrappers
                if root(w.spec.call) not in builtin]
    return sites, wrappers


def mutate_every_entry(checkout: Path, config: Path, sites: list[dict[str, Any]]) -> tuple[int, int, list[str]]:
    """Rename each registry entry that some site uses, in turn, and lint the files with sites.

    In-process (one index, one Linter per mutant, only the files that use the entry), so every
    entry can be tried; returns (site uses, reported, missed).
    """
    from opsux_core.policy import load_policy, policy_from_mapping

    from opsux_lint.engine import Linter
    from opsux_lint.registry import builtin_rules
    from opsux_lint.runner import project_index
    from opsux_lint.selection import select_rules

    policy = load_policy(config)
    index = project_index(policy, cache=False)
    rules = select_rules(builtin_rules(), ["OPS001"], [])
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    uses = reported = 0
    missed: list[str] = []
    registered = set(settings["operation_types"])
    for victim in sorted({v for s in sites for v in s["values"]} & registered):
        mutated = json.loads(json.dumps(settings))
        mutated["operation_types"][f"{victim}x"] = mutated["operation_types"].pop(victim)
        mutant = policy_from_mapping(mutated, source=config, root=checkout)
        linter = Linter(mutant, rules, index)
        files = sorted({s["path"] for s in sites if victim in s["values"]})
        hits = {
            (path, f.line)
            for path in files
            for f in linter.lint(checkout / path, (checkout / path).read_bytes(), path)
            if f.code == "OPS001" and f"'{victim}'" in f.message
        }
        for site in sites:
            if victim in site["values"]:
                uses += 1
                if (site["path"], site["line"]) in hits:
                    reported += 1
                else:
                    missed.append(f"{site['path']}:{site['line']} ({victim})")
    return uses, reported, missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkout", type=Path, help="a checkout of the repository at the pinned commit")
    parser.add_argument("name", choices=sorted(REGISTRIES))
    parser.add_argument("--write-config", action="store_true", help="regenerate the registry from the checkout")
    parser.add_argument("--with-tests", action="store_true", help="also lint the project's test suite")
    parser.add_argument("--list-sites", action="store_true", help="print every sink site and what it resolved to")
    args = parser.parse_args()
    checkout: Path = args.checkout.resolve()
    corpus = yaml.safe_load((CORPORA / args.name / "corpus.yaml").read_text(encoding="utf-8"))
    if args.write_config:
        write_config(checkout, args.name)
        return 0
    config = checkout / "opsux.yaml"
    settings = yaml.safe_load((CORPORA / args.name / "opsux.yaml").read_text(encoding="utf-8"))
    paths: list[str] = list(corpus["paths"])
    if args.with_tests:
        paths += corpus.get("test_paths", [])
    else:
        # Test suites feed deliberately made-up values to the machinery they test.
        settings["lint"]["exclude"] = [*settings["lint"].get("exclude", []), *corpus.get("test_excludes", [])]
    config.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    tests = re.compile(corpus.get("tests", r"(^|/)tests?/"))
    known = {(k["path"], int(k["line"])): k["why"] for k in corpus.get("known_findings", [])}

    print(f"== {corpus['repository']} @ {corpus['commit'][:12]}  (paths: {', '.join(paths)})")
    findings, elapsed, files = run_cli(checkout, config, paths)
    by_code = Counter(f["code"] for f in findings)
    print(f"opsux-lint: {files} files in {elapsed:.2f} s (no cache, {len(findings)} findings: {dict(by_code)})")
    shutil.rmtree(checkout / ".opsux_cache", ignore_errors=True)
    _, cold, _ = run_cli(checkout, config, paths, cache=True)
    _, warm, _ = run_cli(checkout, config, paths, cache=True)
    print(f"  with the cache: {cold:.2f} s filling it, {warm:.2f} s when nothing changed")

    sites, wrappers = collect_sites(checkout, config, paths)
    verified = sum(s["verified"] for s in sites)
    in_tests = [s for s in sites if tests.search(s["path"])]
    print(f"sink sites: {len(sites)} ({len(sites) - len(in_tests)} in application code, {len(in_tests)} in tests)")
    share = 100.0 * verified / len(sites) if sites else 0.0
    print(f"statically verified: {verified}/{len(sites)} = {share:.1f}%")
    app = [s for s in sites if not tests.search(s["path"])]
    if app:
        app_verified = sum(s["verified"] for s in app)
        print(f"  application code only: {app_verified}/{len(app)} = {100.0 * app_verified / len(app):.1f}%")
    if args.list_sites:
        for s in sites:
            state = ", ".join(s["values"]) or ("via its callers" if s["delegated"] else "")
            if s["unknown"]:
                state = f"UNVERIFIED: {'; '.join(s['unknown'])}"
            print(f"  {s['path']}:{s['line']}  {s['sink']}  {s['site']}  -> {state}")
    literal = sum(1 for s in sites if s["site"].startswith(("'", '"')))
    print(f"  plain literals at the call: {literal}/{len(sites)}")
    print(f"wrapper functions that became sinks: {len(wrappers)}")
    for wrapper in wrappers:
        print(f"  {wrapper}")
    ops001 = [f for f in findings if f["code"] == "OPS001"]
    ops008 = [f for f in findings if f["code"] == "OPS008"]
    false_positives = [f for f in ops001 if (f["path"], f["line"]) not in known]
    print(f"OPS001 findings: {len(ops001)} ({len(ops001) - len(false_positives)} reviewed true positives, "
          f"{len(false_positives)} unexplained)")
    for f in ops001:
        why = known.get((f["path"], f["line"]))
        print(f"  {f['path']}:{f['line']}: {f['message']}" + (f"\n      reviewed: {why}" if why else ""))
    print(f"OPS008 findings: {len(ops008)}")
    for f in ops008:
        print(f"  {f['path']}:{f['line']}: {f['message']}")

    # Mutation: rename the registry entry used at most sites; each of its sites must be reported.
    uses = Counter(value for s in sites for value in s["values"])
    if not uses:
        print("mutation check: skipped (no resolved value)")
        return 1
    victim, _ = uses.most_common(1)[0]
    mutated = yaml.safe_load(config.read_text(encoding="utf-8"))
    types = mutated["operation_types"]
    types[f"{victim}x"] = types.pop(victim)
    mutated_file = checkout / "opsux.mutated.yaml"
    mutated_file.write_text(yaml.safe_dump(mutated, sort_keys=False), encoding="utf-8")
    try:
        mutant_findings, _, _ = run_cli(checkout, mutated_file, paths)
    finally:
        mutated_file.unlink()
    reported = {
        (f["path"], f["line"]) for f in mutant_findings
        if f["code"] == "OPS001" and f"'{victim}'" in f["message"]
    }
    using = [s for s in sites if victim in s["values"]]
    direct = {(s["path"], s["line"]) for s in using}
    missed = sorted(direct - reported)
    print(
        f"mutation check: renamed {victim!r} in the registry; {len(using)} sites use it, "
        f"{len(direct & reported)} reported, {len(missed)} missed"
        + (f"; plus {len(reported - direct)} reports at wrapper defaults/callers" if reported - direct else "")
    )
    for path, line in missed:
        print(f"  missed: {path}:{line}")
    registered = set(yaml.safe_load(config.read_text(encoding="utf-8"))["operation_types"])
    entries = len({v for s in sites for v in s["values"]} & registered)
    total, caught, lost = mutate_every_entry(checkout, config, sites)
    print(
        f"mutation check, every entry in turn: {entries} registry entries used at sites, "
        f"{caught}/{total} (site, entry) uses reported, {len(lost)} missed"
    )
    for item in lost:
        print(f"  missed: {item}")
    ok = not false_positives and not missed and not lost and share >= 95.0
    print("RESULT:", "ok" if ok else "NOT OK")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
