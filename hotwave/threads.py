"""What 消息 (``conversations``) adds to cooperation's pages and events, without cooperation
importing it (dependencies run one way; see ``hotwave.gates`` for the same pattern).

``ConversationsConfig.ready`` registers the providers. With nothing registered the task
list shows no unread counts, a dispute writes no thread message and the dispute admin
links no conversation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

_providers: dict[str, Callable] = {}


def register(name: str, provider: Callable) -> None:
    _providers[name] = provider


def task_unread(*, actor, task_ids: Iterable[int]) -> dict[int, int]:
    """Unread messages of ``actor`` in each task's thread: ``{task_id: n}`` (one query)."""
    provider = _providers.get("task_unread")
    ids = list(task_ids)
    if provider is None or not ids:
        return {}
    return provider(actor=actor, task_ids=ids)


def dispute_opened(*, task, dispute, actor) -> None:
    """A dispute was opened on ``task``: the thread marks it (inside the opening's transaction)."""
    provider = _providers.get("dispute_opened")
    if provider is not None:
        provider(task=task, dispute=dispute, actor=actor)


def dispute_thread_url(dispute) -> str | None:
    """Where an operator reads the task thread of ``dispute`` (admin), or None."""
    provider = _providers.get("dispute_thread_url")
    return provider(dispute) if provider is not None else None
