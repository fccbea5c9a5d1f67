"""主播广场 and 达人主页 pages: access, htmx partials, URLs as state, fixed query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from tests.admission.factories import AgencyFactory, CreatorFactory
from tests.cooperation.factories import ProductFactory, admit, bind, paid_order

pytestmark = pytest.mark.django_db

PLAZA = reverse("cooperation:plaza")


def admitted_creators(n, **fields):
    out = CreatorFactory.create_batch(n, **fields)
    admit(*[c.user for c in out])
    return out


def detail(pk):
    return reverse("cooperation:creator_detail", args=[pk])


def test_anonymous_is_sent_to_login(anonymous):
    assert anonymous.get(PLAZA).status_code == 302
    assert anonymous.get(detail(1)).status_code == 302


@pytest.mark.parametrize("persona", ["creator", "agency", "operator"])
def test_other_roles_get_404(request, client_for, persona):
    assert client_for(request.getfixturevalue(persona)).get(PLAZA).status_code == 404


def test_full_page_has_filters_cards_and_cooperate_buttons(client_for, merchant):
    (c,) = admitted_creators(1, nickname="小鹿", quote=Decimal("3000.00"))
    body = client_for(merchant).get(PLAZA).content.decode()
    assert "<html" in body and 'name="fans_min"' in body
    assert "小鹿" in body and "¥3,000.00" in body and "个人主播" in body
    assert "我要合作" in body and detail(c.pk) in body
    assert 'hx-push-url="true"' in body


def test_htmx_gets_only_the_results(client_for, merchant):
    admitted_creators(2)
    response = client_for(merchant).get(PLAZA, {"sort": "-fans"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body and body.lstrip().startswith('<section id="plaza-results"')
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_history_restore_gets_the_full_page(client_for, merchant):
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    assert "<html" in client_for(merchant).get(PLAZA, headers=headers).content.decode()


def test_filters_are_kept_in_the_form_and_paging_links(client_for, merchant):
    admitted_creators(30, fans=20_000)
    body = client_for(merchant).get(PLAZA, {"fans_min": "10000", "sort": "-fans"}).content.decode()
    assert 'value="10000"' in body
    assert "?fans_min=10000&amp;sort=-fans&amp;page=2" in body


def test_bad_filter_input_is_shown_at_the_field(client_for, merchant):
    admitted_creators(1)
    body = client_for(merchant).get(PLAZA, {"fans_min": "很多"}).content.decode()
    assert 'class="field__error"' in body


def test_plaza_query_count_is_fixed(client_for, merchant, django_assert_num_queries):
    c = client_for(merchant)
    c.get(PLAZA)
    agency = AgencyFactory()
    first = admitted_creators(3)
    bind(first[0], agency)
    # session, user, merchant, categories (filter form), the total (a COUNT no further
    # than the last page), page (+1 row), categories prefetch
    with django_assert_num_queries(7):
        c.get(PLAZA, {"sort": "-fans"})
    more = admitted_creators(30)
    bind(more[0], AgencyFactory())
    with django_assert_num_queries(7):
        body = c.get(PLAZA, {"sort": "-fans"}).content.decode()
    assert body.count('class="pcard creator-card"') == 24
    assert "显示第 1–24 位达人" in body and "page=2" in body


def test_the_plaza_says_how_many_creators_match(client_for, merchant):
    admitted_creators(30)
    body = client_for(merchant).get(PLAZA).content.decode()
    assert "共 30 位达人符合条件" in body
    assert "第 1 / 2 页" in body


def test_a_page_past_the_end_shows_the_last_page(client_for, merchant):
    admitted_creators(30)
    body = client_for(merchant).get(PLAZA, {"page": "9"}).content.decode()
    assert "没有符合条件的达人" not in body
    assert "显示第 25–30 位达人" in body and "第 2 / 2 页" in body


def test_merchant_opens_an_admitted_creators_homepage(client_for, merchant):
    admit(merchant)
    (c,) = admitted_creators(1, nickname="小鹿", bio="家居好物测评")
    product = ProductFactory(merchant=merchant.merchant)
    paid_order(product, creator=c, amount="120.00")
    body = client_for(merchant).get(detail(c.pk)).content.decode()
    assert "小鹿" in body and "家居好物测评" in body
    assert "合作记录" in body and 'id="cooperate"' in body
    assert "¥120.00" in body  # 近 30 天成交额


def test_homepage_shows_the_agency_when_bound(client_for, merchant):
    (c,) = admitted_creators(1)
    agency = AgencyFactory(name="星河传媒")
    bind(c, agency)
    body = client_for(merchant).get(detail(c.pk)).content.decode()
    assert "机构主播" in body and "星河传媒" in body


def test_not_admitted_creator_homepage_is_404_for_merchants(client_for, merchant):
    c = CreatorFactory(level=0, guangguang_eligible=False)
    admit(c.user)
    assert client_for(merchant).get(detail(c.pk)).status_code == 404


def test_unknown_creator_is_404(client_for, merchant):
    assert client_for(merchant).get(detail(999_999)).status_code == 404


def test_creator_sees_own_homepage_without_the_form_and_not_others(
    client_for, creator, other_creator
):
    admit(creator, other_creator)
    c = client_for(creator)
    response = c.get(detail(creator.pk))
    assert response.status_code == 200
    assert 'id="cooperate"' not in response.content.decode()
    assert c.get(detail(other_creator.pk)).status_code == 404


def test_agency_cannot_open_homepages(client_for, agency, creator):
    admit(creator)
    assert client_for(agency).get(detail(creator.pk)).status_code == 404


def test_pages_walk_forward_and_stop(client_for, merchant):
    admitted_creators(30)
    c = client_for(merchant)
    page2 = c.get(PLAZA, {"page": "2"})
    assert len(page2.context["page"].object_list) == 6
    assert page2.context["page"].has_next is False
    assert "显示第 25–30 位达人" in page2.content.decode()
    # Nonsense and out-of-range page numbers land on a real page.
    assert c.get(PLAZA, {"page": "abc"}).context["page"].number == 1
    assert c.get(PLAZA, {"page": "-4"}).context["page"].number == 1
    # Past the end: the last page, not an empty one (issue 13).
    assert c.get(PLAZA, {"page": "100000"}).context["page"].number == 2


def test_homepage_query_count_is_fixed(client_for, merchant, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.cooperation.task_factories import make_task

    (c,) = admitted_creators(1)
    client = client_for(merchant)
    client.get(detail(c.pk))  # the first request after login rewrites the session
    make_task(merchant=merchant, creator=c.user, state="completed")
    with CaptureQueriesContext(connection) as one_task:
        client.get(detail(c.pk))
    for _ in range(3):
        make_task(merchant=merchant, creator=c.user, state="completed")
    with django_assert_num_queries(len(one_task.captured_queries)):
        body = client.get(detail(c.pk)).content.decode()
    assert body.count('class="timeline-item"') == 4


def test_the_sort_control_is_labelled_sort_by_in_english_and_paixu_in_chinese(client_for, merchant):
    # "排序" is also the admin's label for a position field ("Position"); the list
    # controls of the plaza and the product square say "Sort by".
    chinese = client_for(merchant).get(PLAZA).content.decode()
    assert ">排序<" in chinese
    c = client_for(merchant)
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = c.get(PLAZA).content.decode()
    assert ">Sort by<" in english and ">Position<" not in english
