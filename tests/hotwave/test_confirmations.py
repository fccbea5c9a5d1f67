"""Irreversible and money-moving actions ask once first (issue 13, defect 5).

确认完成 released the escrow on one click; 拒绝 (binding invitation, operating
account), 移出 (cart) and the rest did what they did without asking. Now each
action's button is a GET to its own URL: the confirmation page (what will happen,
and a POST form that does it), or with htmx's header just its content for the
page's dialog. The GET changes nothing; the POST is what it always was. The
browser journeys (dialog with JS, page without) are in
tests/e2e/test_confirmation_journeys.py.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from admission.models import OperatingAccountRequest
from cooperation.models import CartItem, Product, ProductStatus, Task, TaskState
from settlement.models import Binding, BindingStatus, EscrowHold
from tests.access.world import build_world
from tests.cooperation.task_factories import make_task

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _actions(w):
    """(name, url, who may act, the page its button is on)."""
    task = reverse("cooperation:task_detail", args=[w.task.pk])
    binding = reverse("settlement:binding_detail", args=[w.binding.pk])
    req = w.operating_request.pk
    return [
        ("task accept", reverse("cooperation:task_accept", args=[w.task.pk]), "creator_in", task),
        ("task decline", reverse("cooperation:task_decline", args=[w.task.pk]), "creator_in", task),
        ("task cancel", reverse("cooperation:task_cancel", args=[w.task.pk]), "merchant", task),
        ("binding end", reverse("settlement:binding_end", args=[w.binding.pk]), "agency", binding),
        (
            "operating accept",
            reverse("admission:operating_decide", args=[req, "accept"]),
            "merchant",
            reverse("admission:center"),
        ),
        (
            "operating decline",
            reverse("admission:operating_decide", args=[req, "decline"]),
            "merchant",
            reverse("admission:center"),
        ),
        (
            "product archive",
            reverse("cooperation:product_archive", args=[w.product.pk]),
            "merchant",
            reverse("cooperation:product_list"),
        ),
        (
            "cart remove",
            reverse("cooperation:cart_remove", args=[w.product.pk]),
            "creator_in",
            reverse("cooperation:cart"),
        ),
    ]


def _state(w):
    return (
        Task.objects.get(pk=w.task.pk).state,
        Binding.objects.get(pk=w.binding.pk).status,
        OperatingAccountRequest.objects.get(pk=w.operating_request.pk).status,
        Product.objects.get(pk=w.product.pk).status,
        CartItem.objects.count(),
        EscrowHold.objects.count(),
    )


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_each_action_asks_first_and_the_asking_changes_nothing():
    w = build_world()
    before = _state(w)
    for name, url, who, page in _actions(w):
        c = _client(w.users[who])
        html = c.get(page).content.decode()
        # The button on the page is a GET to the action, marked to open the dialog.
        assert f'method="get" action="{url}"' in html, name
        assert f'method="post" action="{url}"' not in html, name
        response = c.get(url)
        assert response.status_code == 200, name
        body = response.content.decode()
        assert "<html" in body and 'id="confirm-title"' in body, name
        assert f'<form method="post" action="{url}"' in body, name
        assert "csrfmiddlewaretoken" in body and "返回" in body, name
        assert response["Vary"] and "HX-Request" in response["Vary"], name
        partial = c.get(url, **HX).content.decode()
        assert "<html" not in partial and 'id="confirm-title"' in partial, name
        assert "data-dialog-close" in partial, name
    assert _state(w) == before


@pytest.mark.parametrize("persona", ["other_merchant", "creator_out", "other_agency"])
def test_someone_elses_confirmation_is_a_404(persona):
    w = build_world()
    c = _client(w.users[persona])
    for name, url, _who, _page in _actions(w):
        if name == "cart remove":
            # Products are everybody's to promote; one not in this cart: back to the cart.
            assert c.get(url).status_code in (302, 404), name
            continue
        assert c.get(url).status_code == 404, name


def test_anonymous_is_sent_to_log_in():
    w = build_world()
    for name, url, _who, _page in _actions(w):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        assert name


def test_confirming_completion_shows_where_the_escrow_goes(client_for, merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.LIVE_REPORTED)
    url = reverse("cooperation:task_confirm", args=[task.pk])
    body = client_for(merchant).get(url).content.decode()
    assert "确认合作完成？" in body
    assert "¥1,000.00" in body  # the slot fee held
    assert "达人所得" in body and "¥600.00" in body  # an individual creator: 60%
    assert "平台软件服务费" in body and "¥400.00" in body
    assert Task.objects.get(pk=task.pk).state == TaskState.LIVE_REPORTED
    response = client_for(merchant).post(url)
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).state == TaskState.COMPLETED


def test_a_decline_asks_with_its_reason_field(client_for, merchant, creator):
    task = make_task(merchant=merchant, creator=creator)
    url = reverse("cooperation:task_decline", args=[task.pk])
    body = client_for(creator).get(url).content.decode()
    assert 'name="reason"' in body
    response = client_for(creator).post(url, {"reason": "档期已满"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.state == TaskState.DECLINED


def test_an_action_no_longer_available_sends_back_to_the_task(client_for, merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.COMPLETED)
    response = client_for(merchant).get(reverse("cooperation:task_confirm", args=[task.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("cooperation:task_detail", args=[task.pk])


def test_forms_that_fill_in_data_are_not_asked_again(client_for, merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    assert (
        client_for(merchant).get(reverse("cooperation:task_ship", args=[task.pk])).status_code
        == 405
    )


def test_an_ended_binding_is_not_asked_about(client_for, agency, agency_creator):
    from settlement.services.binding_invites import binding_terminate
    from tests.cooperation.factories import bind

    binding = bind(agency_creator.creator, agency.agency, share="0.30")
    binding_terminate(actor=agency, binding=binding)
    assert Binding.objects.get(pk=binding.pk).status == BindingStatus.ENDED
    response = client_for(agency).get(reverse("settlement:binding_end", args=[binding.pk]))
    assert response.status_code == 302


def test_the_confirmation_query_count_is_fixed(
    client_for, merchant, creator, django_assert_max_num_queries
):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.LIVE_REPORTED)
    c = client_for(merchant)
    url = reverse("cooperation:task_confirm", args=[task.pk])
    c.get(url)
    with django_assert_max_num_queries(12):
        c.get(url, **HX)


def test_archived_products_keep_their_state_until_the_post(client_for, merchant):
    from tests.cooperation.task_factories import ProductFactory

    product = ProductFactory(merchant=merchant.merchant)
    c = client_for(merchant)
    url = reverse("cooperation:product_archive", args=[product.pk])
    c.get(url + "?next=/products/?q=x")
    assert Product.objects.get(pk=product.pk).status == ProductStatus.ACTIVE
    body = c.get(url + "?next=/products/?q=x").content.decode()
    assert 'name="next" value="/products/?q=x"' in body
    c.post(url, {"next": "/products/?q=x"})
    assert Product.objects.get(pk=product.pk).status == ProductStatus.ARCHIVED
