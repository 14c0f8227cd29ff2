"""The working-day calendar page: overrides by administrators, read-only for everyone else."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from jieban.workcalendar import workdays
from jieban.workcalendar.models import CalendarOverride
from tests.conftest import Cast


class TestCalendarPage:
    def test_it_shows_the_official_special_days(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.admin)
        response = client.get("/calendar/2026/")
        assert response.status_code == 200
        html = response.content.decode()
        assert 'data-date="2026-02-17"' in html  # Spring Festival
        assert "春节" in html
        assert 'data-date="2026-01-04"' in html  # a make-up working Sunday
        assert 'data-testid="calendar-warning"' not in html

    def test_it_warns_loudly_about_a_year_without_data(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.admin)
        html = client.get("/calendar/2031/").content.decode()
        assert 'data-testid="calendar-warning"' in html
        assert "本年度没有官方节假日安排数据。" in html
        assert "2031 年没有官方节假日安排" in html

    def test_it_lets_an_admin_add_and_remove_an_override(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.admin)
        response = client.post(
            "/calendar/2031/",
            {"date": "2031-10-08", "kind": "holiday", "source": "国办发明电〔2030〕7号"},
        )
        assert response.status_code == 302
        assert response["Location"] == "/calendar/2031/"
        override = CalendarOverride.objects.get()
        assert (override.date, override.kind, override.updated_by) == (
            dt.date(2031, 10, 8),
            "holiday",
            cast.admin,
        )
        html = client.get("/calendar/2031/").content.decode()
        assert 'data-date="2031-10-08"' in html
        assert "国办发明电〔2030〕7号" in html
        assert "人工调整" in html

        # Replacing the same date keeps one override.
        client.post(
            "/calendar/2031/", {"date": "2031-10-08", "kind": "workday", "source": "更正通知"}
        )
        assert CalendarOverride.objects.get().kind == "workday"

        response = client.post("/calendar/remove/", {"date": "2031-10-08"})
        assert response.status_code == 302
        assert not CalendarOverride.objects.exists()
        assert "已删除 2031-10-08 的调整。" in client.get(response["Location"]).content.decode()

    def test_it_shows_a_missing_source_on_its_field(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.admin)
        response = client.post(
            "/calendar/2031/", {"date": "2031-10-08", "kind": "holiday", "source": ""}
        )
        assert response.status_code == 400
        assert (
            'id="id_source_error" role="alert">请填写所依据的通知。<' in response.content.decode()
        )
        assert not CalendarOverride.objects.exists()

    def test_it_is_read_only_for_other_roles(self, client: Client, cast: Cast) -> None:
        workdays.set_override(
            date=dt.date(2031, 1, 2), kind="holiday", source="通知", by=cast.admin
        )
        for person in (cast.dispatcher, cast.handler_a, cast.leader):
            client.force_login(person)
            response = client.get("/calendar/2031/")
            assert response.status_code == 200
            html = response.content.decode()
            assert 'name="source"' not in html
            assert "/calendar/remove/" not in html
            assert "只有管理员可以修改工作日历。" in html
            response = client.post(
                "/calendar/2031/", {"date": "2031-10-08", "kind": "holiday", "source": "x"}
            )
            assert response.status_code == 403
            assert client.post("/calendar/remove/", {"date": "2031-01-02"}).status_code == 403
        assert list(CalendarOverride.objects.values_list("date", flat=True)) == [
            dt.date(2031, 1, 2)
        ]

    def test_it_is_a_404_for_an_absurd_year(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.admin)
        assert client.get("/calendar/99999/").status_code == 404
