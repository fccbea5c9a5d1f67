"""Workbench fixtures: a fake to-do source registered for the test only."""

from __future__ import annotations

import pytest

from hotwave import todos


class FakeSource:
    """A to-do source whose counts the test sets; records how it was asked."""

    key = "test.fake"

    def __init__(self):
        self.counts: dict[int, int] = {}
        self.all_calls = 0
        self.for_calls = 0

    def count_all(self) -> dict[int, int]:
        self.all_calls += 1
        return {uid: n for uid, n in self.counts.items() if n}

    def count_for(self, user) -> int:
        self.for_calls += 1
        return self.counts.get(user.pk, 0)

    def url(self, user) -> str:
        return "/fake/?state=waiting"


@pytest.fixture
def fake_source():
    fake = FakeSource()
    todos.register(
        todos.TodoSource(
            key=FakeSource.key,
            roles=("merchant", "creator", "agency"),
            title="测试待办",
            url=fake.url,
            count_all=fake.count_all,
            count_for=fake.count_for,
            order=1,
        )
    )
    yield fake
    todos.unregister(FakeSource.key)
