"""The 资金账户 statement as CSV: one row per posting of the period, oldest first.

UTF-8 with a BOM (spreadsheet apps need it to read Chinese); amounts as plain
decimals; text cells that a spreadsheet would run as a formula are quoted
(CSV injection). Streamed: the rows are read in chunks, never all at once.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy

from settlement.catalog import attach_titles
from settlement.selectors.statements import line_reference
from settlement.services.ledger import from_fen_sum

CSV_HEADER = [
    gettext_lazy("业务日期"),
    gettext_lazy("类型"),
    gettext_lazy("订单号"),
    gettext_lazy("商品"),
    gettext_lazy("商品编码"),
    gettext_lazy("达人"),
    gettext_lazy("商家"),
    gettext_lazy("结算价格"),
    gettext_lazy("服务费率"),
    gettext_lazy("分成规则"),
    gettext_lazy("机构分成比例"),
    gettext_lazy("金额"),
    gettext_lazy("摘要"),
]


class _Echo:
    def write(self, value):
        return value


def _pct(value) -> str:
    if value is None:
        return ""
    return f"{(value * 100).normalize():f}%"


def _text(value: str) -> str:
    """A text cell that a spreadsheet will not run as a formula (CSV injection)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _with_titles(lines: QuerySet, chunk: int = 2000):
    """The postings in chunks, their orders' product titles attached (one query a chunk)."""
    batch = []
    for p in lines.iterator(chunk_size=chunk):
        batch.append(p)
        if len(batch) == chunk:
            attach_titles(p.journal.order for p in batch)
            yield from batch
            batch = []
    attach_titles(p.journal.order for p in batch)
    yield from batch


def statement_rows(lines: QuerySet) -> Iterator[list[str]]:
    """The CSV rows of statement postings (header first); amounts as plain decimals."""
    yield [str(h) for h in CSV_HEADER]
    for p in _with_titles(lines):
        j = p.journal
        o = j.order
        yield [
            j.business_date.isoformat(),
            j.get_kind_display(),
            _text(o.order_id) if o else "",
            _text(o.product_title) if o else "",
            _text(o.product_sku) if o else "",
            _text(o.creator.nickname) if o else "",
            _text(o.merchant.shop_name) if o else "",
            f"{j.basis_price:.2f}" if j.basis_price is not None else "",
            _pct(o.service_fee_rate) if o else "",
            o.get_rule_display() if o else "",
            _pct(o.agency_share) if o and o.agency_share is not None else "",
            f"{p.amount:.2f}",
            _text(j.shown_memo),
        ]


def statement_response(lines: QuerySet, *, filename: str) -> StreamingHttpResponse:
    """The statement postings ``lines`` as a streamed CSV attachment named ``filename``."""
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff"
        for row in statement_rows(lines):
            yield writer.writerow(row)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


MONTH_CSV_HEADER = [
    gettext_lazy("业务日期"),
    gettext_lazy("类型"),
    gettext_lazy("关联单号"),
    gettext_lazy("摘要"),
    gettext_lazy("金额"),
    gettext_lazy("余额"),
]


def month_statement_rows(statement, lines: QuerySet) -> Iterator[list[str]]:
    """对账单 CSV rows: header, opening balance, one row a posting, closing balance.

    The lines carry ``running_fen`` (``selectors.statement_month_lines``); amounts
    are plain decimal strings, so the column sums in a spreadsheet to the fen.
    """
    yield [str(h) for h in MONTH_CSV_HEADER]
    start = statement.month.isoformat()
    yield [start, str(gettext_lazy("期初余额")), "", "", "", f"{statement.opening:.2f}"]
    for p in lines.iterator(chunk_size=2000):
        j = p.journal
        yield [
            j.business_date.isoformat(),
            j.get_kind_display(),
            _text(line_reference(p)),
            _text(j.shown_memo),
            f"{p.amount:.2f}",
            f"{statement.opening + from_fen_sum(p.running_fen):.2f}",
        ]
    yield [
        statement.end.isoformat(),
        str(gettext_lazy("期末余额")),
        "",
        "",
        f"{statement.total:.2f}",
        f"{statement.closing:.2f}",
    ]


def month_statement_response(statement, lines: QuerySet, *, filename: str):
    """The month's statement as a streamed CSV attachment (UTF-8 with BOM)."""
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff"
        for row in month_statement_rows(statement, lines):
            yield writer.writerow(row)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
