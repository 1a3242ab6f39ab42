"""A small Flask app on opsux: a start button, the progress widget polled as JSON, the run page.

    pip install "opsux[web]"
    opsux db upgrade --db sqlite:///web_app.db
    OPSUX_DATABASE_URL=sqlite:///web_app.db flask --app web_app run

Jobs run in a background thread here; a real app enqueues to Celery or RQ in the same place
(``enqueue``) and runs :func:`inventory_sync` in the worker.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, abort, jsonify, render_template, request
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from opsux_core import (
    Initiator,
    InvalidIdentifier,
    OperationRunService,
    Policy,
    RunNotFound,
    Viewer,
    get_run,
    list_runs,
    load_policy,
    progress_widget,
)
from opsux_core.presenter import STATUS_COPY
from opsux_core.status import ux_status

HERE = Path(__file__).resolve().parent

# Stand-in for the app's login: who may start runs and who may open Monitoring -> Operations.
USERS = {"user-3": ("Ada", True), "user-9": ("Bo", False)}


Job = Callable[[], None]


def in_a_thread(job: Job) -> None:
    threading.Thread(target=job, daemon=True).start()


def create_app(
    engine: Engine | None = None, policy: Policy | None = None, enqueue: Callable[[Job], None] = in_a_thread
) -> Flask:
    app = Flask(__name__)
    engine = engine or create_engine(os.environ.get("OPSUX_DATABASE_URL", "sqlite:///web_app.db"))
    policy = policy or load_policy(HERE.parent / "opsux.yaml")

    def service(session: Session) -> OperationRunService:
        return OperationRunService(session, policy)

    def viewer() -> tuple[str, str, bool]:
        user_id = request.headers.get("X-User", "user-3")
        if user_id not in USERS:
            abort(403)
        name, can_monitor = USERS[user_id]
        return user_id, name, can_monitor

    @app.errorhandler(InvalidIdentifier)
    def bad_identifier(exc: InvalidIdentifier) -> Any:
        return jsonify(error=str(exc)), 400

    @app.get("/t/<tenant>/")
    def home(tenant: str) -> str:
        return render_template("home.html", tenant=tenant)

    @app.post("/t/<tenant>/operations/inventory-sync")
    def start_sync(tenant: str) -> Any:
        user_id, name, _ = viewer()
        with Session(engine) as session:
            result = service(session).start(tenant, "inventory.sync", initiator=Initiator(user_id, name), inputs={"scope": "all"})
            if result.created:
                run_id = result.run.id
                service(session).dispatch(result, lambda run: enqueue(lambda: inventory_sync(engine, policy, run_id)))
            return jsonify(result.to_dict()), 201 if result.created else 200

    @app.get("/t/<tenant>/widget.json")
    def widget(tenant: str) -> Any:
        user_id, _, can_monitor = viewer()
        poll = request.args.get("poll", 0, type=int)
        hidden = request.args.get("hidden") == "1"
        with Session(engine) as session:
            shown = progress_widget(session, tenant, Viewer(user_id, can_monitor), policy, poll_number=max(0, poll or 0), page_hidden=hidden)
            return jsonify(shown.to_dict())

    @app.get("/t/<tenant>/operations/<int:run_id>")
    def run_page(tenant: str, run_id: int) -> Any:
        viewer()
        with Session(engine) as session:
            try:
                run = get_run(session, tenant, run_id)  # another tenant's run is a 404, never shown
            except RunNotFound:
                abort(404)
            if request.accept_mimetypes.best == "application/json":
                return jsonify(run.to_dict())
            status = ux_status(run.status, run.outcome)
            return render_template(
                "run.html",
                run=run,
                label=policy.catalog.label(run.operation_type),
                status=STATUS_COPY[status],
                counts=run.summary_counts,
                failure=(run.failure_summary or {}).get("message"),
            )

    @app.get("/t/<tenant>/operations")
    def index(tenant: str) -> Any:
        viewer()
        with Session(engine) as session:
            return jsonify([run.to_dict() for run in list_runs(session, tenant)])

    return app


def inventory_sync(engine: Engine, policy: Policy, run_id: int) -> None:
    """The job: counts as it goes; the tracker completes (or fails) the run and notifies the initiator."""
    items = range(1, 21)
    with Session(engine) as session:
        with OperationRunService(session, policy).track(run_id) as job:
            job.set_counts(total=len(items))
            for _ in items:
                job.increment(processed=1, succeeded=1)
