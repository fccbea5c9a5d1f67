"""消息 about a binding invitation (机构绑定): the agency and the creator, nobody else."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conversations import selectors, services
from conversations.models import Message, ReportStatus, Thread, ThreadKind
from settlement.models import Binding, BindingStatus
from tests.cooperation.factories import ProductFactory, bind, image_bytes
from tests.cooperation.task_factories import make_task
from tests.hotwave.operators import make_group_operator

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _invite(agency, creator) -> Binding:
    return Binding.objects.create(
        creator=creator.creator,
        agency=agency.agency,
        agency_share=Decimal("0.30"),
        status=BindingStatus.INVITED,
        invited_at=timezone.now(),
        invited_by=agency,
    )


@pytest.fixture
def invitation(agency, creator):
    return _invite(agency, creator)


@pytest.fixture
def binding_thread(invitation):
    return services.thread_for_binding(binding=invitation)


def url(name, thread, **query):
    base = reverse(f"conversations:{name}", args=[thread.pk])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


# ---- service -------------------------------------------------------------------------


def test_one_thread_per_invitation_with_its_agency_and_creator(invitation, agency, creator):
    first = services.thread_for_binding(binding=invitation)
    again = services.thread_for_binding(binding=invitation)
    assert first.pk == again.pk
    assert (first.kind, first.agency_id, first.creator_id, first.merchant_id) == (
        ThreadKind.BINDING,
        agency.pk,
        creator.pk,
        None,
    )
    assert first.party_id == agency.pk and first.other_of(creator.pk) == agency.pk
    assert first.other_of(agency.pk) == creator.pk


def test_a_binding_thread_cannot_carry_a_merchant(invitation, merchant, creator, agency):
    with pytest.raises(IntegrityError), transaction.atomic():
        Thread.objects.create(
            kind=ThreadKind.BINDING,
            binding=invitation,
            merchant=merchant,
            creator=creator,
            created_at=timezone.now(),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Thread.objects.create(
            kind=ThreadKind.DIRECT, agency=agency, creator=creator, created_at=timezone.now()
        )


def test_both_sides_send_and_the_same_rules_hold(binding_thread, agency, creator, settings):
    settings.CONVERSATIONS_SEND_RATE = "2/m"
    services.message_send(thread=binding_thread, actor=agency, body="分成比例可以再谈")
    services.message_send(thread=binding_thread, actor=creator, body="好的")
    with pytest.raises(services.MessageRefused) as empty:
        services.message_send(thread=binding_thread, actor=agency, body="   ")
    with pytest.raises(services.MessageRefused) as long:
        services.message_send(thread=binding_thread, actor=agency, body="长" * 2001)
    assert "请输入消息内容" in empty.value.message and "最多 2000 个字" in long.value.message
    services.message_send(thread=binding_thread, actor=agency, body="一条")
    with pytest.raises(services.MessageRefused) as fast:
        services.message_send(thread=binding_thread, actor=agency, body="太快了")
    assert "发送太频繁" in fast.value.message
    assert Message.objects.filter(thread=binding_thread).count() == 3


def test_pictures_go_through_but_product_and_task_cards_are_refused(
    binding_thread, agency, creator, merchant
):
    product = ProductFactory(merchant=merchant.merchant)
    task = make_task(merchant=merchant, creator=creator)
    for kwargs in ({"product_id": product.pk}, {"task_id": task.pk}):
        with pytest.raises(services.MessageRefused) as exc:
            services.message_send(thread=binding_thread, actor=creator, body="看看", **kwargs)
        assert exc.value.code == "message.no_cards"
    assert not Message.objects.exists()
    picture = services.message_send(
        thread=binding_thread, actor=agency, body="", image=image_bytes()
    )
    assert picture.image.startswith(f"messages/{binding_thread.pk}/")


def test_nobody_else_is_a_party(binding_thread, merchant, other_agency, other_creator):
    for outsider in (merchant, other_agency, other_creator):
        with pytest.raises(services.MessageRefused):
            services.message_send(thread=binding_thread, actor=outsider, body="插话")
        assert not selectors.threads_for(actor=outsider).filter(pk=binding_thread.pk).exists()
    assert not Message.objects.exists()


def test_unread_counts_for_the_agency_and_the_creator(binding_thread, agency, creator):
    services.message_send(thread=binding_thread, actor=agency, body="你好")
    services.message_send(thread=binding_thread, actor=agency, body="在吗")
    assert selectors.unread_total(actor=creator) == 2
    assert selectors.unread_total(actor=agency) == 0
    assert selectors.unread_by_user() == {creator.pk: 2}
    reply = services.message_send(thread=binding_thread, actor=creator, body="在")
    # Replying reads what came before it; the agency has one unread now.
    assert selectors.unread_total(actor=creator) == 0
    assert selectors.unread_by_user() == {agency.pk: 1}
    services.thread_mark_read(thread=binding_thread, actor=agency, upto_id=reply.pk)
    assert selectors.unread_total(actor=agency) == 0
    assert selectors.unread_by_user() == {}


def test_the_agency_still_counts_nothing_from_task_threads_it_only_reads(
    merchant, agency, agency_creator
):
    bind(agency_creator.creator, agency.agency)
    thread = services.thread_for_task(task=make_task(merchant=merchant, creator=agency_creator))
    services.message_send(thread=thread, actor=merchant, body="样品已寄")
    assert selectors.unread_total(actor=agency) == 0
    assert selectors.threads_for(actor=agency).filter(pk=thread.pk).exists()


def test_a_report_can_be_dismissed_or_warned_but_not_blocked(binding_thread, agency, creator):
    operator = make_group_operator()
    services.message_send(thread=binding_thread, actor=agency, body="不同意就别想接单")
    report = services.report_create(thread=binding_thread, actor=creator, reason="harassment")
    with pytest.raises(services.MessageRefused) as exc:
        services.report_decide(
            report_id=report.pk, operator=operator, outcome=ReportStatus.BLOCKED, note="核实"
        )
    assert exc.value.code == "report.block_not_merchant"
    # The operator's page of the report names the agency as the sender of its message.
    page = _client(operator).get(reverse("admin:conversations_report_thread", args=[report.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "机构绑定的会话" in html
    assert f"<td>{agency.agency.name}</td><td" in html
    decided = services.report_decide(
        report_id=report.pk, operator=operator, outcome=ReportStatus.WARNED, note="核实"
    )
    assert decided.status == ReportStatus.WARNED


# ---- views ---------------------------------------------------------------------------


def test_the_invitation_page_has_a_messages_button_on_both_sides(invitation, agency, creator):
    go = reverse("conversations:binding_thread", args=[invitation.pk])
    detail = reverse("settlement:binding_detail", args=[invitation.pk])
    for user in (agency, creator):
        assert f'href="{go}"' in _client(user).get(detail).content.decode()
    first = _client(agency).get(go)
    second = _client(creator).get(go)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Thread.objects.filter(binding=invitation).count() == 1


def test_merchants_other_agencies_and_creators_get_404(
    invitation, binding_thread, merchant, other_agency, other_creator
):
    go = reverse("conversations:binding_thread", args=[invitation.pk])
    for user in (merchant, other_agency, other_creator):
        c = _client(user)
        assert c.get(go).status_code == 404
        assert c.get(url("thread", binding_thread)).status_code == 404
        assert c.get(url("poll", binding_thread, after=0), **HX).status_code == 404
        assert c.post(url("send", binding_thread), {"body": "hi"}).status_code == 404
    assert not Message.objects.exists()


def test_the_thread_page_sends_escapes_and_shows_receipts(binding_thread, agency, creator):
    ac, cc = _client(agency), _client(creator)
    response = ac.post(url("send", binding_thread), {"body": "<b>30%</b> 分成 https://example.com"})
    assert response.status_code == 302
    page = cc.get(url("thread", binding_thread)).content.decode()
    assert "机构绑定的消息" in page
    assert "&lt;b&gt;30%&lt;/b&gt;" in page and 'href="https://example.com"' in page
    assert 'name="body"' in page and 'name="image"' in page
    assert 'name="product"' not in page and 'name="task"' not in page
    assert 'value="block"' not in page  # mute and block are about merchants
    assert reverse("settlement:binding_detail", args=[binding_thread.binding_id]) in page
    assert "对方已读" in ac.get(url("thread", binding_thread)).content.decode()


def test_the_inbox_and_badge_list_it_with_unread_counts(binding_thread, agency, creator):
    services.message_send(thread=binding_thread, actor=agency, body="请看一下邀请")
    cc = _client(creator)
    inbox = cc.get(reverse("conversations:inbox")).content.decode()
    assert "机构绑定" in inbox and agency.agency.name in inbox and "请看一下邀请" in inbox
    assert 'badge--count">1<' in inbox
    assert ">1<" in cc.get(reverse("conversations:badge"), **HX).content.decode()
    services.message_send(thread=binding_thread, actor=creator, body="收到")
    ac = _client(agency)
    inbox = ac.get(reverse("conversations:inbox")).content.decode()
    assert creator.creator.nickname in inbox and 'badge--count">1<' in inbox


def test_a_refused_card_is_shown_in_the_box_and_nothing_is_stored(
    binding_thread, creator, merchant
):
    product = ProductFactory(merchant=merchant.merchant)
    response = _client(creator).post(
        url("send", binding_thread), {"body": "看这个", "product": product.pk}, **HX
    )
    assert response.status_code == 422
    assert "不能附商品或任务卡片" in response.content.decode()
    assert not Message.objects.exists()


def test_the_creator_cannot_mute_or_block_an_agency(binding_thread, creator):
    response = _client(creator).post(url("restrict", binding_thread), {"action": "block"})
    assert response.status_code == 404
