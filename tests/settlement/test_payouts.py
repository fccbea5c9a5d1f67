"""Payout lifecycle (issue 20, SPEC §7): batches, results, failures reversed and retried."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal as D

import pytest
from django.core.management import call_command

from settlement.holds import holds_for
from settlement.models import Journal, JournalKind, Payout, PayoutBatch, PayoutResultImport
from settlement.services.events import ingest_objects
from settlement.services.payout_accounts import payout_account_submit, payout_account_verify
from settlement.services.report import total
from settlement.services.settle import settle_through
from tests.admission.factories import OperatorFactory
from tests.settlement.factories import confirmed, paid, payable

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 5)


def _settle_order(merchant, creator, order_id, day: date, amount="100.00"):
    """An order paid and confirmed on ``day``, settled that night: creator earns 60% of 20%."""
    iso = day.isoformat()
    ingest_objects(
        [
            paid(order_id, merchant, creator, amount, "0.20", f"{iso}T10:00:00+08:00"),
            confirmed(order_id, f"{iso}T12:00:00+08:00"),
        ],
        source="file",
    )
    settle_through(business_date=day)


def _report() -> dict:
    out = io.StringIO()
    call_command("ledger_report", "--json", stdout=out)
    return json.loads(out.getvalue())


def _export(tmp_path, day: date, name="batch.csv") -> list[list[str]]:
    path = tmp_path / name
    call_command(
        "payout_batch", "--date", day.isoformat(), "--out", str(path), stdout=io.StringIO()
    )
    return list(csv.reader(path.open(encoding="utf-8")))


def _results(tmp_path, text: str, name="results.csv") -> tuple[int, list[str]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    try:
        call_command("payout_results", str(path), stdout=out)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue().splitlines()


@pytest.fixture
def carol(creator):
    payable(creator)
    return creator


def test_the_batch_file_has_the_contract_shape_and_exporting_again_changes_nothing(
    tmp_path, merchant, carol, other_creator
):
    payable(other_creator)
    _settle_order(merchant, carol, "P-1", DAY)
    _settle_order(merchant, other_creator, "P-2", DAY, amount="55.55")
    rows = _export(tmp_path, DAY)
    items = list(Payout.objects.order_by("pk"))
    assert rows[0] == ["item_id", "payee", "account_name", "account_number", "amount"]
    assert rows[1] == [str(items[0].pk), "carol", "实名carol", items[0].account_number, "12.00"]
    assert rows[2][1:] == ["dave", "实名dave", items[1].account_number, "6.67"]
    assert rows[-1] == ["TOTAL", "2", "", "", "18.67"]
    assert {p.status for p in Payout.objects.all()} == {"submitted"}
    first = (tmp_path / "batch.csv").read_bytes()
    journals = Journal.objects.count()
    _export(tmp_path, DAY, name="again.csv")
    assert (tmp_path / "again.csv").read_bytes() == first
    assert Journal.objects.count() == journals and PayoutBatch.objects.count() == 1


def test_a_batch_cannot_change_after_export(tmp_path, merchant, carol, other_creator):
    _settle_order(merchant, carol, "P-1", DAY)
    _export(tmp_path, DAY)
    batch = PayoutBatch.objects.get()
    # An item of the same date created after the export (a late order, the run again)
    # does not join the exported batch: it goes in the next one.
    payable(other_creator)
    _settle_order(merchant, other_creator, "P-2", DAY)
    late = Payout.objects.get(account__user=other_creator)
    assert _export(tmp_path, DAY, name="again.csv")[-1] == ["TOTAL", "1", "", "", "12.00"]
    assert list(batch.items.all()) == [Payout.objects.get(account__user=carol)]
    late.refresh_from_db()
    assert late.status == "pending"
    rows = _export(tmp_path, date(2026, 11, 6), name="next.csv")
    assert [r[0] for r in rows[1:-1]] == [str(late.pk)]


def test_an_empty_day_exports_an_empty_batch(tmp_path):
    assert _export(tmp_path, DAY) == [
        ["item_id", "payee", "account_name", "account_number", "amount"],
        ["TOTAL", "0", "", "", "0.00"],
    ]


def test_a_failed_item_is_reversed_held_until_the_account_is_fixed_and_paid_in_the_next_batch(
    tmp_path, merchant, carol
):
    _settle_order(merchant, carol, "P-1", DAY)
    _export(tmp_path, DAY)
    item = Payout.objects.get()
    assert _report()["accounts"]["creator:carol"] == {
        "earned": "12.00",
        "paid_out": "12.00",
        "balance": "0.00",
    }
    code, out = _results(tmp_path, f"item_id,status,reason\n{item.pk},失败,收款账户户名不符\n")
    assert (code, out[-1]) == (0, "accepted 1, duplicates 0, rejected 0")
    item.refresh_from_db()
    assert (item.status, item.failure_reason) == ("failed", "收款账户户名不符")
    reversal = Journal.objects.get(key=f"payout:reverse:{item.pk}")
    assert reversal.kind == JournalKind.PAYOUT_REVERSAL
    assert _report()["accounts"]["creator:carol"] == {
        "earned": "12.00",
        "paid_out": "0.00",
        "balance": "12.00",
    }
    assert total() == D("0.00")
    assert [r.code for r in holds_for(carol)] == ["payout_failed"]

    # Importing the same file again: all duplicates, nothing moves.
    code, out = _results(tmp_path, f"item_id,status,reason\n{item.pk},失败,收款账户户名不符\n")
    assert (code, out[-1]) == (0, "accepted 0, duplicates 1, rejected 0")
    assert Journal.objects.filter(kind=JournalKind.PAYOUT_REVERSAL).count() == 1

    # The next night pays nothing while the account is not fixed.
    _settle_order(merchant, carol, "P-2", date(2026, 11, 6))
    assert not Payout.objects.filter(business_date=date(2026, 11, 6)).exists()
    # The creator fixes the account; the operator verifies it; the next night pays it all.
    account = payout_account_submit(
        actor=carol, method="alipay", holder_name="实名carol", account_number="13900139000"
    )
    payout_account_verify(account=account, operator=OperatorFactory())
    assert holds_for(carol) == []
    settle_through(business_date=date(2026, 11, 7))
    retry = Payout.objects.get(business_date=date(2026, 11, 7))
    assert retry.amount == D("24.00")  # the returned 12.00 and the new night's 12.00
    rows = _export(tmp_path, date(2026, 11, 7), name="next.csv")
    assert rows[1] == [str(retry.pk), "carol", "实名carol", "13900139000", "24.00"]
    code, out = _results(tmp_path, f"item_id,status,reason\n{retry.pk},成功,\n", name="ok.csv")
    assert (code, out[-1]) == (0, "accepted 1, duplicates 0, rejected 0")
    figures = _report()["accounts"]["creator:carol"]
    assert figures == {"earned": "24.00", "paid_out": "24.00", "balance": "0.00"}
    assert total() == D("0.00")


def test_bad_result_lines_are_rejected_one_by_one_and_change_nothing(tmp_path, merchant, carol):
    _settle_order(merchant, carol, "P-1", DAY)
    _settle_order(merchant, carol, "P-3", date(2026, 11, 6))  # pending: not exported
    _export(tmp_path, DAY)
    item = Payout.objects.get(business_date=DAY)
    pending = Payout.objects.get(business_date=date(2026, 11, 6))
    text = (
        "item_id,status,reason,amount\n"
        f"{item.pk},成功,,12.01\n"  # amount differs from the batch
        "999999,成功,\n"  # unknown
        f"{item.pk},退票,\n"  # bad status
        f"abc,成功,\n"
        f"{pending.pk},成功,\n"  # not exported
        f"{item.pk},成功,,12.00\n"  # accepted
        f"{item.pk},失败,银行退票\n"  # a second, different result
        f"{item.pk},成功,\n"  # the same result again: a duplicate
    )
    code, out = _results(tmp_path, text)
    assert code == 1
    assert out == [
        f"line 2: rejected: item {item.pk}: amount 12.01 differs from the batch (12.00)",
        "line 3: rejected: unknown item 999999",
        "line 4: rejected: status must be 成功 or 失败, not '退票'",
        "line 5: rejected: item_id is not a number: 'abc'",
        f"line 6: rejected: item {pending.pk} has not been exported in a batch yet",
        f"line 8: rejected: item {item.pk} has a second, different result in this file",
        "accepted 1, duplicates 1, rejected 6",
    ]
    item.refresh_from_db()
    pending.refresh_from_db()
    assert (item.status, pending.status) == ("paid", "pending")
    assert not Journal.objects.filter(kind=JournalKind.PAYOUT_REVERSAL).exists()
    # A later file that fails a paid item is refused too.
    code, out = _results(tmp_path, f"item_id,status,reason\n{item.pk},失败,迟到的失败\n")
    assert code == 1 and out[0] == f"line 2: rejected: item {item.pk} already has the result 已到账"
    assert PayoutResultImport.objects.count() == 2


def test_a_result_file_with_a_wrong_header_is_refused(tmp_path):
    code, out = _results(tmp_path, "id,result\n1,成功\n")
    assert code == 1
    assert out == [
        "line 1: rejected: the header must be item_id,status,reason",
        "accepted 0, duplicates 0, rejected 1",
    ]
