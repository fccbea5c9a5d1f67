"""The money kernel's shape (issue 15): small functions with names that say what they do,
and every advisory lock in ``settlement.services.locking``, which refuses a transaction
lock outside a transaction."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import pytest
from django.db import connections, transaction

from settlement.services import locking

ROOT = Path(__file__).resolve().parents[2]
KERNEL = [
    *sorted((ROOT / "settlement/services/events").glob("*.py")),
    *sorted((ROOT / "settlement/services/settle").glob("*.py")),
    ROOT / "settlement/services/locking.py",
]
MAX_LINES = 80
# A longer function says why in its docstring, in these words.
LONG_BECAUSE = "Long because"
CRYPTIC = {"_O", "_N", "_walk", "_left"}


def _functions(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def test_the_kernel_is_where_the_docs_say():
    names = {p.relative_to(ROOT).as_posix() for p in KERNEL}
    assert {
        "settlement/services/events/parse.py",
        "settlement/services/events/decide.py",
        "settlement/services/events/write.py",
        "settlement/services/events/pipeline.py",
        "settlement/services/settle/rule_python.py",
        "settlement/services/settle/rule_sql.py",
        "settlement/services/settle/run.py",
        "settlement/services/settle/spread.py",
    } <= names


def test_no_kernel_function_is_long_without_a_reason():
    long = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1})"
        for path in KERNEL
        for node in _functions(path)
        if node.end_lineno - node.lineno + 1 > MAX_LINES
        and LONG_BECAUSE not in (ast.get_docstring(node) or "")
    ]
    assert long == []


def test_kernel_names_explain_themselves():
    found = []
    for path in KERNEL:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            name = getattr(node, "name", None) or getattr(node, "id", None)
            if name in CRYPTIC:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert found == []


def test_every_advisory_lock_is_taken_in_the_locking_module():
    outside = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {"tests", "bench", ".venv", "var", "node_modules"}:
            continue
        if rel.as_posix() == "settlement/services/locking.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if re.search(r"pg_(try_)?advisory", line):
                outside.append(f"{rel}:{number}")
    assert outside == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_transaction_locks_refuse_outside_a_transaction():
    with pytest.raises(locking.LockOutsideTransaction):
        locking.settlement_runs_shared()
    with pytest.raises(locking.LockOutsideTransaction):
        locking.try_claim_settlement_range(
            business_date=date(2026, 10, 31), phase="settle", after=0
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_claimed_range_is_refused_to_a_second_claim_in_another_transaction():
    day = date(2026, 10, 31)
    with transaction.atomic():
        locking.settlement_runs_shared()
        assert locking.try_claim_settlement_range(business_date=day, phase="settle", after=0)
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))",
                    [locking.settlement_range_key(day, "settle", 0)],
                )
                assert cursor.fetchone()[0] is False
        finally:
            other.close()
    # Released at commit: the same range can be claimed again.
    with transaction.atomic():
        assert locking.try_claim_settlement_range(business_date=day, phase="settle", after=0)
