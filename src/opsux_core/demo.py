"""``opsux demo``: a small realistic flow on in-memory SQLite, printing every surface."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from opsux_core.errors import DispatchFailed
from opsux_core.models import OperationRun, RunNotification, create_schema
from opsux_core.notifier import Delivery, Notifier
from opsux_core.policy import Policy, policy_from_mapping
from opsux_core.presenter import Toast
from opsux_core.service import Initiator, OperationRunService
from opsux_core.widget import ProgressWidget, Viewer, progress_widget

DEMO_CONFIG = {
    "operation_types": {
        "inventory.sync": {"label": "Inventory sync", "expected_duration_seconds": 120},
        "directory.import": "Directory import",
        "backup.schedule.execute": "Backup run",
        "report.export": "Report export",
    },
    "links": {"run": "/t/{tenant_id}/operations/{run_id}", "index": "/t/{tenant_id}/operations"},
}

Echo = Callable[[str], None]


def demo_policy() -> Policy:
    return policy_from_mapping(DEMO_CONFIG, source="<demo>")


def run_demo(echo: Echo) -> None:
    policy = demo_policy()
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    create_schema(engine)
    delivered: list[Delivery] = []
    ada = Initiator(id="user-3", name="Ada")
    bo = Initiator(id="user-9", name="Bo")
    monitor = Viewer(user_id="user-9", can_monitor=True)

    echo('opsux demo: tenant "acme", in-memory SQLite')
    with Session(engine) as session:
        service = OperationRunService(session, policy, notifier=Notifier([delivered.append]))

        _step(echo, 1, "Ada starts an inventory sync")
        sync = service.start("acme", "inventory.sync", initiator=ada, inputs={"scope": "all"})
        _toast(echo, sync.toast)

        _step(echo, 2, "Bo clicks the same button while it is still queued")
        again = service.start("acme", "inventory.sync", initiator=bo, inputs={"scope": "all"})
        _toast(echo, again.toast)
        echo(f"   dedupe: run {again.run.id} reused (created={again.created}); initiator stays {again.run.initiator_name}")

        _step(echo, 3, "A nightly backup (system run) and an import start too")
        backup = service.start("acme", "backup.schedule.execute").run
        imported = service.start("acme", "directory.import", initiator=bo, inputs={"source": "ldap"}).run
        service.start("globex", "report.export", initiator=Initiator("user-1", "Cy"))

        _step(echo, 4, "Workers report progress")
        service.mark_running(sync.run)
        service.set_counts(sync.run, total=250)
        service.increment(sync.run, processed=100, succeeded=100)
        service.mark_running(backup)
        _widget(echo, progress_widget(session, "acme", monitor, policy), "Bo (may monitor)")
        _widget(echo, progress_widget(session, "acme", Viewer("user-4", can_monitor=False), policy), "Dee (may not monitor)")

        _step(echo, 5, "The sync finishes: some items failed")
        with service.track(sync.run) as job:
            job.increment(processed=150, succeeded=140, failed=10)
        _step(echo, 6, "The backup (no initiator) and the import finish")
        service.complete(backup, "succeeded")
        with service.track(imported) as job:
            job.set_counts(total=40)
            job.increment(processed=40, succeeded=40, created=12, updated=28)

        _step(echo, 7, "An export cannot be enqueued: the broker is down")
        export = service.start("acme", "report.export", initiator=ada, inputs={"format": "csv"})
        _toast(echo, export.toast)

        def broker_down(run: OperationRun) -> None:
            raise ConnectionError("broker unreachable")

        try:
            service.dispatch(export.run, broker_down)
        except DispatchFailed as exc:
            echo(f"   error to the caller: {exc}")
        failed = session.get(OperationRun, export.run.id)
        assert failed is not None
        echo(f"   run {failed.id}: {failed.status}/{failed.outcome}, failure code {failed.failure_summary['code'] if failed.failure_summary else '-'}")

        _widget(echo, progress_widget(session, "acme", monitor, policy), "Bo, afterwards")

        echo("")
        echo("Terminal notifications (database; exactly one per run, to its initiator only):")
        for note in session.scalars(select(RunNotification).order_by(RunNotification.id)):
            echo(f"   -> {note.recipient_id}: {note.title} | {note.body}")
            if note.summary:
                echo(f"      {note.summary}")
            echo(f"      [View run] {note.url}")
        echo("   (the backup was a system run: no notification; Bo reused Ada's sync: no notification)")
        echo(f"Delivered after commit to the channel: {len(delivered)}")
    engine.dispose()


def _step(echo: Echo, number: int, text: str) -> None:
    echo("")
    echo(f"{number}. {text}")


def _toast(echo: Echo, toast: Toast) -> None:
    echo(f"   toast: {toast.title} | {toast.body}")


def _widget(echo: Echo, widget: ProgressWidget, who: str) -> None:
    if not widget.visible:
        echo(f"   widget for {who}: hidden")
        return
    if not widget.rows:
        echo(f"   widget for {who}: nothing active, polling stopped")
        return
    echo(f"   widget for {who} (next poll in {widget.poll_after_seconds} s):")
    for row in widget.rows:
        progress = f" {row.progress}%" if row.progress is not None else ""
        echo(f"     {row.label} - {row.status_label}{progress} - View run {row.url}")
    if widget.more_label:
        echo(f"     {widget.more_label} -> {widget.more_url}")
