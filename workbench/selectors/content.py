"""帮助中心 and 成功案例: published help articles and success cases."""

from __future__ import annotations

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404

from workbench.models import HelpArticle, HelpCategory, SuccessCase


def cases_for_workbench(*, limit: int = 3) -> list:
    """The first published success cases (2 queries: cases, figures)."""
    return list(success_cases()[:limit])


def help_categories() -> list:
    """Categories that have at least one published article, with their article counts."""
    return list(
        HelpCategory.objects.annotate(
            n=Count("articles", filter=Q(articles__published=True))
        ).filter(n__gt=0)
    )


def help_articles(*, q: str = "", category: str = "", audience: str = ""):
    """Published articles, optionally searched (title, summary and body, both languages)."""
    qs = HelpArticle.objects.published().select_related("category")
    if category:
        qs = qs.filter(category__slug=category)
    if audience:
        qs = qs.filter(audience__in=["all", audience])
    for term in q.split()[:5]:
        qs = qs.filter(
            Q(title_zh__icontains=term)
            | Q(title_en__icontains=term)
            | Q(summary_zh__icontains=term)
            | Q(summary_en__icontains=term)
            | Q(body_zh__icontains=term)
            | Q(body_en__icontains=term)
        )
    return qs.order_by("category__position", "position", "pk")


def help_article(*, slug: str):
    """One published article; unknown or unpublished is a 404."""
    return get_object_or_404(HelpArticle.objects.published().select_related("category"), slug=slug)


def related_articles(article, *, limit: int = 5) -> list:
    return list(
        HelpArticle.objects.published()
        .filter(category_id=article.category_id)
        .exclude(pk=article.pk)
        .order_by("position", "pk")[:limit]
    )


def success_cases(*, party_kind: str = ""):
    """Published success cases in the operators' order, figures prefetched."""
    qs = SuccessCase.objects.published().prefetch_related("figures")
    if party_kind:
        qs = qs.filter(party_kind=party_kind)
    return qs.order_by("position", "-created_at", "pk")


def success_case(*, slug: str):
    return get_object_or_404(SuccessCase.objects.published().prefetch_related("figures"), slug=slug)
