"""A small multi-tenant admin app that runs its background work through opsux.

The demo target of ``opsux-lint examples/tenant_app``: most of it follows the conventions, and a
few lines (each marked ``deliberate``) break them so the linter has something to show.
"""
