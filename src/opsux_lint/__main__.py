"""``python -m opsux_lint``."""

from opsux_lint.cli import main

if __name__ == "__main__":
    main(prog_name="opsux-lint")
