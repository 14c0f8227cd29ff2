"""The mediation figures' pages: the figures page with its pickers (bad input is the form again,
never a 500), the monthly mediation report (live, then frozen), its Excel workbook cell by
cell, the leader's studio and mediator rankings, and who may open each."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from jieban.mediation.models import MediationCase
from jieban.stats.models import PublishedReport
from tests.conftest import Cast, local
from tests.test_mediation import Mediation, set_up_mediation
from tests.test_mediation_figures import december

JANUARY = local(2027, 1, 2, 10)
DECEMBER_SPAN = "?start=2026-12-01&end=2026-12-31"


@pytest.fixture
def mediation(cast: Cast) -> Mediation:
    return set_up_mediation()


@pytest.fixture
def cases(mediation: Mediation) -> dict[str, MediationCase]:
    return december(mediation)


def row_values(html: str, key: str) -> str:
    """The row of `key` in the page's HTML, from its opening tag to its end."""
    start = html.index(f'data-key="{key}"')
    return html[start : html.index("</tr>", start)]


class TestFiguresPage:
    def test_it_shows_the_grouped_figures(
        self, client: Client, cast: Cast, cases: dict[str, MediationCase]
    ) -> None:
        client.force_login(cast.leader)
        response = client.get(f"/stats/mediation/{DECEMBER_SPAN}&group_by=studio")
        assert response.status_code == 200
        html = response.content.decode()
        yang = row_values(html, "YANG")
        assert "老杨调解工作室" in yang
        # Two succeeded of three concluded: 66.67 % by the default rule (half up).
        assert "66.67%" in yang and 'data-value="3599.00"' in yang
        footer = row_values(html, "all")
        assert "75.00%" in footer and "3,799.50" in footer

    def test_it_splits_by_month(
        self, client: Client, cast: Cast, cases: dict[str, MediationCase]
    ) -> None:
        client.force_login(cast.leader)
        html = client.get(
            "/stats/mediation/?start=2026-11-01&end=2026-12-31&period=month"
        ).content.decode()
        assert 'data-key="2026-11"' in html and 'data-key="2026-12"' in html

    def test_bad_input_is_the_form_again(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.leader)
        for query in (
            f"{DECEMBER_SPAN}&group_by=unit",
            "?start=2026-12-31&end=2026-12-01",
            "?start=nonsense&end=2026-12-01",
        ):
            response = client.get(f"/stats/mediation/{query}")
            assert response.status_code == 400, query
            assert "has-error" in response.content.decode()

    def test_a_mediator_sees_the_studios_figures_a_building_head_none(
        self, client: Client, cast: Cast, mediation: Mediation, cases: dict[str, MediationCase]
    ) -> None:
        client.force_login(mediation.yang)
        html = client.get(f"/stats/mediation/{DECEMBER_SPAN}&group_by=studio").content.decode()
        assert 'data-key="YANG"' in html and 'data-key=""' not in html
        client.force_login(cast.building_head)
        assert client.get("/stats/mediation/").status_code == 403


class TestMonthlyReport:
    def test_it_is_live_then_frozen(
        self, client: Client, cast: Cast, cases: dict[str, MediationCase]
    ) -> None:
        with time_machine.travel(JANUARY, tick=False):
            client.force_login(cast.leader)
            live = client.get("/reports/mediation/2026-12/").content.decode()
            assert 'data-testid="live-note"' in live
            assert (
                "全县 1 个调解工作室和 1 个人民调解委员会共调处矛盾纠纷 4 起，调处成功率 75.00%。"
                in live
            )
            published = client.post("/reports/mediation/2026-12/publish/")
            assert published.status_code == 302
        MediationCase.objects.filter(pk=cases["lost"].pk).update(status="succeeded")
        frozen = client.get("/reports/mediation/2026-12/").content.decode()
        assert 'data-testid="published-note"' in frozen and "调处成功率 75.00%" in frozen
        assert PublishedReport.objects.get(kind="mediation").data["overall"]["succeeded"] == 3

    def test_it_is_the_bureaus(self, client: Client, cast: Cast, mediation: Mediation) -> None:
        client.force_login(mediation.yang)
        assert client.get("/reports/mediation/2026-12/").status_code == 404
        client.force_login(cast.leader)
        assert client.get("/reports/mediation/2026-13/").status_code == 404

    def test_the_workbook_holds_the_page_figures(
        self, client: Client, cast: Cast, cases: dict[str, MediationCase]
    ) -> None:
        with time_machine.travel(JANUARY, tick=False):
            client.force_login(cast.dispatcher)
            response = client.get("/reports/mediation/2026-12/export.xlsx")
        assert response.status_code == 200
        book = load_workbook(io.BytesIO(response.content))
        summary = book.worksheets[0]
        assert summary["A1"].value == "矛盾纠纷调解月报 2026-12"
        assert summary["A2"].value == (
            "全县 1 个调解工作室和 1 个人民调解委员会共调处矛盾纠纷 4 起，调处成功率 75.00%。"
        )
        header = [cell.value for cell in summary[4]]
        assert header[:7] == [
            "期间",
            "受理",
            "调结",
            "调解成功",
            "调解不成",
            "调处成功率",
            "按期调结",
        ]
        overall = [cell.value for cell in summary[5]]
        assert overall[:7] == ["2026-12", 4, 4, 3, 1, Decimal("0.75"), 4]
        assert summary.cell(row=5, column=6).number_format == "0.00%"
        assert overall[-1] == pytest.approx(3799.5)
        studios = book["按调解工作室"]
        rows: dict[Any, list[Any]] = {
            row[0]: list(row[1:]) for row in studios.iter_rows(min_row=2, values_only=True)
        }
        assert rows["YANG"][:5] == ["老杨调解工作室", 3, 3, 2, 1]
        assert [sheet.title for sheet in book.worksheets] == [
            "总体",
            "按调解工作室",
            "按调解员",
            "按调委会层级",
            "按纠纷类型",
        ]


class TestLeadersHome:
    def test_it_ranks_studios_and_mediators(
        self, client: Client, cast: Cast, cases: dict[str, MediationCase]
    ) -> None:
        with time_machine.travel(local(2026, 12, 28, 10), tick=False):
            client.force_login(cast.leader)
            html = client.get("/").content.decode()
        studios = html[html.index('data-testid="studio-ranking"') :]
        studios = studios[: studios.index("</table>")]
        assert 'data-key="YANG"' in studios and 'data-key=""' not in studios
        mediators = html[html.index('data-testid="mediator-ranking"') :]
        mediators = mediators[: mediators.index("</table>")]
        # village (1 of 1), then li and yang (1 of 2 each, as many concluded: by name).
        assert mediators.index('data-key="village"') < mediators.index('data-key="li"')
        assert mediators.index('data-key="li"') < mediators.index('data-key="yang"')
