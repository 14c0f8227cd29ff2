"""The Chinese of the pages: a word with two senses has a string for each (`pgettext`), so the
button that opens a report does not read 未办结 ("not resolved"); and the catalogue is whole:
no guessed (fuzzy) or missing translation, and the compiled catalogue is the source's."""

from __future__ import annotations

import ast
import datetime as dt
import gettext
import re
from pathlib import Path

import time_machine
from django.test import Client
from django.utils import translation
from django.utils.translation import pgettext

import jieban
from tests.conftest import Cast
from tests.web.conftest import supervised

MESSAGES = Path(jieban.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def open_report_form(html: str) -> str:
    match = re.search(r'<form class="form-inline open-report".*?</form>', html, re.S)
    assert match is not None
    return match.group(0)


def test_the_button_that_opens_a_report_says_so(client: Client, cast: Cast) -> None:
    client.force_login(cast.leader)
    with translation.override("zh-hans"):
        response = client.get("/reports/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    form = open_report_form(response.content.decode())
    [button] = re.findall(r'<button type="submit"[^>]*>([^<]*)</button>', form)
    assert button == "查看"
    assert "未办结" not in form
    assert "查看报表" in response.content.decode()


def test_an_order_still_open_reads_not_yet_fulfilled(client: Client, cast: Cast) -> None:
    ticket = supervised(cast, "PS-B")
    order = ticket.orders.get()
    client.force_login(cast.supervisor)
    with time_machine.travel(order.issued_at + dt.timedelta(hours=1), tick=False):
        html = client.get("/supervision/").content.decode()
    row = re.search(rf'<tr data-order="{order.number}">(.*?)</tr>', html, re.S)
    assert row is not None
    assert '<span class="badge status-dispatched">未办结</span>' in row.group(1)


def test_each_sense_has_its_own_chinese() -> None:
    with translation.override("zh-hans"):
        assert pgettext("open the report the form names", "Open") == "查看"
        assert pgettext("a supervision order not yet fulfilled", "Open") == "未办结"
        # A column of dates, and a day as the unit of a period.
        assert pgettext("the column of dates", "Day") == "日期"
        assert translation.gettext("Day") == "日"
        # The number of tickets a figures row counts, and a sum.
        assert pgettext("the number of tickets", "Total") == "工单总数"
        assert translation.gettext("Total") == "合计"


def entries(po: str) -> list[dict[str, str]]:
    """The entries of a .po file: msgctxt, msgid, msgstr (plural forms by index), flags."""
    found = []
    for block in po.split("\n\n"):
        entry: dict[str, str] = {}
        key = ""
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] = line[2:]
            elif line.startswith("msg"):
                key, _space, value = line.partition(" ")
                entry[key] = ast.literal_eval(value)
            elif line.startswith('"') and key:
                entry[key] += ast.literal_eval(line)
        if entry.get("msgid"):
            found.append(entry)
    return found


def test_the_catalogue_is_whole_and_compiled() -> None:
    po = entries((MESSAGES / "django.po").read_text(encoding="utf-8"))
    assert len(po) > 500
    assert [e["msgid"] for e in po if "fuzzy" in e.get("flags", "")] == []
    assert [e["msgid"] for e in po if not (e.get("msgstr") or e.get("msgstr[0]"))] == []
    with (MESSAGES / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    for entry in po:
        if "msgid_plural" in entry:
            assert (
                catalogue.ngettext(entry["msgid"], entry["msgid_plural"], 1) == (entry["msgstr[0]"])
            )
        elif "msgctxt" in entry:
            assert catalogue.pgettext(entry["msgctxt"], entry["msgid"]) == entry["msgstr"]
        else:
            assert catalogue.gettext(entry["msgid"]) == entry["msgstr"], entry["msgid"]
