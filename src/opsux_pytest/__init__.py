"""opsux_pytest: the pytest plugin that checks the notification conventions at test time."""
