"""机构绑定 in the browser: the invite → consent → end flow, its refusals and its pages."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from settlement.models import Binding, BindingStatus
from settlement.services import binding_invites as svc
from settlement.services.binding_invites import BindingRefused
from tests.admission.factories import AgencyFactory, CreatorFactory
from tests.settlement.factories import BindingFactory

pytestmark = pytest.mark.django_db


def admit(*users):
    """Sign the current authorization agreement: the persona agencies and creators become admitted."""
    from datetime import timedelta

    from django.utils import timezone

    from admission.models import Agreement, AgreementSignature
    from admission.rules import current_agreement

    agreement = current_agreement() or Agreement.objects.create(
        version="test-1",
        title="授权协议",
        body="测试协议正文",
        published_at=timezone.now() - timedelta(days=1),
    )
    for user in users:
        AgreementSignature.objects.get_or_create(
            user=user, agreement=agreement, defaults={"signed_at": timezone.now()}
        )


@pytest.fixture(autouse=True)
def _admitted_parties(agency, other_agency, creator, other_creator):
    # Both sides of a binding must be admitted to start one (SPEC §2).
    admit(agency, other_agency, creator, other_creator)


def invite(agency, creator, share="0.30"):
    binding, _created = svc.invitation_send(
        actor=agency, creator=creator.creator, agency_share=Decimal(share)
    )
    return binding


# --- services ------------------------------------------------------------------------------


def test_invite_then_accept_starts_the_agreement(agency, creator):
    b = invite(agency, creator)
    assert b.status == BindingStatus.INVITED and b.valid_from is None
    svc.invitation_accept(actor=creator, binding=b)
    b.refresh_from_db()
    assert b.status == BindingStatus.ACTIVE
    assert b.valid_from == b.consented_at and b.valid_to is None


def test_sending_the_same_invitation_twice_is_harmless(agency, creator):
    first, created = svc.invitation_send(
        actor=agency, creator=creator.creator, agency_share=Decimal("0.30")
    )
    again, created_again = svc.invitation_send(
        actor=agency, creator=creator.creator, agency_share=Decimal("0.30")
    )
    assert created and not created_again and first.pk == again.pk
    assert Binding.objects.count() == 1


def test_a_different_share_while_pending_is_refused(agency, creator):
    invite(agency, creator, "0.30")
    with pytest.raises(BindingRefused, match="先撤回"):
        invite(agency, creator, "0.40")


def test_inviting_a_creator_bound_elsewhere_names_the_agency(agency, other_agency, creator):
    BindingFactory(creator=creator.creator, agency=other_agency.agency)
    with pytest.raises(BindingRefused) as exc:
        invite(agency, creator)
    assert "弗兰克传媒" in exc.value.message and "只能绑定一个机构" in exc.value.message
    assert exc.value.code == "binding.bound_elsewhere"
    assert not Binding.objects.filter(agency=agency.agency).exists()


def test_consenting_while_bound_elsewhere_is_refused_and_changes_nothing(
    agency, other_agency, creator
):
    b = invite(agency, creator)
    current = BindingFactory(creator=creator.creator, agency=other_agency.agency)
    with pytest.raises(BindingRefused) as exc:
        svc.invitation_accept(actor=creator, binding=b)
    assert "弗兰克传媒" in exc.value.message and "先解除" in exc.value.message
    b.refresh_from_db()
    current.refresh_from_db()
    assert b.status == BindingStatus.INVITED and current.status == BindingStatus.ACTIVE


def test_accepting_twice_is_harmless(agency, creator):
    b = invite(agency, creator)
    svc.invitation_accept(actor=creator, binding=b)
    b.refresh_from_db()
    again = svc.invitation_accept(actor=creator, binding=b)
    assert again.pk == b.pk and again.valid_from == b.valid_from
    assert Binding.objects.filter(status=BindingStatus.ACTIVE).count() == 1


def test_decline_and_withdraw_are_idempotent_and_exclusive(agency, creator):
    b = invite(agency, creator)
    svc.invitation_decline(actor=creator, binding=b)
    svc.invitation_decline(actor=creator, binding=Binding.objects.get(pk=b.pk))
    with pytest.raises(BindingRefused, match="已答复"):
        svc.invitation_withdraw(actor=agency, binding=Binding.objects.get(pk=b.pk))
    b2 = invite(agency, creator)  # a new invitation after a decline is allowed
    svc.invitation_withdraw(actor=agency, binding=b2)
    svc.invitation_withdraw(actor=agency, binding=Binding.objects.get(pk=b2.pk))
    with pytest.raises(BindingRefused, match="撤回"):
        svc.invitation_accept(actor=creator, binding=Binding.objects.get(pk=b2.pk))
    statuses = sorted(Binding.objects.values_list("status", flat=True))
    assert statuses == ["declined", "withdrawn"]


def test_a_new_share_is_a_new_agreement_that_needs_consent(agency, creator):
    b = invite(agency, creator, "0.30")
    svc.invitation_accept(actor=creator, binding=b)
    b.refresh_from_db()
    proposal = svc.binding_share_propose(actor=agency, binding=b, agency_share=Decimal("0.45"))
    assert proposal.pk != b.pk and proposal.status == BindingStatus.INVITED
    b.refresh_from_db()
    assert b.status == BindingStatus.ACTIVE  # still the old share until the creator consents
    svc.invitation_accept(actor=creator, binding=proposal)
    b.refresh_from_db()
    proposal.refresh_from_db()
    assert b.status == BindingStatus.ENDED and proposal.status == BindingStatus.ACTIVE
    assert b.valid_to == proposal.valid_from  # [start, end) touch, never overlap
    assert proposal.agency_share == Decimal("0.4500")


def test_same_share_proposal_is_refused(agency, creator):
    b = BindingFactory(creator=creator.creator, agency=agency.agency, agency_share=Decimal("0.30"))
    with pytest.raises(BindingRefused, match="相同"):
        svc.binding_share_propose(actor=agency, binding=b, agency_share=Decimal("0.3000"))


@pytest.mark.parametrize("who", ["creator", "agency"])
def test_either_side_ends_and_ending_twice_is_harmless(who, agency, creator, request):
    b = invite(agency, creator)
    svc.invitation_accept(actor=creator, binding=b)
    actor = request.getfixturevalue(who)
    svc.binding_terminate(actor=actor, binding=Binding.objects.get(pk=b.pk))
    svc.binding_terminate(actor=actor, binding=Binding.objects.get(pk=b.pk))
    b.refresh_from_db()
    assert b.status == BindingStatus.ENDED and b.ended_by == actor


def test_only_the_parties_act(agency, other_agency, creator, other_creator):
    b = invite(agency, creator)
    with pytest.raises(BindingRefused):
        svc.invitation_accept(actor=other_creator, binding=b)
    with pytest.raises(BindingRefused):
        svc.invitation_withdraw(actor=other_agency, binding=b)
    with pytest.raises(BindingRefused):
        svc.invitation_send(
            actor=creator, creator=other_creator.creator, agency_share=Decimal("0.1")
        )


# --- pages ------------------------------------------------------------------------------------


def urls_for(pk):
    return [
        ("get", reverse("settlement:binding_detail", args=[pk])),
        ("post", reverse("settlement:binding_accept", args=[pk])),
        ("post", reverse("settlement:binding_decline", args=[pk])),
        ("post", reverse("settlement:binding_withdraw", args=[pk])),
        ("post", reverse("settlement:binding_end", args=[pk])),
        ("post", reverse("settlement:binding_share", args=[pk])),
    ]


def test_anonymous_is_sent_to_login(anonymous, agency, creator):
    b = invite(agency, creator)
    for method, url in [("get", reverse("settlement:binding_list")), *urls_for(b.pk)]:
        response = getattr(anonymous, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_other_parties_get_404_everywhere(
    agency, creator, other_agency, other_creator, merchant, client_for
):
    b = invite(agency, creator)
    for user in (other_agency, other_creator, merchant):
        c = client_for(user)
        for method, url in urls_for(b.pk):
            assert getattr(c, method)(url, {"agency_share": "40"}).status_code == 404, (user, url)
    assert client_for(merchant).get(reverse("settlement:binding_list")).status_code == 404
    assert client_for(merchant).post(reverse("settlement:binding_invite")).status_code == 404
    b.refresh_from_db()
    assert b.status == BindingStatus.INVITED


def test_each_side_lists_only_its_own(agency, other_agency, creator, other_creator, client_for):
    invite(agency, creator)
    invite(other_agency, other_creator)
    page = client_for(agency).get(reverse("settlement:binding_list")).content.decode()
    assert "卡萝" in page and "戴夫" not in page
    page = client_for(creator).get(reverse("settlement:binding_list")).content.decode()
    assert "艾琳传媒" in page and "弗兰克传媒" not in page


def test_invite_form_errors_are_shown_at_the_field(agency, creator, client_for):
    c = client_for(agency)
    url = reverse("settlement:binding_invite")
    r = c.post(url, {"creator": "", "agency_share": "150"})
    assert r.status_code == 400
    form = r.context["invite_form"]
    assert form.errors["creator"] == ["请填写要邀请的达人的用户名或昵称。"]
    assert form.errors["agency_share"] == ["分成比例不能超过 100%。"]
    html = r.content.decode()
    assert 'id="id_agency_share_error"' in html and 'aria-invalid="true"' in html
    r = c.post(url, {"creator": "nobody-here", "agency_share": "30"})
    assert "没有找到" in r.context["invite_form"].errors["creator"][0]
    r = c.post(url, {"creator": "carol", "agency_share": "12.345"})
    assert r.context["invite_form"].errors["agency_share"] == ["分成比例最多保留两位小数。"]
    assert not Binding.objects.exists()


def test_invite_by_nickname_and_double_submit(agency, creator, client_for):
    c = client_for(agency)
    url = reverse("settlement:binding_invite")
    r1 = c.post(url, {"creator": "卡萝", "agency_share": "30"})
    r2 = c.post(url, {"creator": "carol", "agency_share": "30"})
    b = Binding.objects.get()
    assert r1.status_code == r2.status_code == 302
    assert r1["Location"] == r2["Location"] == reverse("settlement:binding_detail", args=[b.pk])
    assert b.agency_share == Decimal("0.3000") and b.invited_by == agency


def test_refusal_for_a_creator_bound_elsewhere_is_at_the_creator_field(
    agency, other_agency, creator, client_for
):
    BindingFactory(creator=creator.creator, agency=other_agency.agency)
    r = client_for(agency).post(
        reverse("settlement:binding_invite"), {"creator": "carol", "agency_share": "30"}
    )
    assert r.status_code == 400
    assert "弗兰克传媒" in r.context["invite_form"].errors["creator"][0]


def test_consent_page_previews_both_rules(agency, creator, client_for):
    b = invite(agency, creator, "0.30")
    r = client_for(creator).get(reverse("settlement:binding_detail", args=[b.pk]))
    html = r.content.decode()
    p = r.context["preview"]
    # ¥100.00 × 20% = ¥20.00; bound: platform 6.00, rest 14.00, agency 4.20, creator 9.80.
    assert (p.proposed.fee, p.proposed.platform, p.proposed.agency, p.proposed.creator) == (
        Decimal("20.00"),
        Decimal("6.00"),
        Decimal("4.20"),
        Decimal("9.80"),
    )
    assert (p.individual.platform, p.individual.creator) == (Decimal("8.00"), Decimal("12.00"))
    for text in ["¥4.20", "¥9.80", "¥12.00", "¥8.00", "同意绑定", "拒绝", "个人主播"]:
        assert text in html
    # A creator may try its own example; the htmx request gets the preview alone.
    r = client_for(creator).get(
        reverse("settlement:binding_detail", args=[b.pk]),
        {"price": "99.99", "rate": "15"},
        headers={"HX-Request": "true"},
    )
    html = r.content.decode()
    assert "<html" not in html and 'id="preview"' in html
    # 99.99 × 15% = 14.9985 → 15.00; platform 4.50; agency 10.50 × 30% = 3.15; creator 7.35.
    assert "¥15.00" in html and "¥3.15" in html and "¥7.35" in html
    r = client_for(creator).get(
        reverse("settlement:binding_detail", args=[b.pk]), {"price": "abc", "rate": "95"}
    )
    assert "服务费率须在 1% 到 80% 之间" in r.content.decode()


def test_share_change_preview_shows_the_current_agreement(agency, creator, client_for):
    current = BindingFactory(
        creator=creator.creator, agency=agency.agency, agency_share=Decimal("0.30")
    )
    proposal = svc.binding_share_propose(
        actor=agency, binding=current, agency_share=Decimal("0.50")
    )
    r = client_for(creator).get(reverse("settlement:binding_detail", args=[proposal.pk]))
    assert r.context["is_share_change"]
    assert r.context["preview"].current.agency == Decimal("4.20")
    assert r.context["preview"].proposed.agency == Decimal("7.00")
    assert "提议调整分成比例" in r.content.decode()


def test_creator_accepts_through_the_page_and_a_double_submit_is_harmless(
    agency, creator, client_for
):
    b = invite(agency, creator)
    c = client_for(creator)
    url = reverse("settlement:binding_accept", args=[b.pk])
    assert c.post(url).status_code == 302
    assert c.post(url).status_code == 302
    b.refresh_from_db()
    assert b.status == BindingStatus.ACTIVE
    page = c.get(reverse("settlement:binding_list")).content.decode()
    assert "已绑定「艾琳传媒」" in re.sub(r"<[^>]+>", "", page)


def test_accept_refused_on_the_page_says_why(agency, other_agency, creator, client_for):
    b = invite(agency, creator)
    BindingFactory(creator=creator.creator, agency=other_agency.agency)
    c = client_for(creator)
    page = c.get(reverse("settlement:binding_detail", args=[b.pk])).content.decode()
    assert "只能绑定一个机构" in page and "disabled" in page
    r = c.post(reverse("settlement:binding_accept", args=[b.pk]))
    assert r.status_code == 400 and "弗兰克传媒" in r.context["error"]


def test_agency_proposes_a_new_share_with_field_errors(agency, creator, client_for):
    b = BindingFactory(creator=creator.creator, agency=agency.agency, agency_share=Decimal("0.30"))
    c = client_for(agency)
    url = reverse("settlement:binding_share", args=[b.pk])
    r = c.post(url, {"agency_share": "30"})
    assert r.status_code == 400 and "相同" in r.context["share_form"].errors["agency_share"][0]
    r = c.post(url, {"agency_share": "-1"})
    assert r.context["share_form"].errors["agency_share"] == ["分成比例不能小于 0%。"]
    r = c.post(url, {"agency_share": "40"})
    proposal = Binding.objects.get(status=BindingStatus.INVITED)
    assert r["Location"] == reverse("settlement:binding_detail", args=[proposal.pk])


def test_either_side_ends_through_the_page(agency, creator, client_for):
    b = BindingFactory(creator=creator.creator, agency=agency.agency)
    r = client_for(agency).post(reverse("settlement:binding_end", args=[b.pk]))
    assert r.status_code == 302
    b.refresh_from_db()
    assert b.status == BindingStatus.ENDED
    history = client_for(creator).get(reverse("settlement:binding_list"), {"status": "history"})
    assert "已结束" in history.content.decode()


def test_creator_search_shows_who_is_bound(
    agency, other_agency, creator, other_creator, client_for
):
    BindingFactory(creator=other_creator.creator, agency=other_agency.agency)
    r = client_for(agency).get(reverse("settlement:binding_list"), {"q": "戴夫"})
    html = r.content.decode()
    assert "已绑定「弗兰克传媒」" in html and "?invite=dave" in html
    r = client_for(agency).get(reverse("settlement:binding_list"), {"invite": "carol"})
    assert r.context["invite_form"]["creator"].value() == "carol"


def test_tabs_filter_and_htmx_partial(agency, creator, other_creator, client_for):
    invite(agency, creator)
    b = invite(agency, other_creator)
    svc.invitation_decline(actor=other_creator, binding=b)
    c = client_for(agency)
    r = c.get(reverse("settlement:binding_list"), {"status": "invited"})
    assert [x.creator.nickname for x in r.context["page_obj"]] == ["卡萝"]
    assert r.context["counts"] == {"all": 2, "invited": 1, "active": 0, "history": 1}
    r = c.get(
        reverse("settlement:binding_list"), {"status": "history"}, headers={"HX-Request": "true"}
    )
    html = r.content.decode()
    assert "<html" not in html and 'id="binding-body"' in html and "戴夫" in html


def _many_bindings(agency, n):
    creators = CreatorFactory.create_batch(n)
    for i, c in enumerate(creators):
        b = Binding.objects.create(
            creator=c,
            agency=agency.agency,
            agency_share=Decimal("0.25"),
            status=BindingStatus.INVITED,
        )
        if i % 2:
            b.status = BindingStatus.DECLINED
            b.save()


@pytest.mark.parametrize("n", [3, 30])
def test_binding_list_query_count_is_fixed(n, agency, client_for, django_assert_num_queries):
    _many_bindings(agency, n)
    AgencyFactory()
    c = client_for(agency)
    c.get(reverse("settlement:binding_list"))  # warm the session
    # session, user, page count, tab counts, profile (top bar), page rows
    with django_assert_num_queries(6):
        r = c.get(reverse("settlement:binding_list"))
    assert r.status_code == 200


# --- to-dos ---------------------------------------------------------------------------------------


def test_todo_counts_equal_the_items_on_the_linked_page(agency, creator, other_creator, client_for):
    from hotwave import todos
    from settlement import todos as settlement_todos

    invite(agency, creator)
    b = invite(agency, other_creator)
    svc.invitation_decline(actor=other_creator, binding=b)
    cases = [
        (settlement_todos.CREATOR_INVITATIONS, creator, 1),
        (settlement_todos.AGENCY_INVITATIONS, agency, 1),
        (settlement_todos.CREATOR_INVITATIONS, other_creator, 0),
    ]
    for source, user, expected in cases:
        assert source in todos.sources(user.role)
        assert source.count_for(user) == expected
        assert source.count_all().get(user.pk, 0) == expected
        r = client_for(user).get(source.url(user))
        assert r.context["page_obj"].paginator.count == expected
        assert all(x.status == BindingStatus.INVITED for x in r.context["page_obj"])
    assert str(settlement_todos.CREATOR_INVITATIONS.title) == "机构邀约待确认"
    assert str(settlement_todos.AGENCY_INVITATIONS.title) == "待达人确认的邀约"


def test_an_agency_not_admitted_cannot_invite(creator, client_for):
    unverified = AgencyFactory(registered_verified=False, licence_verified=False).user
    with pytest.raises(Exception) as exc:
        invite(unverified, creator)
    assert "尚未通过准入" in str(exc.value)
    r = client_for(unverified).post(
        reverse("settlement:binding_invite"), {"creator": "carol", "agency_share": "30"}
    )
    assert r.status_code == 400
    errors = r.context["invite_form"].non_field_errors()
    assert "尚未通过准入" in errors[0] and len(errors) > 1
    assert "去准入中心" in r.content.decode()
    assert not Binding.objects.exists()


# --- both sides admitted (issue 14, defect 3) -------------------------------------------------


def test_a_creator_that_is_not_admitted_cannot_accept(agency):
    newbie = CreatorFactory(alipay_verified=False).user  # not admitted: unsigned, unverified
    b = invite(agency, newbie)
    from admission.exceptions import NotAdmitted

    with pytest.raises(NotAdmitted):
        svc.invitation_accept(actor=newbie, binding=b)
    b.refresh_from_db()
    assert b.status == BindingStatus.INVITED and b.valid_from is None


def test_an_agency_that_lost_admission_since_inviting_cannot_be_accepted(agency, creator):
    b = invite(agency, creator)
    type(agency.agency).objects.filter(pk=agency.pk).update(registered_verified=False)
    with pytest.raises(BindingRefused) as exc:
        svc.invitation_accept(actor=creator, binding=b)
    assert exc.value.code == "binding.agency_not_admitted"
    assert "目前未通过准入" in exc.value.message
    b.refresh_from_db()
    assert b.status == BindingStatus.INVITED


def test_the_page_says_why_a_creator_not_admitted_cannot_accept(agency, client_for):
    newbie = CreatorFactory(alipay_verified=False).user
    b = invite(agency, newbie)
    r = client_for(newbie).post(reverse("settlement:binding_accept", args=[b.pk]))
    assert r.status_code == 400
    assert "尚未通过准入" in r.content.decode()
