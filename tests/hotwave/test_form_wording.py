"""Every validation message a user can meet is ours, in both languages (issue 13, defect 7).

Each form of the product is filled with bad input, field by field; no error may
be one of Django's own catalogue strings ("确保该值大于或等于0.01。",
"Ensure that there are no more than 14 digits in total."), and in English none
may still be Chinese. A form class added to one of the forms modules without an
entry in ``FORMS`` fails ``test_every_form_is_walked``.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import django
import django_filters
import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from hotwave.forms import OurWording

pytestmark = pytest.mark.django_db

FORM_MODULES = (
    "hotwave.forms",
    "admission.forms",
    "cooperation.forms.products",
    "cooperation.forms.tasks",
    "cooperation.filters",
    "settlement.forms",
)

BAD = [
    "",
    "   ",
    "x" * 5001,
    "a\x00b",
    "abc",
    "1e3",
    "-5",
    "+5",
    "1,000",
    "12.345",
    "9" * 30,
    "2026-13-45",
    "javascript:alert(1)",
    "99999999999999999999",
]


def _forms_of(merchant, creator):
    """Every form class of the product, each with a way to build it from data."""
    from cooperation import filters
    from cooperation.forms.products import ProductForm
    from cooperation.forms.tasks import TaskCreateForm

    return {
        "ProductForm": lambda data, files: ProductForm(data, files, merchant=merchant),
        "TaskCreateForm": lambda data, files: TaskCreateForm(
            data, merchant=merchant, creator=creator
        ),
        "LoginForm": lambda data, files: _module_form("hotwave.forms", "LoginForm")(
            None, data=data
        ),
        "PlazaFilterForm": lambda data, files: filters.PlazaFilter(data).form,
        "PlazaFilter": lambda data, files: filters.PlazaFilter(data).form,
        "ProductFilter": lambda data, files: filters.ProductFilter(data).form,
    }


def _module_form(module: str, name: str):
    return getattr(importlib.import_module(module), name)


def _declared_forms() -> dict[str, type]:
    found = {}
    for module_name in FORM_MODULES:
        module = importlib.import_module(module_name)
        for name, obj in vars(module).items():
            if not inspect.isclass(obj) or obj.__module__ != module_name:
                continue
            if issubclass(obj, forms.BaseForm | django_filters.FilterSet):
                if name in ("Form",):
                    continue
                found[name] = obj
    return found


def _builders(merchant, creator):
    special = _forms_of(merchant, creator)
    builders = {}
    for name, cls in _declared_forms().items():
        if name in special:
            builders[name] = special[name]
        elif issubclass(cls, forms.BaseForm):
            builders[name] = lambda data, files, cls=cls: cls(data, files)
    return builders


# --- Django's own words -------------------------------------------------------------------

DJANGO = Path(django.__file__).parent
CATALOGUES = [
    DJANGO / "conf" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po",
    DJANGO / "contrib" / "auth" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po",
]
PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[sdrf]")


def _po_strings(path: Path) -> set[str]:
    """Every msgid, msgid_plural and msgstr of a Django catalogue."""
    strings, current = set(), None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith(("msgid", "msgstr")):
            if current:
                strings.add(current)
            current = _unquote(line.split(" ", 1)[1])
        elif line.startswith('"') and current is not None:
            current += _unquote(line)
        else:
            if current:
                strings.add(current)
            current = None
    return strings


def _unquote(s: str) -> str:
    return s.strip()[1:-1].replace('\\"', '"').replace("\\n", "\n")


def _pattern(text: str) -> re.Pattern | None:
    """A regex matching ``text`` with any value in its placeholders (None if it would match anything)."""
    parts = PLACEHOLDER.split(text)
    if len("".join(parts).strip()) < 6:  # "Yes", "%s", "%(name)s: %(error)s"
        return None
    return re.compile(".+?".join(re.escape(part) for part in parts), re.DOTALL)


@pytest.fixture(scope="module")
def stock_patterns():
    patterns = []
    for path in CATALOGUES:
        for text in _po_strings(path):
            pattern = _pattern(text)
            if pattern is not None:
                patterns.append(pattern)
    assert len(patterns) > 300
    return patterns


def _is_stock(message: str, patterns) -> bool:
    return any(p.fullmatch(message) for p in patterns)


CJK = re.compile(r"[\u4e00-\u9fff]")


def _bad_data(form, value):
    data, files = {}, {}
    for name, field in form.fields.items():
        if isinstance(field, forms.FileField):
            files[name] = SimpleUploadedFile("x" * 120 + ".exe", b"")
        elif isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
            data[name] = [value, "999999999"]
        else:
            data[name] = value
    return data, files


def _errors(build, value):
    blank = build(None, None)
    data, files = _bad_data(blank, value)
    form = build(data, files)
    form.is_valid()
    return [(name, str(m)) for name, messages in form.errors.items() for m in messages]


def test_every_form_is_walked(merchant, creator):
    declared = _declared_forms()
    assert declared, "no forms found"
    builders = _builders(merchant.merchant, creator.creator)
    missing = [name for name in declared if name not in builders]
    assert not missing, f"forms without a builder in this test: {missing}"
    for name, cls in declared.items():
        if issubclass(cls, forms.BaseForm):
            assert issubclass(cls, OurWording), f"{name} does not speak our wording"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_form_speaks_djangos_stock_wording(merchant, creator, stock_patterns, language):
    builders = _builders(merchant.merchant, creator.creator)
    seen, stock, untranslated = 0, [], []
    with translation.override(language):
        for form_name, build in builders.items():
            for value in BAD:
                for field, message in _errors(build, value):
                    seen += 1
                    if _is_stock(message, stock_patterns):
                        stock.append(f"{form_name}.{field} {value[:12]!r}: {message}")
                    if language == "en" and CJK.search(message):
                        untranslated.append(f"{form_name}.{field}: {message}")
    assert seen > 100
    assert not stock, "Django's stock wording:\n" + "\n".join(sorted(set(stock)))
    assert not untranslated, "Chinese in English:\n" + "\n".join(sorted(set(untranslated)))


def test_the_product_form_speaks_our_words(merchant):
    from cooperation.forms.products import ProductForm

    form = ProductForm(
        {"sku": "", "title": "杯子", "price": "0", "service_fee_percent": "123456789"},
        merchant=merchant.merchant,
    )
    with translation.override("zh-hans"):  # a test client's English request stays active
        assert not form.is_valid()
        assert form.errors["sku"] == ["请填写商品编码。"]
        assert form.errors["category"] == ["请选择类目。"]
        assert form.errors["price"] == ["价格至少 0.01 元。"]
        assert form.errors["service_fee_percent"] == ["服务费率不能高于 80%（平台上限）。"]


def test_a_stock_message_is_recognised(stock_patterns):
    assert _is_stock("确保该值大于或等于0.01。", stock_patterns)
    assert _is_stock("Ensure that there are no more than 14 digits in total.", stock_patterns)
    assert not _is_stock("价格至少 0.01 元。", stock_patterns)
