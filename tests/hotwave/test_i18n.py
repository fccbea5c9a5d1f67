"""Chinese is the default; the English catalogue covers every string we mark."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _entries(po_text: str) -> dict[tuple[str, str], tuple[str, bool]]:
    """(msgctxt, msgid) -> (msgstr or msgstr[0], fuzzy) from a .po file (simple parser)."""
    entries: dict[tuple[str, str], tuple[str, bool]] = {}
    blocks = po_text.split("\n\n")
    for block in blocks:
        lines = [line for line in block.splitlines() if line.strip()]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields: dict[str, str] = {}
        current = None
        for line in lines:
            if line.startswith("#"):
                continue
            if line.startswith('"') and current:
                fields[current] += _unquote(line)
                continue
            key, _, rest = line.partition(" ")
            current = key
            fields[key] = _unquote(rest)
        if "msgid" not in fields or fields["msgid"] == "":
            continue
        msgstr = fields.get("msgstr", fields.get("msgstr[0]", ""))
        entries[(fields.get("msgctxt", ""), fields["msgid"])] = (msgstr, fuzzy)
    return entries


def _unquote(s: str) -> str:
    s = s.strip()
    if s.startswith('"') and s.endswith('"'):
        s = s[1:-1]
    return s.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def test_english_catalogue_is_complete():
    entries = _entries(PO.read_text(encoding="utf-8"))
    assert entries, "locale/en/LC_MESSAGES/django.po has no entries"
    missing = [msgid for (_, msgid), (msgstr, fuzzy) in entries.items() if not msgstr or fuzzy]
    assert not missing, f"{len(missing)} untranslated or fuzzy, e.g. {missing[:10]}"


@pytest.mark.slow
def test_catalogue_is_up_to_date_with_the_source(tmp_path):
    """makemessages on a copy of the source finds no string missing from locale/en."""
    if not shutil.which("xgettext"):
        pytest.skip("gettext tools not installed")
    src = tmp_path / "src"
    src.mkdir()
    for name in (
        "hotwave",
        "admission",
        "settlement",
        "cooperation",
        "workbench",
        "notifications",
        "conversations",
        "templates",
        "manage.py",
    ):
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(
                path, src / name, ignore=shutil.ignore_patterns("__pycache__", "locale", "i18n")
            )
        else:
            shutil.copy(path, src / name)
    (src / "locale").mkdir()
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-obsolete"],
        cwd=src,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "1", "HOTWAVE_LOCALE_DIR": str(src / "locale")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    fresh = _entries(
        (src / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    )
    committed = _entries(PO.read_text(encoding="utf-8"))
    not_in_catalogue = sorted(key[1] for key in fresh if key not in committed)
    assert not not_in_catalogue, (
        f"{len(not_in_catalogue)} strings are not in locale/en (run `make messages` and translate): "
        f"{not_in_catalogue[:10]}"
    )


def test_compiled_catalogue_matches_the_po(tmp_path):
    mo = PO.with_suffix(".mo")
    assert mo.exists(), "run `make messages` to compile locale/en"
    if not shutil.which("msgfmt"):
        pytest.skip("gettext tools not installed")
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(PO)], check=True, timeout=60)
    assert fresh.read_bytes() == mo.read_bytes(), (
        "locale/en/LC_MESSAGES/django.mo is stale: run `make messages`"
    )


def test_english_pages_are_english(client_for, creator, db):
    c = client_for(creator)
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = c.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "To-do" in html or "To do" in html
