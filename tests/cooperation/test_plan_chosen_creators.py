"""指定达人 on a 定向计划: the merchant adds creators by account name, they get the rate
without applying and are told; removing is a cut with notice; bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cooperation.models import ApplicationStatus, PlanApplication, PlanKind
from cooperation.selectors.plans import best_rate_for
from cooperation.services.plans import (
    plan_apply,
    plan_create,
    plan_creator_add,
    plan_creator_remove,
)
from hotwave.exceptions import DomainError
from notifications.kinds import Kind
from notifications.models import Notification
from tests.admission.factories import CreatorFactory
from tests.cooperation.factories import ProductFactory, admit

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(merchant, creator, other_creator, settings):
    settings.COOPERATION_PLAN_RATE_CUT_NOTICE_HOURS = 24
    admit(merchant, creator, other_creator)
    creator.creator.nickname, creator.creator.fans = "山野小厨", 800
    creator.creator.save()
    product = ProductFactory(
        merchant=merchant.merchant, title="露营椅", service_fee_rate=Decimal("0.2000")
    )
    return plan_create(
        merchant=merchant.merchant,
        product=product,
        kind=PlanKind.TARGETED,
        rate=Decimal("0.35"),
        min_fans=1_000_000,  # the list does not look at thresholds
    )


def url(plan):
    return reverse("cooperation:plan_creators", args=[plan.pk])


def test_a_creator_added_by_account_name_gets_the_rate_at_once_and_is_told(
    client_for, plan, merchant, creator
):
    assert best_rate_for(creator=creator.creator, product=plan.product) == Decimal("0.2000")
    response = client_for(merchant).post(url(plan), {"handle": creator.username}, follow=True)
    page = response.content.decode()
    assert "已把达人「山野小厨」加入名单" in page
    assert 'id="plan-members"' in page and "山野小厨" in page.split('id="plan-members"')[1]
    assert best_rate_for(creator=creator.creator, product=plan.product) == Decimal("0.3500")
    member = PlanApplication.objects.get(plan=plan, creator=creator.creator)
    assert (member.status, member.chosen) == (ApplicationStatus.APPROVED, True)
    (note,) = Notification.objects.filter(recipient=creator, kind=Kind.PLAN_CREATOR_CHOSEN)
    assert "露营椅" in note.message and "35%" in note.message
    # The creator's own page for the product says the plan applies to it.
    mine = client_for(creator).get(
        reverse("cooperation:product_plans_for_creator", args=[plan.product_id])
    )
    assert "35%" in mine.content.decode()


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("nobody_here", "没有找到账户「nobody_here」。"),
        ("merchant", "不是达人账户，只能添加达人。"),
        ("unadmitted", "当前未通过准入，不能加入计划。"),
        ("", "请填写达人的账户名。"),
    ],
)
def test_bad_handles_are_refused_with_a_message_and_change_nothing(
    client_for, plan, merchant, who, message
):
    handle = {
        "merchant": merchant.username,
        "unadmitted": CreatorFactory().user.username,
    }.get(who, who)
    response = client_for(merchant).post(url(plan), {"handle": handle})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PlanApplication.objects.filter(plan=plan).exists()
    assert not Notification.objects.filter(kind=Kind.PLAN_CREATOR_CHOSEN).exists()


def test_a_second_add_is_refused_and_a_waiting_application_becomes_the_approval(
    plan, creator, other_creator
):
    other_creator.creator.fans = 2_000_000
    other_creator.creator.save()
    waiting = plan_apply(plan=plan, creator=other_creator.creator)
    added = plan_creator_add(plan=plan, handle=other_creator.username)
    assert added.pk == waiting.pk and added.status == ApplicationStatus.APPROVED and added.chosen
    with pytest.raises(DomainError, match="已在这个计划的名单里"):
        plan_creator_add(plan=plan, handle=other_creator.username)


def test_only_a_targeted_plan_of_mine_has_a_list(client_for, plan, merchant, other_merchant):
    admit(other_merchant)
    assert client_for(other_merchant).get(url(plan)).status_code == 404
    response = client_for(other_merchant).post(url(plan), {"handle": "x"})
    assert response.status_code == 404
    open_plan = plan_create(
        merchant=merchant.merchant, product=plan.product, kind=PlanKind.OPEN, rate=Decimal("0.25")
    )
    assert client_for(merchant).get(url(open_plan)).status_code == 404
    with pytest.raises(DomainError):
        plan_creator_add(plan=open_plan, handle="whoever")


def test_search_lists_admitted_creators_by_nickname_or_account_name(
    client_for, plan, merchant, creator
):
    hidden = CreatorFactory(nickname="山野未准入")  # not admitted: never offered
    page = client_for(merchant).get(url(plan) + "?q=山野").content.decode()
    found = page.split('id="found-creators"')[1]
    assert "山野小厨" in found and "山野未准入" not in found and hidden.user.username not in found
    by_handle = client_for(merchant).get(url(plan) + f"?q={creator.username}").content.decode()
    assert "山野小厨" in by_handle.split('id="found-creators"')[1]
    none = client_for(merchant).get(url(plan) + "?q=不存在").content.decode()
    assert "没有找到昵称或账户名包含「不存在」的已准入达人" in none


def test_removal_is_a_cut_at_the_exact_second_and_the_creator_is_told(plan, creator):
    added_at = timezone.now().replace(microsecond=0) + timedelta(minutes=1)
    member = plan_creator_add(plan=plan, handle=creator.username, now=added_at)
    removed = plan_creator_remove(application=member, now=added_at + timedelta(hours=1))
    effective = added_at + timedelta(hours=25)
    assert removed.removed_at == effective
    product = plan.product
    before = effective - timedelta(seconds=1)
    assert best_rate_for(creator=creator.creator, product=product, at=before) == Decimal("0.3500")
    assert best_rate_for(creator=creator.creator, product=product, at=effective) == Decimal(
        "0.2000"
    )
    (cut,) = Notification.objects.filter(recipient=creator, kind=Kind.RATE_CUT_ANNOUNCED)
    assert "35%" in cut.message and "20%" in cut.message
    again = plan_creator_remove(application=member)  # idempotent
    assert again.removed_at == effective


def test_the_remove_button_asks_first_and_the_page_shows_the_second(
    client_for, plan, merchant, creator
):
    member = plan_creator_add(plan=plan, handle=creator.username)
    remove = reverse("cooperation:plan_creator_remove", args=[plan.pk, member.pk])
    c = client_for(merchant)
    assert "移出名单" in c.get(remove).content.decode()
    assert PlanApplication.objects.get(pk=member.pk).removed_at is None
    page = c.post(remove, follow=True).content.decode()
    assert "达人将在通知期结束后移出名单" in page and "移出</span>" in page
