"""examples/web_app through Flask's test client: start button, JSON widget with calm polling, run page."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from opsux_core import RunNotification, load_policy

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "web_app"
ADA = {"X-User": "user-3"}  # may monitor
BO = {"X-User": "user-9"}  # may not


@pytest.fixture
def jobs() -> list[Callable[[], None]]:
    """The queue: the test plays the worker."""
    return []


@pytest.fixture
def app(engine: Engine, jobs: list[Callable[[], None]], monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.syspath_prepend(str(EXAMPLE))
    from web_app import create_app

    app = create_app(engine, load_policy(EXAMPLE / "opsux.yaml"), enqueue=jobs.append)
    app.testing = True
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def widget(client: FlaskClient, tenant: str = "acme", headers: dict[str, str] = ADA, **query: Any) -> dict[str, Any]:
    response = client.get(f"/t/{tenant}/widget.json", headers=headers, query_string=query)
    assert response.status_code == 200
    data: dict[str, Any] = response.get_json()
    return data


def test_the_page_has_the_start_button_and_the_polling_script(client: FlaskClient) -> None:
    html = client.get("/t/acme/", headers=ADA).get_data(as_text=True)
    assert '<button id="start" data-url="/t/acme/operations/inventory-sync">Sync inventory</button>' in html
    assert 'data-url="/t/acme/widget.json"' in html
    assert "data.poll_after_seconds !== null" in html and "visibilitychange" in html


def test_start_toast_dedupe_widget_worker_and_run_page(
    client: FlaskClient, engine: Engine, jobs: list[Callable[[], None]]
) -> None:
    assert widget(client)["poll_after_seconds"] is None  # nothing active: the page does not poll

    first = client.post("/t/acme/operations/inventory-sync", headers=ADA)
    assert first.status_code == 201
    started = first.get_json()
    assert started["created"] is True
    assert started["toast"] == {"title": "Inventory sync queued", "body": "Running in the background.", "already_queued": False}
    again = client.post("/t/acme/operations/inventory-sync", headers=BO)
    assert again.status_code == 200 and again.get_json()["toast"]["title"] == "Inventory sync already queued"
    run_id = started["run"]["id"]
    assert again.get_json()["run"]["id"] == run_id and len(jobs) == 1  # a reused run is not enqueued again

    shown = widget(client)
    assert [(row["run_id"], row["status_label"], row["url"]) for row in shown["rows"]] == [
        (run_id, "Queued", f"/t/acme/operations/{run_id}")
    ]
    assert shown["poll_after_seconds"] == 2.0
    assert widget(client, poll=5)["poll_after_seconds"] == 3.0  # calm: backs off after the fast polls
    assert widget(client, poll=6)["poll_after_seconds"] == 4.5
    assert widget(client, hidden=1)["poll_after_seconds"] is None  # hidden page: pause
    assert widget(client, headers=BO) == {
        "visible": False, "rows": [], "active_count": 0, "more_count": 0,
        "more_label": None, "more_url": None, "poll_after_seconds": None,
    }
    assert widget(client, tenant="globex")["rows"] == []  # another tenant sees nothing of acme's

    jobs.pop()()  # the worker runs the job
    assert widget(client)["rows"] == [] and widget(client)["poll_after_seconds"] is None

    page = client.get(f"/t/acme/operations/{run_id}", headers=ADA).get_data(as_text=True)
    assert "<h1>Inventory sync</h1>" in page and "Status: <strong>Succeeded</strong>" in page
    assert "<dt>total</dt><dd>20</dd>" in page
    as_json = client.get(f"/t/acme/operations/{run_id}", headers={**ADA, "Accept": "application/json"}).get_json()
    assert as_json["ux_status"] == "succeeded" and as_json["summary_counts"]["processed"] == 20
    with Session(engine) as session:
        notes = session.scalars(select(RunNotification)).all()
        assert [(n.recipient_id, n.title) for n in notes] == [("user-3", "Inventory sync completed")]


def test_a_run_of_another_tenant_is_not_found(client: FlaskClient) -> None:
    run_id = client.post("/t/acme/operations/inventory-sync", headers=ADA).get_json()["run"]["id"]
    assert client.get(f"/t/globex/operations/{run_id}", headers=ADA).status_code == 404
    assert client.get(f"/t/acme/operations/{run_id}", headers=ADA).status_code == 200


def test_a_tenant_id_no_database_stores_is_a_400_not_a_500(client: FlaskClient) -> None:
    response = client.get(f"/t/{'x' * 129}/widget.json", headers=ADA)
    assert response.status_code == 400 and "at most 128 fit" in response.get_json()["error"]


def test_an_unknown_user_is_forbidden(client: FlaskClient) -> None:
    assert client.post("/t/acme/operations/inventory-sync", headers={"X-User": "mallory"}).status_code == 403


def test_by_default_the_job_runs_in_a_background_thread(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLE))
    from web_app import create_app

    client = create_app(engine, load_policy(EXAMPLE / "opsux.yaml")).test_client()
    run_id = client.post("/t/acme/operations/inventory-sync", headers=ADA).get_json()["run"]["id"]
    deadline = time.monotonic() + 60
    while True:
        run = client.get(f"/t/acme/operations/{run_id}", headers={**ADA, "Accept": "application/json"}).get_json()
        if run["ux_status"] not in ("queued", "running") or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert run["ux_status"] == "succeeded"
