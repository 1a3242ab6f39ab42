"""opsux-lint: the static half of opsux (libcst linter, CLI ``opsux-lint``)."""
