"""Workbench views: the page every merchant, creator and agency lands on, the
help center (帮助中心) and success cases (成功案例). Views only translate HTTP:
everything shown comes from ``workbench.selectors`` (the to-do board from
``workbench.services.todos_board``, which stores what it counts)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from hotwave.http import htmx_template
from hotwave.pagecache import cached_page
from workbench import selectors, services
from workbench.models import Audience, PartyKind

HELP_PAGE_SIZE = 20
CASES_PAGE_SIZE = 12


@cached_page
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """用户工作台: 待办事项, 核心数据, 操作指引, 平台推荐, 成功案例 — in that order."""
    user = request.user
    if user.is_operator:
        return redirect("admin:index")
    context = {
        "board": services.todos_board(user),
        "core": selectors.core_data_for(user, chart_days=_chart_days(request)),
        "chart_windows": selectors.CHART_WINDOWS,
        "guide": selectors.guide_for(user),
        "recs": selectors.recommendations_for(user),
        "cases": selectors.cases_for_workbench(),
        "cases_url": selectors.safe_reverse("workbench:case_index"),
    }
    return render(request, "workbench/home.html", context)


@require_GET
def todos(request: HttpRequest) -> HttpResponse:
    """The 待办事项 section alone (htmx refreshes it every minute); the page without htmx."""
    if request.user.is_operator:
        return redirect("admin:index")
    if not request.htmx:
        return redirect("workbench:home")
    return render(
        request, "workbench/home.html#todos", {"board": services.todos_board(request.user)}
    )


def _chart_days(request: HttpRequest) -> int:
    """The trend chart's window from ``?days=7|30|90`` (anything else: 30)."""
    value = request.GET.get("days", "")
    days = int(value) if value.isascii() and value.isdigit() and len(value) < 4 else 0
    return days if days in selectors.CHART_WINDOWS else 30


@require_GET
def help_index(request: HttpRequest) -> HttpResponse:
    """帮助中心: tutorials by category, searchable."""
    q = request.GET.get("q", "").strip()[:100]
    category = request.GET.get("category", "").strip()[:48]
    audience = request.GET.get("audience", "").strip()
    if audience not in Audience.values:
        audience = ""
    page = Paginator(
        selectors.help_articles(q=q, category=category, audience=audience), HELP_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "articles": page.object_list,
        "categories": selectors.help_categories(),
        "q": q,
        "category": category,
        "audience": audience,
        "audiences": Audience.choices,
    }
    return render(request, htmx_template(request, "workbench/help_index.html", "results"), context)


@require_GET
def help_article(request: HttpRequest, slug: str) -> HttpResponse:
    article = selectors.help_article(slug=slug)
    return render(
        request,
        "workbench/help_article.html",
        {"article": article, "related": selectors.related_articles(article)},
    )


@require_GET
def case_index(request: HttpRequest) -> HttpResponse:
    """成功案例 index: every published case, optionally one kind of party."""
    kind = request.GET.get("kind", "")
    if kind not in PartyKind.values:
        kind = ""
    page = Paginator(selectors.success_cases(party_kind=kind), CASES_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "workbench/case_index.html",
        {"page": page, "cases": page.object_list, "kind": kind, "kinds": PartyKind.choices},
    )


@require_GET
def case_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return render(
        request, "workbench/case_detail.html", {"case": selectors.success_case(slug=slug)}
    )
