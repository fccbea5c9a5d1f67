"""The workbench page per role: five sections in order, access, and a fixed query count."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.workbench import world
from workbench import tasks

SECTIONS = ["待办事项", "核心数据", "操作指引", "平台推荐", "成功案例"]


def section_titles(html: str) -> list[str]:
    return re.findall(r'<h2 id="s-[a-z]+">([^<]+)</h2>', html)


def test_anonymous_is_sent_to_login(anonymous):
    response = anonymous.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_operator_goes_to_admin(operator, client_for):
    response = client_for(operator).get("/")
    assert response.status_code == 302 and response.url == "/admin/"
    assert client_for(operator).get("/workbench/todos/").status_code == 302


@pytest.mark.parametrize("persona", ["merchant", "creator", "agency"])
def test_each_role_sees_the_five_sections_in_order(persona, request, client_for):
    user = request.getfixturevalue(persona)
    response = client_for(user).get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert section_titles(html) == SECTIONS
    assert 'hx-get="/workbench/todos/"' in html
    assert "近30天还没有数据" in html  # brand-new persona: no chart, a pointer instead
    assert 'href="/funds/"' in html  # 查看更多 → 资金账户
    assert 'href="/help/"' in html  # 操作指引 查看更多 → 帮助中心


def test_brand_new_merchant_gets_friendly_empty_states_pointing_at_the_first_step(
    merchant, client_for
):
    html = client_for(merchant).get("/").content.decode()
    assert "下一步：" in html and 'href="/admission/"' in html
    assert "发布商品后，我们会按类目为你推荐合适的达人。" in html
    assert "近30天还没有数据" in html and 'class="btn" href="/admission/"' in html


def test_merchant_recommendations_link_to_the_creator_homepage(
    merchant, creator, other_creator, client_for
):
    from tests.cooperation.factories import ProductFactory, admit

    admit(merchant, creator, other_creator)
    ProductFactory(merchant=merchant.merchant)
    html = client_for(merchant).get("/").content.decode()
    assert f'href="/creators/{creator.pk}/"' in html
    assert "我要合作" in html and 'href="/plaza/"' in html
    for label in ["场均观看", "粉丝数", "合作任务数", "报价"]:
        assert label in html


def test_creator_hot_products_add_to_cart_in_place(merchant, creator, client_for):
    from tests.cooperation.factories import ProductFactory, admit, paid_order

    admit(merchant, creator)
    product = ProductFactory(merchant=merchant.merchant, title="热卖保温杯")
    paid_order(product, creator=creator.creator)
    c = client_for(creator)
    html = c.get("/").content.decode()
    assert "热卖保温杯" in html and "加入带货车" in html
    # ¥99.00 at the factory's rate, 60% to an individual creator, in the seed's word 佣金.
    assert re.search(r"佣金 (<[^>]+>)?¥[\d.,]+(</[^>]+>)? · 服务费率 \d+%", html)
    assert f'hx-post="/cart/add/{product.pk}/"' in html
    response = c.post(f"/cart/add/{product.pk}/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "已在带货车" in response.content.decode()
    assert "已在带货车" in c.get("/").content.decode()


def test_restricted_products_never_appear_for_creators(merchant, creator, client_for):
    from tests.cooperation.factories import ProductFactory, admit, paid_order, restrict

    admit(merchant, creator)
    blocked = ProductFactory(merchant=merchant.merchant, title="受限按摩仪")
    allowed = ProductFactory(merchant=merchant.merchant, title="普通水杯")
    for p in (blocked, allowed):
        paid_order(p, creator=creator.creator)
    restrict(blocked)
    html = client_for(creator).get("/").content.decode()
    assert "普通水杯" in html and "受限按摩仪" not in html


def test_agency_recommends_unbound_creators_to_invite(agency, creator, agency_creator, client_for):
    from tests.cooperation.factories import admit, bind

    admit(agency, creator, agency_creator)
    bind(agency_creator.creator, agency.agency)
    html = client_for(agency).get("/").content.decode()
    assert "推荐签约达人" in html
    assert f"/bindings/?q={creator.username}" in html
    assert f"/bindings/?q={agency_creator.username}" not in html  # already bound


def query_count(client, *, warm: bool) -> int:
    client.get("/")  # the session middleware writes on a first visit; measure the next one
    cache.clear()
    if warm:
        tasks.recount_all_todos.delay()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/")
    assert response.status_code == 200
    return len(ctx.captured_queries)


# Upper bound of the whole page with to-dos read from the cache: session, user, header,
# admission's verdict, and the sections' own reads (pinned exactly per section below).
# Cold (cache empty) adds each to-do source's bounded count_for.
WARM_BUDGET = {"merchant": 20, "creator": 18, "agency": 18}


@pytest.mark.parametrize("persona", ["merchant", "creator", "agency"])
def test_query_count_does_not_grow_with_ten_times_the_data(
    persona, request, merchant, creator, agency, client_for
):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    world.build(merchant=merchant, creator=creator, agency=agency, n=3)
    small = {warm: query_count(client, warm=warm) for warm in (True, False)}
    world.build(merchant=merchant, creator=creator, agency=agency, n=30)
    large = {warm: query_count(client, warm=warm) for warm in (True, False)}
    assert large == small
    assert small[True] <= WARM_BUDGET[persona], small


# The workbench's own reads, exactly, at 10x data: (core data cold and warm,
# recommendations cold and warm, cases). Cold: the first request after the shared caches
# expired (the hot-products ranking, the candidate pool of a category set) or after the
# party's account got new postings (its ledger sums); every later request reuses them.
SECTION_QUERIES = {
    # [closed days of the trend], today's orders, slot fees, open tasks
    # | cats, fees, [candidate pool], creators, cats
    "merchant": ((4, 3), (5, 4), 2),
    # [closed days], today's orders, ledger signature (no postings in this world: no
    # sums), open tasks | [hot ranking], hot products, binding
    "creator": ((4, 3), (3, 2), 2),
    # [closed days], today's orders, ledger signature, bindings | [its categories,
    # candidate pool], creators, cats (ledger sums with postings:
    # tests/workbench/test_core_data_ledger.py)
    "agency": ((4, 3), (4, 2), 2),
}


@pytest.mark.parametrize("persona", ["merchant", "creator", "agency"])
def test_each_sections_query_count_is_pinned(
    persona, request, merchant, creator, agency, django_assert_num_queries
):
    from workbench import selectors

    user = request.getfixturevalue(persona)
    world.build(merchant=merchant, creator=creator, agency=agency, n=30)
    core, recs, cases = SECTION_QUERIES[persona]
    for expected in core:
        with django_assert_num_queries(expected):
            selectors.core_data_for(user)
    for expected in recs:
        with django_assert_num_queries(expected):
            picks = selectors.recommendations_for(user)
            for pick in picks.creators:
                list(pick.creator.categories.all())
            for pick in picks.products:
                str(pick.product.merchant), str(pick.product.category)
    with django_assert_num_queries(cases):
        for case in selectors.cases_for_workbench():
            list(case.figures.all())
