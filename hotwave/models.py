"""Project-wide tables: the request counters of ``hotwave.ratelimit`` when there is no Redis."""

from __future__ import annotations

from django.db import models


class RateCounter(models.Model):
    """One fixed window of one client's requests to one scope (``ratelimit:<scope>:<who>:<n>``).

    Written only by ``hotwave.ratelimit`` with one atomic upsert per request, so every
    process sharing the database shares the count; windows past their end are deleted.
    """

    key = models.CharField(max_length=250, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.FloatField(db_index=True)  # Unix time: the window's end + slack

    class Meta:
        verbose_name = "rate counter"

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
