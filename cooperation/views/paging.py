"""Pagination shared by cooperation list pages (htmx partials: hotwave.http.htmx_template)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.http import HttpRequest


def paginate(request: HttpRequest, queryset, *, per_page: int = 20) -> Page:
    """The requested page; an out-of-range or malformed ``page`` gives the nearest valid one."""
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))


@dataclass
class WindowPage:
    """A page found without COUNT(*): one extra row tells whether a next page exists.

    For lists that can be 100k rows long (the plaza), where counting every
    admitted creator would cost more than the page itself. Pages stop at
    ``max_pages``: past that, narrowing the filters is the way forward.
    """

    object_list: list
    number: int
    per_page: int
    has_next: bool
    max_pages: int
    total: int | None = None  # how many match, counted no further than the last page
    capped: bool = False  # more match than the pages reach

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @property
    def num_pages(self) -> int | None:
        return None if self.total is None else max(1, -(-self.total // self.per_page))

    @property
    def at_limit(self) -> bool:
        return self.number >= self.max_pages

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.object_list)


def paginate_window(
    request: HttpRequest, queryset, *, per_page: int = 24, max_pages: int = 100, count: bool = False
) -> WindowPage:
    """The requested page (1…max_pages) of an ordered queryset, without counting all of it.

    ``count``: also count the matches, but only as far as the pages reach (a COUNT
    over ``LIMIT per_page × max_pages + 1``), and turn a page number past the end
    into the last page rather than an empty one. The count reads only the rows' keys,
    unordered: how many rows a LIMIT keeps does not depend on their order, and the
    page's annotations and joins for display are not needed to count them.
    """
    try:
        number = int(request.GET.get("page", 1))
    except (TypeError, ValueError):
        number = 1
    number = min(max(number, 1), max_pages)
    total, capped = None, False
    if count:
        reach = per_page * max_pages
        total = queryset.values("pk").order_by()[: reach + 1].count()
        capped = total > reach
        total = min(total, reach)
        number = min(number, max(1, -(-total // per_page)))
    offset = (number - 1) * per_page
    rows = list(queryset[offset : offset + per_page + 1])
    has_next = len(rows) > per_page and number < max_pages
    return WindowPage(rows[:per_page], number, per_page, has_next, max_pages, total, capped)
