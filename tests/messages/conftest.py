"""Fixtures of the messages tests: a real SMTP server."""

from tests.smtp import smtp_server

__all__ = ["smtp_server"]
