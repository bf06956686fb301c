"""Errors a caller can correct (the CLI exits 2 on them, naming what was wrong and where)."""

from __future__ import annotations


class RequestError(ValueError):
    """A request that cannot be carried out as asked: an unknown workflow or thread, a thread in
    the wrong state for it, a review decision the gate refused…"""


class UnknownWorkflow(RequestError):
    """No workflow of that name."""


class UnknownThread(RequestError):
    """A thread id this database has never seen (or that runs another workflow)."""


class ReviewRefused(RequestError):
    """The gate refused a decision (for example corrections that break the quote contract)."""


class StaleReviewPacket(ReviewRefused):
    """The decision names a review packet the gate no longer shows (the case changed since it
    was read); nothing was recorded. `packet` is the one the gate shows now."""

    def __init__(self, message: str, packet: dict[str, object]) -> None:
        super().__init__(message)
        self.packet = packet


class ReviewConflict(RequestError):
    """Someone else answered the review gate first; this decision was not recorded."""


class ThreadRunning(RequestError):
    """Another process is running the thread right now; nothing was done."""
