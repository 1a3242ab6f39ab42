"""benchmarks/contention.py at a small size: worker processes, each with its own engine, on PostgreSQL.

The benchmark checks its own invariants (exit 1 and a list of problems when one breaks); this test
runs it and also reads the numbers it prints, so a benchmark that stopped checking would fail here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "contention.py"


def test_processes_racing_on_the_same_runs_keep_every_guarantee(pg_engine: Engine) -> None:
    url = pg_engine.url.render_as_string(hide_password=False)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--db", url, "--workers", "4", "--runs", "40", "--identities", "8", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert result["problems"] == []
    assert result["completions_won"] == result["runs"] == 40
    assert result["notifications"] == result["completed_runs_with_initiator"] > 0
    assert result["notifications_to_system_runs"] == 0
    assert result["processed_stored"] == result["increments_applied"] > 0
    assert result["identity_runs_created"] == result["identities"] == 8
    assert result["tracker_claims_won"] == result["tracked_runs"] == 4
    assert result["reaped"] == result["stale_runs"] == 4
    assert result["peer_increments"] == 4 * 4  # the naive peer ran; whether it lost updates depends on timing
