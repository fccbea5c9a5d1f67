"""帮助中心 (Markdown rendered safely, categories, search, languages) and 成功案例."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import translation

from workbench.markdown import render_markdown
from workbench.models import CaseFigure, HelpArticle, HelpCategory, SuccessCase
from workbench.starter_content import HELP_ARTICLES


@pytest.mark.parametrize(
    "evil",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        '<iframe src="https://evil.example"></iframe>',
        '<p style="position:fixed">x</p>',
    ],
)
def test_markdown_is_sanitised(evil):
    html = render_markdown(f"## 标题\n\n正文 {evil}\n")
    assert "<h2>标题</h2>" in html
    for bad in ("<script", "onerror", "javascript:", "<iframe", "style="):
        assert bad not in html


def test_markdown_keeps_tables_lists_and_safe_links():
    html = render_markdown(
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n- 一\n- 二\n\n[文档](https://example.com)"
    )
    assert "<table>" in html and "<li>一</li>" in html
    assert 'href="https://example.com"' in html and 'rel="noopener noreferrer"' in html


def test_starter_help_exists_on_a_fresh_install(db):
    # The data migration created them: no demo needed.
    assert HelpArticle.objects.published().count() == len(HELP_ARTICLES)
    assert all(a.body_en for a in HelpArticle.objects.all())
    assert HelpCategory.objects.count() >= 4


def test_help_index_lists_categories_and_searches(merchant, client_for):
    c = client_for(merchant)
    html = c.get("/help/").content.decode()
    assert "商家入门：从准入到第一次合作" in html and "入门指南" in html
    html = c.get("/help/", {"q": "寄样"}).content.decode()
    assert "寄样与签收" in html and "推广服务费与分成规则" not in html
    html = c.get("/help/", {"category": "settlement"}).content.decode()
    assert "推广服务费与分成规则" in html and "寄样与签收" not in html
    html = c.get("/help/", {"q": "没有这个词"}).content.decode()
    assert "没有找到相关教程" in html


def test_help_search_as_htmx_partial(merchant, client_for):
    response = client_for(merchant).get("/help/", {"q": "结算"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="help-results"') and "<html" not in html


def test_help_article_shows_the_ui_language(merchant, client_for):
    c = client_for(merchant)
    html = c.get("/help/commission-rules/").content.decode()
    assert "推广服务费与分成规则" in html and "<table>" in html
    c.cookies["django_language"] = "en"
    with translation.override("en"):
        html = c.get("/help/commission-rules/", headers={"Accept-Language": "en"}).content.decode()
    assert "Service fees and how they are split" in html
    assert "Worked example" in html


def test_help_article_falls_back_to_chinese_and_escapes_scripts(merchant, client_for):
    cat = HelpCategory.objects.first()
    HelpArticle.objects.create(
        category=cat, slug="evil", title_zh="含脚本", body_zh="正文<script>alert(1)</script>"
    )
    html = client_for(merchant).get("/help/evil/").content.decode()
    assert "正文" in html and "alert(1)" not in html.split("</main>")[0].split("含脚本")[-1]
    assert "<script>alert" not in html


def test_unpublished_or_unknown_article_is_404(merchant, client_for):
    HelpArticle.objects.filter(slug="samples").update(published=False)
    c = client_for(merchant)
    assert c.get("/help/samples/").status_code == 404
    assert c.get("/help/nope/").status_code == 404
    assert "寄样与签收" not in c.get("/help/").content.decode()


def test_help_index_query_count_is_fixed(merchant, client_for, django_assert_num_queries):
    c = client_for(merchant)
    c.get("/help/")
    cat = HelpCategory.objects.first()
    HelpArticle.objects.bulk_create(
        HelpArticle(category=cat, slug=f"a{i}", title_zh=f"文章{i}", body_zh="x") for i in range(40)
    )
    with django_assert_num_queries(6):  # session, user, profile (header), count, page, categories
        c.get("/help/")


def test_help_requires_login(anonymous):
    assert anonymous.get("/help/").status_code == 302


@pytest.fixture
def cases(db):
    call_command("seed_demo", "--force", "--users-only", verbosity=0)
    from workbench import services

    services.cases_seed_starter()
    SuccessCase.objects.create(
        slug="draft", party_kind="merchant", party_name="草稿店", title_zh="草稿案例",
        summary_zh="未发布", story_zh="x", published=False,
    )  # fmt: skip
    return SuccessCase.objects.published()


def test_cases_on_workbench_index_and_detail(merchant, client_for, cases):
    c = client_for(merchant)
    home = c.get("/").content.decode()
    assert "家居小店靠三位垂类达人" in home and "草稿案例" not in home
    index = c.get("/cases/").content.decode()
    assert index.count('class="pcard wb-case"') == 3
    assert "草稿案例" not in index
    creators_only = c.get("/cases/", {"kind": "creator"}).content.decode()
    assert creators_only.count('class="pcard wb-case"') == 1
    detail = c.get("/cases/xiaoman-home-goods/").content.decode()
    assert (
        "月销售额增长" in detail and "3.1 倍" in detail and "<strong>做对了什么</strong>" in detail
    )
    assert c.get("/cases/draft/").status_code == 404


def test_case_index_query_count_is_fixed(merchant, client_for, cases, django_assert_num_queries):
    c = client_for(merchant)
    c.get("/cases/")
    for i in range(20):
        case = SuccessCase.objects.create(
            slug=f"c{i}", party_kind="creator", party_name="x", title_zh="t", summary_zh="s",
            story_zh="s", published=True,
        )  # fmt: skip
        CaseFigure.objects.create(case=case, label_zh="l", value="1")
    with django_assert_num_queries(6):  # session, user, profile (header), count, page, figures
        c.get("/cases/")


def test_operators_curate_help_and_cases_in_admin(operator, client_for):
    c = client_for(operator)
    for url in (
        "/admin/workbench/helparticle/",
        "/admin/workbench/helparticle/add/",
        "/admin/workbench/helpcategory/",
        "/admin/workbench/successcase/",
        "/admin/workbench/successcase/add/",
    ):
        assert c.get(url).status_code == 200, url
    article = HelpArticle.objects.get(slug="commission-rules")
    article.body_zh += "\n\n<script>alert('x')</script>"
    article.save()
    html = c.get(f"/admin/workbench/helparticle/{article.pk}/change/").content.decode()
    assert "<script>alert" not in html.split('class="wb-admin-preview"')[1]
    response = c.post(
        "/admin/workbench/successcase/add/",
        {
            "slug": "new-case",
            "party_kind": "creator",
            "party_name": "新达人",
            "published": "on",
            "position": "5",
            "title_zh": "新案例",
            "summary_zh": "摘要",
            "story_zh": "**故事**",
            "figures-TOTAL_FORMS": "1",
            "figures-INITIAL_FORMS": "0",
            "figures-MIN_NUM_FORMS": "0",
            "figures-MAX_NUM_FORMS": "1000",
            "figures-0-label_zh": "单场成交",
            "figures-0-value": "¥8,000",
            "figures-0-position": "0",
        },
    )
    assert response.status_code == 302
    case = SuccessCase.objects.get(slug="new-case")
    assert case.figures.get().value == "¥8,000"
