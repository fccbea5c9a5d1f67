"""seed_demo reads like a real world and reports briefly (issue 13, "Looks like a product")."""

from __future__ import annotations

import io
import logging
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from admission.demo import activity_periods

pytestmark = pytest.mark.slow


def seed(*args, verbosity=1) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--force", *args, verbosity=verbosity, stdout=out)
    return out.getvalue()


def test_the_world_reads_like_months_of_real_use(db, caplog):
    from admission.models import Activity, Creator, User
    from cooperation.models import Task

    with caplog.at_level(logging.INFO):
        out = seed()
    # A short summary, not the settlement log of every night (that is -v 2).
    assert not [r for r in caplog.records if r.name.startswith("settlement")]
    assert len(out.splitlines()) <= 6 and "demo_merchant" in out and "orders" in out
    nicknames = list(Creator.objects.values_list("nickname", flat=True))
    assert len(set(nicknames)) == len(nicknames)
    assert not [n for n in nicknames if re.search(r"\d+$", n)]
    assert not Task.objects.filter(note__contains="【演示】").exists()
    joined = sorted(User.objects.values_list("date_joined", flat=True))
    assert joined[-1] - joined[0] > timedelta(days=180)
    assert User.objects.get(username="demo_newbie").date_joined > timezone.now() - timedelta(
        days=30
    )
    # Official activities on their calendar dates: one ended, one running (the weekly one).
    now = timezone.now()
    assert Activity.objects.filter(ends_at__lte=now).exists()
    assert Activity.objects.filter(starts_at__lte=now, ends_at__gt=now).exists()
    assert Activity.objects.filter(starts_at__gt=now).exists()
    # Track records on both sides (issue 17): not every shop ships on time or wins.
    from cooperation.models import CreatorScorecard, MerchantScorecard

    shops = {
        m.merchant.user.username: m
        for m in MerchantScorecard.objects.filter(
            merchant__user__username__in=["merchant01", "merchant02"]
        ).select_related("merchant__user")
    }
    assert set(shops) == {"merchant01", "merchant02"}
    for shop in shops.values():
        assert shop.ships_due > shop.ships_on_time > 0
        assert shop.on_time_shipping_rate is not None and shop.on_time_shipping_rate < 1
    assert sum(s.disputes_lost for s in shops.values()) >= 1
    cards = CreatorScorecard.objects.filter(creator__user__username__startswith="creator")
    assert cards.filter(tasks_completed__in=[1, 2], fulfilment_rate__isnull=True).exists()
    assert cards.filter(disputes_lost__gte=1).exists()
    assert cards.filter(fulfilment_rate__lt=1, tasks_completed__gte=3).exists()


def test_verbose_seed_shows_the_settlement_log(db, caplog):
    with caplog.at_level(logging.INFO):
        seed(verbosity=2)
    assert [r for r in caplog.records if r.name.startswith("settlement")]


def test_activities_fall_on_their_real_dates():
    from datetime import date

    names = {
        name: (start.date(), end.date())
        for name, start, end, _r, _t in activity_periods(date(2026, 12, 2))
    }
    assert names["双12 年终好物节"] == (date(2026, 12, 1), date(2026, 12, 13))  # running
    assert names["双11 直播狂欢节"] == (date(2026, 10, 20), date(2026, 11, 12))  # the last ended
    assert "年货节直播季" in names  # next
    in_march = [n for n, *_ in activity_periods(date(2027, 3, 3))]
    assert in_march == ["年货节直播季", "38 女王节", "618 年中好物节", "99 划算节"]
