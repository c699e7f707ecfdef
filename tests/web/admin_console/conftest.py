"""Fixtures of the admin console's tests: an administrator signed in, and Bob."""

from tests.web.admin_console.console_support import admin, bob, console

__all__ = ["admin", "bob", "console"]
