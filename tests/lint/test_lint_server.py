"""``opsux-lint server``: the language server, driven over stdio by pygls's own client."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls")

from lsprotocol import types  # noqa: E402
from pygls.lsp.client import BaseLanguageClient  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402

from opsux_lint.server.documents import TextEdit, text_edits  # noqa: E402

CONFIG = "operation_types:\n  groups.sync: Groups sync\n  inventory.sync: Inventory sync\n"
TYPES = 'from enum import StrEnum\n\n\nclass OpType(StrEnum):\n    GROUPS = "groups.sync"\n'
BAD = (
    "from opsux_core import OperationRun\n"
    "\n"
    "# Pâté\n"
    'run = OperationRun(note="🙂", operation_type="groups.synk")\n'
)
GOOD = BAD.replace('"groups.synk"', '"groups.sync"')
TIMEOUT = 30.0


class Client(BaseLanguageClient):
    def __init__(self) -> None:
        super().__init__("opsux-test", "1")
        self.diagnostics: dict[str, list[types.Diagnostic]] = {}
        self.messages: list[str] = []
        self._published: asyncio.Queue[str] = asyncio.Queue()

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = list(params.diagnostics)
            self._published.put_nowait(params.uri)

        @self.feature(types.WINDOW_SHOW_MESSAGE)
        def shown(params: types.ShowMessageParams) -> None:
            self.messages.append(params.message)

    async def next_diagnostics(self, uri: str) -> list[types.Diagnostic]:
        while True:
            got = await asyncio.wait_for(self._published.get(), TIMEOUT)
            if got == uri:
                return self.diagnostics[uri]


@asynccontextmanager
async def running(root: Path, *args: str, options: Any = None) -> AsyncIterator[Client]:
    client = Client()
    await client.start_io(sys.executable, "-m", "opsux_lint", "server", *args, cwd=str(root))
    await asyncio.wait_for(
        client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(), root_uri=from_fs_path(str(root)),
                initialization_options=options,
            )
        ),
        TIMEOUT,
    )
    client.initialized(types.InitializedParams())
    try:
        yield client
    finally:
        await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
        client.exit(None)
        await asyncio.wait_for(client.stop(), TIMEOUT)
    assert client._server is not None and client._server.returncode == 0


def run(scenario: Callable[[], Any]) -> Any:
    return asyncio.run(scenario())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "opsux.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "types.py").write_text(TYPES, encoding="utf-8")
    (tmp_path / "app" / "jobs.py").write_text(BAD, encoding="utf-8")
    return tmp_path


def open_params(uri: str, text: str, version: int = 1) -> types.DidOpenTextDocumentParams:
    return types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)
    )


def change_params(uri: str, text: str, version: int) -> types.DidChangeTextDocumentParams:
    return types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
    )


def code_actions(client: Client, uri: str, diagnostic: types.Diagnostic, only: list[str] | None = None) -> Any:
    return client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic], only=only),
        )
    )


def test_diagnostics_code_actions_changes_syntax_errors_and_close(project: Path) -> None:
    uri = from_fs_path(str(project / "app" / "jobs.py"))

    async def scenario() -> None:
        async with running(project) as client:
            client.text_document_did_open(open_params(uri, BAD))
            [found] = await client.next_diagnostics(uri)
            assert found.code == "OPS001" and found.source == "opsux"
            assert found.severity == types.DiagnosticSeverity.Error
            assert "did you mean 'groups.sync'?" in found.message
            # The literal on line 4 (0-based 3), in UTF-16 units: 🙂 is one code point but two units.
            column = BAD.splitlines()[3].index('"groups.synk"') + 1
            assert found.range == types.Range(
                start=types.Position(line=3, character=column),
                end=types.Position(line=3, character=column + len('"groups.synk"')),
            )
            assert found.code_description is not None and "OPS001" in found.code_description.href

            actions = await asyncio.wait_for(code_actions(client, uri, found), TIMEOUT)
            # Unsafe fixes are not offered unless enabled.
            assert [(a.title, a.kind, a.is_preferred) for a in actions] == [
                ('Replace with "groups.sync"', types.CodeActionKind.QuickFix, True)
            ]
            [edit] = actions[0].edit.document_changes[0].edits
            assert edit.range == found.range and edit.new_text == '"groups.sync"'

            client.text_document_did_change(change_params(uri, GOOD, 2))
            assert await client.next_diagnostics(uri) == []

            client.text_document_did_change(change_params(uri, GOOD + "def broken(:\n", 3))
            [syntax] = await client.next_diagnostics(uri)
            assert syntax.code == "OPS000" and syntax.range.start.line == 4

            # Still alive and still linting after the syntax error.
            client.text_document_did_change(change_params(uri, BAD, 4))
            assert [d.code for d in await client.next_diagnostics(uri)] == ["OPS001"]

            client.text_document_did_close(
                types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
            )
            assert await client.next_diagnostics(uri) == []

    run(scenario)


@pytest.mark.parametrize(
    ("args", "options"), [((), {"unsafeFixes": True}), (("--unsafe-fixes",), None)], ids=["init-option", "flag"]
)
def test_unsafe_fixes_when_enabled_and_fix_all(project: Path, args: tuple[str, ...], options: Any) -> None:
    uri = from_fs_path(str(project / "app" / "jobs.py"))

    async def scenario() -> None:
        async with running(project, *args, options=options) as client:
            client.text_document_did_open(open_params(uri, BAD))
            [found] = await client.next_diagnostics(uri)
            actions = await asyncio.wait_for(code_actions(client, uri, found), TIMEOUT)
            titles = [a.title for a in actions]
            assert titles == [
                'Replace with "groups.sync"',
                'Replace "groups.synk" with OpType.GROUPS (import OpType from app.types) (unsafe)',
            ]
            unsafe = actions[1]
            assert not unsafe.is_preferred
            edits = unsafe.edit.document_changes[0].edits
            assert [(e.range.start.line, e.range.end.line, e.new_text) for e in edits] == [
                (1, 1, "from app.types import OpType\n"),
                (3, 4, 'run = OperationRun(note="🙂", operation_type=OpType.GROUPS)\n'),
            ]
            fix_all = await asyncio.wait_for(code_actions(client, uri, found, only=["source.fixAll"]), TIMEOUT)
            assert [a.kind for a in fix_all] == ["source.fixAll.opsux"]

    run(scenario)


def test_save_reads_the_project_again_and_config_errors_are_shown(project: Path) -> None:
    jobs = from_fs_path(str(project / "app" / "jobs.py"))
    types_uri = from_fs_path(str(project / "app" / "types.py"))
    uses_constant = "from opsux_core import OperationRun\nfrom app.types import KIND\nOperationRun(operation_type=KIND)\n"

    async def scenario() -> None:
        async with running(project) as client:
            (project / "app" / "types.py").write_text('KIND = "groups.sync"\n', encoding="utf-8")
            client.text_document_did_open(open_params(jobs, uses_constant))
            assert await client.next_diagnostics(jobs) == []
            # Another file is changed and saved: the open file is linted against it again.
            (project / "app" / "types.py").write_text('KIND = "groups.unknown"\n', encoding="utf-8")
            client.text_document_did_save(
                types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=types_uri))
            )
            assert [d.code for d in await client.next_diagnostics(jobs)] == ["OPS001"]

            (project / "opsux.yaml").write_text("operation_types: [oops\n", encoding="utf-8")
            client.text_document_did_change(change_params(jobs, uses_constant + "\n", 2))
            assert await client.next_diagnostics(jobs) == []
            assert any("config error" in m and "opsux.yaml" in m for m in client.messages)

    run(scenario)


def test_a_file_outside_any_project_gets_no_diagnostics(tmp_path: Path) -> None:
    uri = from_fs_path(str(tmp_path / "loose.py"))

    async def scenario() -> None:
        async with running(tmp_path) as client:
            client.text_document_did_open(open_params(uri, BAD))
            assert await client.next_diagnostics(uri) == []

    if any((parent / "opsux.yaml").exists() for parent in tmp_path.parents):
        pytest.skip("the temporary directory lies inside an opsux project")
    run(scenario)


def test_change_latency_on_the_example_app() -> None:
    """A didChange in the example app is answered well within an editor's patience."""
    app = Path(__file__).resolve().parents[2] / "examples" / "tenant_app"
    file = app / "tenant_app" / "jobs.py"
    uri = from_fs_path(str(file))
    text = file.read_text(encoding="utf-8")

    async def scenario() -> list[float]:
        async with running(app) as client:
            client.text_document_did_open(open_params(uri, text))
            await client.next_diagnostics(uri)
            took = []
            for version in range(2, 12):
                started = time.perf_counter()
                client.text_document_did_change(change_params(uri, text + f"\n# edit {version}\n", version))
                await client.next_diagnostics(uri)
                took.append(time.perf_counter() - started)
            return took

    took = sorted(run(scenario))
    print(f"didChange -> diagnostics in the example app: median {took[len(took) // 2] * 1000:.1f} ms, max {took[-1] * 1000:.1f} ms")
    assert took[len(took) // 2] < 1.0, took


def test_text_edits_are_the_changed_lines_only() -> None:
    before = "a\nb\nc"
    assert text_edits(before, "a\nB\nc") == (TextEdit(1, 0, 2, 0, "B\n"),)
    assert text_edits(before, "import x\na\nb\nc") == (TextEdit(0, 0, 0, 0, "import x\n"),)
    # The last line has no line break: its end is the end of the text.
    assert text_edits(before, "a\nb\nC") == (TextEdit(2, 0, 2, 1, "C"),)
    assert text_edits("a\r\nb\r\n", "a\r\nB\r\n") == (TextEdit(1, 0, 2, 0, "B\r\n"),)
