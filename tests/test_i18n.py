"""Chinese by default, English on request, and a complete, compiled catalog."""
import ast
import gettext
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

PO = Path(settings.BASE_DIR) / "locale/zh_Hans/LC_MESSAGES/django.po"
MO = PO.with_suffix(".mo")


def read_po(path):
    """(msgctxt, msgid, [msgstr...], flags) for each live entry of a .po file."""
    entries, entry, key = [], None, None

    def close():
        if entry and entry.get("msgid") is not None:
            entries.append(entry)

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith("#~"):
            continue
        if not line.strip():
            close()
            entry, key = None, None
            continue
        entry = entry if entry is not None else {"flags": "", "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"] += line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if isinstance(key, tuple):
                entry["msgstr"][key[1]] += value
            else:
                entry[key] += value
        else:
            word, _, rest = line.partition(" ")
            value = ast.literal_eval(rest)
            if word.startswith("msgstr"):
                key = ("msgstr", int(word[7:-1]) if "[" in word else 0)
                entry["msgstr"][key[1]] = value
            else:
                key = word
                entry[key] = value
    return entries


def test_catalog_is_complete():
    entries = [e for e in read_po(PO) if e["msgid"]]
    assert len(entries) > 200
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == [] and fuzzy == []


def test_compiled_catalog_matches_the_source():
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in read_po(PO):
        if not entry["msgid"] or "msgid_plural" in entry:
            continue
        msgid = entry["msgid"]
        if "msgctxt" in entry:
            assert compiled.pgettext(entry["msgctxt"], msgid) == entry["msgstr"][0], msgid
        else:
            assert compiled.gettext(msgid) == entry["msgstr"][0], msgid


@pytest.mark.django_db
def test_pages_are_chinese_by_default_and_english_on_request(world, client_for):
    client = client_for(world.training_officer)
    page = client.get(reverse("workflow:inbox")).content.decode()
    assert '<html lang="zh-CN">' in page and "任务收件箱" in page and "进修学校培训部" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/inbox/"})
    page = client.get(reverse("workflow:inbox")).content.decode()
    assert '<html lang="en">' in page and "Task inbox" in page


@pytest.mark.django_db
def test_viewflow_pages_read_in_chinese(world, client_for):
    page = client_for(world.training_officer).get(reverse("review:queue")).content.decode()
    assert "队列" in page


@pytest.mark.django_db
def test_dates_display_the_chinese_way(world, client_for):
    from tests.factories import make_school_plan

    document = make_school_plan(world)
    client_for(world.school_officer).post(reverse("plans:submit", args=[document.pk]))
    page = client_for(world.school_officer).get(reverse("plans:detail", args=[document.pk])).content.decode()
    year = document.trail.get().created_at.year
    assert f"{year}年" in page and "月" in page


@pytest.mark.django_db
def test_english_browser_still_gets_chinese_until_english_is_chosen(world, client_for):
    client = client_for(world.school_officer)
    page = client.get(reverse("plans:list"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "文档" in page and '<html lang="zh-CN">' in page
