"""Payout lifecycle (SPEC §7): 待打款 → 已提交 → 已到账 or 失败.

* ``payout_batch_export`` — the items 待打款 of one business date (and any left
  待打款 from earlier dates) become that date's batch (已提交), written as the
  provider's batch-transfer CSV. Exporting
  the same date again returns the stored file and changes nothing; an item never
  joins or leaves a batch after its export.
* ``payout_results_import`` — the provider's result file: 成功 → 已到账;
  失败 → 失败 with its reason, and a reversal journal ``payout:reverse:<pk>``
  (payouts clearing → the party) returns the amount to the balance. The party's
  payouts are then held until a payout account is verified after the failure
  (``settlement.holds``), and the next nightly run pays the balance — the
  returned amount included — in the next batch. Each line is checked and applied
  on its own (a rejected line changes nothing), a result already recorded is a
  duplicate, and the import is recorded (who, when, the report).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from hotwave.exceptions import DomainError
from hotwave.money import MoneyError, parse_decimal
from settlement import notices
from settlement.models import (
    CURRENT_PAYOUT_ACCOUNT,
    AccountKind,
    JournalKind,
    Payout,
    PayoutAccount,
    PayoutBatch,
    PayoutResultImport,
    PayoutStatus,
)
from settlement.services.ledger import business_date_of, post_journal, system_account

BATCH_HEADER = ["item_id", "payee", "account_name", "account_number", "amount"]
RESULT_HEADER = ["item_id", "status", "reason"]
SUCCESS, FAILURE = "成功", "失败"
UNSTATED_REASON = "渠道未说明原因"


class PayoutError(DomainError):
    code = "payout.invalid"


def _render(rows: list[list[str]], count: int, total) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(BATCH_HEADER)
    writer.writerows(rows)
    writer.writerow(["TOTAL", str(count), "", "", f"{total:.2f}"])
    return out.getvalue()


def payout_batch_export(*, business_date: date, actor=None, now: datetime | None = None):
    """The batch of ``business_date`` (exported now if it was not yet). Returns PayoutBatch."""
    existing = PayoutBatch.objects.filter(business_date=business_date).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _export(business_date, actor, now or timezone.now())
    except IntegrityError:
        # Exported concurrently: the other export's batch is the batch.
        return PayoutBatch.objects.get(business_date=business_date)


def _export(business_date: date, actor, now: datetime) -> PayoutBatch:
    items = list(
        Payout.objects.select_for_update(of=("self",))
        .select_related("account__user")
        # Items of earlier dates still 待打款 (a date never exported, an item created
        # after its date's export) go in this batch: none is left behind.
        .filter(business_date__lte=business_date, status=PayoutStatus.PENDING)
        .order_by("pk")
    )
    accounts = {
        a.user_id: a
        for a in PayoutAccount.objects.filter(
            user_id__in=[i.account.user_id for i in items], status__in=CURRENT_PAYOUT_ACCOUNT
        )
    }
    rows = []
    for item in items:
        account = accounts.get(item.account.user_id)
        item.account_name = account.holder_name if account else ""
        item.account_number = account.account_number if account else ""
        rows.append(
            [
                str(item.pk),
                item.account.user.username,
                item.account_name,
                item.account_number,
                f"{item.amount:.2f}",
            ]
        )
    total = sum((i.amount for i in items), start=parse_decimal("0.00"))
    content = _render(rows, len(items), total)
    batch = PayoutBatch.objects.create(
        business_date=business_date,
        exported_at=now,
        exported_by=actor,
        item_count=len(items),
        total=total,
        content=content,
        sha256=hashlib.sha256(content.encode()).hexdigest(),
    )
    for item in items:
        item.batch = batch
        item.status = PayoutStatus.SUBMITTED
    Payout.objects.bulk_update(items, ["batch", "status", "account_name", "account_number"])
    return batch


# --- results ------------------------------------------------------------------------------


@dataclass
class ResultTally:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    lines: list[str] = field(default_factory=list)  # "line N: rejected: reason"

    @property
    def summary(self) -> str:
        return f"accepted {self.accepted}, duplicates {self.duplicates}, rejected {self.rejected}"


class _Rejected(Exception):
    pass


class _Duplicate(Exception):
    pass


def _apply(item_id: int, status: str, reason: str, amount, at: datetime) -> None:
    with transaction.atomic():
        item = (
            Payout.objects.select_for_update(of=("self",))
            .select_related("account")
            .filter(pk=item_id)
            .first()
        )
        if item is None:
            raise _Rejected(f"unknown item {item_id}")
        if amount is not None and amount != item.amount:
            raise _Rejected(
                f"item {item_id}: amount {amount:.2f} differs from the batch ({item.amount:.2f})"
            )
        wanted = PayoutStatus.PAID if status == SUCCESS else PayoutStatus.FAILED
        if item.status == PayoutStatus.PENDING:
            raise _Rejected(f"item {item_id} has not been exported in a batch yet")
        if item.status == wanted:
            raise _Duplicate
        if item.status != PayoutStatus.SUBMITTED:
            raise _Rejected(
                f"item {item_id} already has the result {PayoutStatus(item.status).label}"
            )
        item.status = wanted
        item.result_at = at
        fields = ["status", "result_at"]
        if wanted == PayoutStatus.FAILED:
            item.failure_reason = reason[:200]
            item.reversal = post_journal(
                key=f"payout:reverse:{item.pk}",
                kind=JournalKind.PAYOUT_REVERSAL,
                business_date=business_date_of(at),
                lines=[
                    (system_account(AccountKind.PAYOUTS), -item.amount),
                    (item.account, item.amount),
                ],
                memo=f"打款退回 payout:{item.pk}",
            )
            fields += ["failure_reason", "reversal"]
        item.save(update_fields=fields)
        notices.payout_result(item)


def _parse_line(row: list[str], has_amount: bool):
    if len(row) < 3:
        raise _Rejected("expected item_id,status,reason")
    item_text, status, reason = row[0].strip(), row[1].strip(), row[2].strip()
    if not item_text.isascii() or not item_text.isdigit():
        raise _Rejected(f"item_id is not a number: {item_text[:40]!r}")
    if status not in (SUCCESS, FAILURE):
        raise _Rejected(f"status must be {SUCCESS} or {FAILURE}, not {status[:20]!r}")
    if status == FAILURE and not reason:
        reason = UNSTATED_REASON
    amount = None
    if has_amount and len(row) > 3 and row[3].strip():
        try:
            amount = parse_decimal(row[3].strip(), field="amount", signed=False)
        except MoneyError as exc:
            raise _Rejected(str(exc)) from exc
    return int(item_text), status, reason, amount


def payout_results_import(
    *, content: bytes, file_name: str, actor=None, now: datetime | None = None
) -> ResultTally:
    """Apply the provider's result file line by line; returns the tally (also recorded)."""
    now = now or timezone.now()
    tally = ResultTally()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        tally.rejected = 1
        tally.lines.append("line 1: rejected: the file is not UTF-8")
        _record(tally, content, file_name, actor, now)
        return tally
    rows = list(csv.reader(io.StringIO(text)))
    header = [c.strip() for c in rows[0]] if rows else []
    if header[:3] != RESULT_HEADER:
        tally.rejected = 1
        tally.lines.append(f"line 1: rejected: the header must be {','.join(RESULT_HEADER)}")
        _record(tally, content, file_name, actor, now)
        return tally
    has_amount = len(header) > 3 and header[3] == "amount"
    seen: dict[int, str] = {}  # the result each item got from an earlier line of this file
    for number, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        try:
            item_id, status, reason, amount = _parse_line(row, has_amount)
            if item_id in seen and seen[item_id] != status:
                raise _Rejected(f"item {item_id} has a second, different result in this file")
            _apply(item_id, status, reason, amount, now)
            seen[item_id] = status
        except _Duplicate:
            seen[item_id] = status
            tally.duplicates += 1
        except _Rejected as exc:
            tally.rejected += 1
            tally.lines.append(f"line {number}: rejected: {exc}")
        else:
            tally.accepted += 1
    _record(tally, content, file_name, actor, now)
    return tally


def _record(tally: ResultTally, content: bytes, file_name: str, actor, now: datetime) -> None:
    PayoutResultImport.objects.create(
        file_name=file_name[:200],
        sha256=hashlib.sha256(content).hexdigest(),
        imported_at=now,
        imported_by=actor,
        accepted=tally.accepted,
        duplicates=tally.duplicates,
        rejected=tally.rejected,
        report="\n".join([*tally.lines, tally.summary]),
    )
