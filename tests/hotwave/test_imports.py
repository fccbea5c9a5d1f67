"""The dependency direction, read from the source: admission ← settlement ← cooperation ←
workbench, hotwave/ imports no app, and a neighbour's tables are read only through its
selectors.

Every ``.py`` of the product is parsed (``ast``), migrations excepted (they run against
historical models). ``tests/`` and ``bench/`` are not product code: tests check the
tables themselves, and the load generator writes rows straight into them.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
NOT_PRODUCT = {"tests", "bench", ".venv", "var", "node_modules", "staticfiles", "locale"}
APPS = ("notifications", "admission", "settlement", "cooperation", "conversations", "workbench")
# What each top-level package may import of the four apps (the direction).
MAY_IMPORT = {
    "hotwave": set(),
    # 通知 sits below every app: it knows users (the auth model) and nothing else.
    "notifications": {"notifications"},
    "admission": {"notifications", "admission"},
    "settlement": {"notifications", "admission", "settlement"},
    "cooperation": {"notifications", "admission", "settlement", "cooperation"},
    "conversations": {"notifications", "admission", "settlement", "cooperation", "conversations"},
    "workbench": set(APPS),
}
# Apps whose models (and tables) their neighbours reach only through the app's selectors.
GUARDED = ("settlement", "cooperation")


@dataclass(frozen=True)
class Use:
    path: str
    line: int
    what: str  # "import x.y", "get_model x", "table x_y"
    target: str  # the dotted module (or app label) used

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _product_files() -> list[Path]:
    files = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in NOT_PRODUCT or "migrations" in rel.parts or len(rel.parts) == 1:
            continue
        files.append(path)
    return files


def _tables(label: str) -> set[str]:
    return {m._meta.db_table for m in apps.get_app_config(label).get_models()}


def _text_of(node: ast.expr):
    """A constant's value; an f-string's text with ``*`` for each formatted part."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "*" for v in node.values)
    return None


def uses_in(source: str, path: str, tables: dict[str, set[str]]) -> list[Use]:
    """Every import of a module, ``apps.get_model``/``import_module`` call and string naming
    one of ``tables`` (``{app label: table names}``) in ``source``."""
    found: list[Use] = []
    table_re = {
        label: re.compile(r"\b(" + "|".join(sorted(map(re.escape, names))) + r")\b")
        for label, names in tables.items()
        if names
    }
    for node in ast.walk(ast.parse(source, filename=path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Use(path, node.lineno, f"import {alias.name}", alias.name))
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                # `from settlement import models` imports the module settlement.models.
                found.append(
                    Use(
                        path,
                        node.lineno,
                        f"from {node.module} import {alias.name}",
                        f"{node.module}.{alias.name}",
                    )
                )
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            args = [_text_of(a) for a in node.args]
            if name == "get_model" and args and isinstance(args[0], str):
                label = args[0].split(".")[0]
                found.append(Use(path, node.lineno, f"get_model {args[0]}", f"{label}.models"))
            elif name == "import_module" and args and isinstance(args[0], str):
                found.append(Use(path, node.lineno, f"import_module {args[0]}", args[0]))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            for label, pattern in table_re.items():
                match = pattern.search(node.value)
                if match:
                    found.append(
                        Use(path, node.lineno, f"table {match.group(1)}", f"{label}.models")
                    )
    return found


def _top(dotted: str) -> str:
    return dotted.split(".")[0]


def _package(path: str) -> str:
    return path.split("/")[0]


def _is_models(target: str, label: str) -> bool:
    return target == f"{label}.models" or target.startswith(f"{label}.models.")


@pytest.fixture(scope="module")
def uses() -> list[Use]:
    tables = {label: _tables(label) for label in GUARDED}
    out = []
    for path in _product_files():
        rel = str(path.relative_to(ROOT))
        out.extend(uses_in(path.read_text(encoding="utf-8"), rel, tables))
    return out


def test_the_walk_reads_the_product(uses):
    files = {_package(u.path) for u in uses}
    assert set(APPS) | {"hotwave"} <= files
    assert len(_product_files()) > 100


def test_the_dependency_direction_holds(uses):
    wrong = [
        str(u)
        for u in uses
        if _package(u.path) in MAY_IMPORT
        and _top(u.target) in APPS
        and _top(u.target) not in MAY_IMPORT[_package(u.path)]
    ]
    assert not wrong, "\n".join(wrong)


def test_nobody_outside_settlement_reads_its_models_or_tables(uses):
    """The enums and reads other apps need come from ``settlement.selectors`` (and the
    rule from ``settlement.commission``); raw SQL naming settlement's tables is refused."""
    wrong = [
        str(u)
        for u in uses
        if _package(u.path) != "settlement" and _is_models(u.target, "settlement")
    ]
    assert not wrong, "\n".join(wrong)


def test_runtime_code_imports_no_migration(uses):
    """Data that migrations and the demo seed both write lives in a module both import
    (``<app>/starter_content.py``, ``workbench/operator_group.py``)."""
    wrong = [str(u) for u in uses if ".migrations." in f"{u.target}." and "django" not in u.target]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "source",
    [
        "importlib.import_module('workbench.migrations.0003_operator_group')",
        "importlib.import_module(f'admission.migrations.{name}')",
        "from admission.migrations import x",
    ],
)
def test_an_import_of_a_migration_is_seen(source):
    (use,) = uses_in(source, "workbench/x.py", {})
    assert ".migrations." in f"{use.target}."


def test_the_workbench_reads_cooperation_through_its_selectors(uses):
    wrong = [
        str(u)
        for u in uses
        if _package(u.path) == "workbench" and _is_models(u.target, "cooperation")
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "source",
    [
        "from settlement.models import Order",
        "import settlement.models",
        "import settlement.models as m",
        "from settlement import models",
        "def f():\n    from settlement.models import Binding",
        "apps.get_model('settlement', 'Order')",
        "apps.get_model('settlement.Order')",
        "importlib.import_module('settlement.models')",
        "SQL = 'SELECT * FROM settlement_order o'",
        "SQL = 'SELECT 1 FROM \"settlement_posting\"'",
    ],
)
def test_each_way_of_reaching_settlements_models_is_seen(source):
    found = uses_in(source, "cooperation/x.py", {"settlement": _tables("settlement")})
    assert any(_is_models(u.target, "settlement") for u in found), found


def test_what_is_allowed_is_not_seen_as_a_models_import():
    source = (
        "from settlement.selectors import BindingStatus, figures\n"
        "from settlement import selectors\n"
        "from settlement.commission import split\n"
        "URL = 'settlement:fund_account'\n"
    )
    found = uses_in(source, "workbench/x.py", {"settlement": _tables("settlement")})
    assert not [u for u in found if _is_models(u.target, "settlement")]
