"""对账单: a party's monthly statement on screen (paginated, print-ready) and as CSV.

Scoped by the actor: the URL names no party, so a party only ever reads its own
statement; roles without a 资金账户 get a 404.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from admission.models import Role
from settlement import exports, selectors

STATEMENT_LINES_PER_PAGE = 50


def _month_of(request: HttpRequest):
    """(month, error): the requested month, or this month and why the request was refused."""
    today = timezone.localdate()
    text = request.GET.get("month", "")
    if not text:
        return today.replace(day=1), ""
    try:
        return selectors.parse_month(text, today=today), ""
    except selectors.MonthError as exc:
        if str(exc) == "range":
            message = _("只能查看 2000 年 1 月至本月的对账单。")
        else:
            message = _("月份格式应为 年-月，例如 2026-03。")
        return today.replace(day=1), message


@require_GET
def fund_statement(request: HttpRequest) -> HttpResponse:
    """对账单: opening balance, every movement of the month, closing balance."""
    user = request.user
    month, error = _month_of(request)
    statement = selectors.month_statement(actor=user, month=month)
    lines = selectors.statement_month_lines(actor=user, month=month)
    printing = request.GET.get("print") == "1"
    if printing:
        page = None
        rows = selectors.with_running_balance(lines, statement.opening)
    else:
        paginator = Paginator(lines, STATEMENT_LINES_PER_PAGE)
        paginator.count = statement.line_count  # counted with the balances: no COUNT query
        page = paginator.get_page(request.GET.get("page"))
        rows = selectors.with_running_balance(page.object_list, statement.opening)
    today = timezone.localdate()
    this_month = today.replace(day=1)
    previous = selectors.shift_month(month, -1)
    following = selectors.shift_month(month, 1)
    month_q = f"month={month:%Y-%m}"
    context = {
        "statement": statement,
        "rows": rows,
        "page_obj": page,
        "printing": printing,
        "month_value": f"{month:%Y-%m}",
        "max_month": f"{this_month:%Y-%m}",
        "previous_month": f"{previous:%Y-%m}" if previous >= selectors.FIRST_MONTH else "",
        "next_month": f"{following:%Y-%m}" if following <= this_month else "",
        "month_query": month_q,
        "error": error,
        "party_name": user.display_name,
        "role_label": Role(user.role).label,
        "is_merchant": user.role == Role.MERCHANT,
        "export_url": f"{reverse('settlement:fund_statement_export')}?{month_q}",
        "generated_at": timezone.now(),
    }
    return render(request, "settlement/fund_statement.html", context, status=400 if error else 200)


@require_GET
def fund_statement_export(request: HttpRequest) -> HttpResponse:
    """The month's statement as CSV: opening line, one row a movement, closing line."""
    user = request.user
    month, error = _month_of(request)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    statement = selectors.month_statement(actor=user, month=month)
    lines = selectors.statement_month_lines(actor=user, month=month)
    filename = f"hotwave-monthly-statement-{user.username}-{month:%Y%m}.csv"
    return exports.month_statement_response(statement, lines, filename=filename)
