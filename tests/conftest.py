"""Shared by every suite: the plugin's tests drive generated projects through pytest's pytester."""

pytest_plugins = ["pytester"]
