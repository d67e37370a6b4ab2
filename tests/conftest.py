"""Shared pytest fixtures; the web tests' fixtures live in tests/web_fixtures.py."""

pytest_plugins = ["tests.web_fixtures"]
