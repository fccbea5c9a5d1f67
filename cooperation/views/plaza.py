"""主播广场 (streamer plaza) and 达人主页 (creator homepage), for merchants."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.views.decorators.vary import vary_on_headers

from cooperation.filters import PlazaFilter
from cooperation.selectors import plaza as selectors
from cooperation.selectors import ratings as rating_selectors
from cooperation.selectors import scorecards as scorecard_selectors
from cooperation.views.paging import paginate_window
from hotwave.http import htmx_template
from hotwave.pagecache import cached_page

PLAZA_PAGE_SIZE = 24
SALES_DAYS = 30
MIX_DAYS = 90
SESSIONS_PER_PAGE = 10
COOPERATE_FORM_TEMPLATE = "cooperation/tasks/_cooperate_form.html"


@cached_page
@vary_on_headers("HX-Request")
def plaza(request):
    creators = selectors.plaza_creators(actor=request.user)
    filterset = PlazaFilter(request.GET, queryset=creators)
    page = paginate_window(request, filterset.qs, per_page=PLAZA_PAGE_SIZE, count=True)
    context = {
        "filterset": filterset,
        "page": page,
        "sort": filterset.sort_key(),
        "plaza_category": filterset.chosen_category(),
    }
    return render(request, htmx_template(request, "cooperation/plaza.html", "results"), context)


def creator_detail(request, pk: int):
    creator = selectors.creator_for_merchant(actor=request.user, pk=pk)
    sessions = Paginator(
        selectors.creator_live_sessions(creator=creator), SESSIONS_PER_PAGE
    ).get_page(request.GET.get("sessions"))
    context = {
        "creator": creator,
        "recent_tasks": selectors.recent_completed_tasks(creator=creator),
        "card": scorecard_selectors.scorecard_of(creator),
        "trend": selectors.creator_gmv_trend(creator=creator, days=SALES_DAYS),
        "ratings": rating_selectors.ratings_of_creator(creator_id=creator.pk),
        "past": scorecard_selectors.cooperations_by_merchant(
            creator_id=creator.pk, viewer=request.user
        ),
        "sales": selectors.creator_sales(creator=creator, days=SALES_DAYS),
        "sales_days": SALES_DAYS,
        "mix": selectors.creator_category_mix(creator=creator, days=MIX_DAYS),
        "mix_days": MIX_DAYS,
        "sessions_page": sessions,
        "sessions": selectors.live_session_results(sessions.object_list, viewer=request.user),
        "can_cooperate": request.user.is_merchant,
        "cooperate_form_template": _cooperate_form_template(),
    }
    context.update(_cooperate_context(request, creator))
    return render(request, "cooperation/creator_detail.html", context)


def _cooperate_form_template() -> str | None:
    # The 我要合作 form is the tasks area's template; until it exists the page
    # renders without it rather than failing.
    try:
        select_template([COOPERATE_FORM_TEMPLATE])
    except TemplateDoesNotExist:
        return None
    return COOPERATE_FORM_TEMPLATE


def _cooperate_context(request, creator) -> dict:
    """The context the tasks area's 我要合作 form needs (its form, built by its own helper)."""
    if not request.user.is_merchant:
        return {}
    try:
        from cooperation.forms.tasks import cooperate_form_context
    except ImportError:
        return {}
    return cooperate_form_context(merchant=request.user.merchant, creator=creator)
