"""Errors of the command line itself."""

from __future__ import annotations


class BadInput(Exception):
    """Input a user can fix: exit code 2."""
