"""Domain errors shared by all apps: services raise them, views show their message."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal a user can read. ``message`` is translated; ``reasons`` lists details.

    ``code`` is a stable machine-readable identifier (e.g. "task.illegal_transition").
    """

    code = "domain_error"

    def __init__(self, message: str, *, reasons: list | None = None, code: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.reasons = list(reasons or [])
        if code:
            self.code = code

    def __str__(self) -> str:
        return str(self.message)
