"""``opsux-lint server``: the linter as a language server, for editors.

The protocol half needs pygls (the ``opsux[lsp]`` extra); :mod:`.documents` does not, so the
rest of opsux-lint never imports it.
"""

from __future__ import annotations

import sys

import click

LSP_EXTRA = "opsux[lsp]"


class ServerUnavailable(Exception):
    """pygls (or lsprotocol) is not installed: the server cannot start."""

    def __init__(self, missing: str) -> None:
        super().__init__(
            f"opsux-lint server needs pygls, which is not installed ({missing}); "
            f"install it with: pip install '{LSP_EXTRA}'"
        )


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--unsafe-fixes", is_flag=True, help="Offer the unsafe fixes as code actions too (marked unsafe).")
def server_command(unsafe_fixes: bool) -> None:
    """Run the language server over standard input and output.

    Diagnostics for every open Python file, with the project's config found from the file's
    path; the fixes as code actions. Configure your editor to start `opsux-lint server`.
    """
    try:
        from opsux_lint.server.lsp import serve
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in ("pygls", "lsprotocol"):
            raise
        click.echo(f"opsux-lint: error: {ServerUnavailable(exc.name or str(exc))}", err=True)
        sys.exit(2)
    serve(unsafe_fixes=unsafe_fixes)
