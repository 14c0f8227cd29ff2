"""Reports from the phone (随手报): the action, its API, its idempotency, the notification on
resolution, the network's homes and the network share of the figures."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jieban.community.actions import create_building
from jieban.community.appointments import issue_appointment, revoke_appointment
from jieban.community.models import Appointment, Building, PhoneReport
from jieban.community.network import my_grids
from jieban.community.reports import ReportDraft, my_reports, send_phone_report
from jieban.errors import Conflict, Forbidden, InvalidInput
from jieban.notify.models import Notification
from jieban.org.actions import create_person, create_unit
from jieban.stats.rates import Rounding, row_percent
from jieban.tickets import transitions
from jieban.tickets.defaults import create_default_categories
from jieban.tickets.models import Category, Channel, Ticket
from tests.conftest import Cast, dispatch, local, new_ticket, resolve
from tests.races import race

# A Wednesday in March 2026, with working days around it.
NOW = local(2026, 3, 11, 10)
PNG = b"\x89PNG\r\n\x1a\n phone report"


def photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("现场.png", PNG, content_type="image/png")


def key() -> str:
    return str(uuid.uuid4())


def building(cast: Cast, name: str, grid: str = "G-02") -> Building:
    return create_building(
        grid=grid, kind="building", name=name, address=f"幸福路 {name}", by=cast.admin
    )


def head_letter(cast: Cast, buildings: list[Building], *, days: int = 365) -> Appointment:
    return issue_appointment(
        person="building_head",
        post="building_head",
        buildings=[item.pk for item in buildings],
        starts_on=dt.date(2026, 3, 1),
        ends_on=dt.date(2026, 3, 1) + dt.timedelta(days=days),
        by=cast.leader_a,
    )


def grid_letter(cast: Cast, person: str, post: str, grids: list[str]) -> Appointment:
    return issue_appointment(
        person=person,
        post=post,
        grids=grids,
        starts_on=dt.date(2026, 3, 1),
        ends_on=dt.date(2027, 2, 28),
        by=cast.leader_a,
    )


def draft(**fields: Any) -> ReportDraft:
    values: dict[str, Any] = {
        "content": "3号楼楼道堆放杂物，堵住了消防通道。",
        "idempotency_key": key(),
        "category": "other",
    }
    values.update(fields)
    return ReportDraft(**values)


@pytest.fixture
def now() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


class TestSending:
    def test_a_building_heads_report_is_a_ticket_of_his_building_and_grid(
        self, cast: Cast, now: Any
    ) -> None:
        home = building(cast, "3号楼")
        letter = head_letter(cast, [home])
        ticket, created = send_phone_report(
            draft(latitude="30.123456", longitude="120.654321", photos=[photo()]),
            by=cast.building_head,
        )
        assert created
        ticket = Ticket.objects.select_related("grid").get(pk=ticket.pk)
        assert ticket.channel == Channel.BUILDING_HEAD
        assert ticket.grid is not None and ticket.grid.code == "G-02"
        assert ticket.address == "幸福路 3号楼"
        assert ticket.registered_by_id == cast.building_head.pk
        assert ticket.status == "new"  # the command centre dispatches it like any other
        assert [item.original_name for item in ticket.attachments.all()] == ["现场.png"]
        report = PhoneReport.objects.get(ticket=ticket)
        assert (report.reporter, report.appointment, report.building) == (
            cast.building_head,
            letter,
            home,
        )
        assert (str(report.latitude), str(report.longitude)) == ("30.123456", "120.654321")

    def test_a_grid_officers_report_comes_by_the_grid_channel(self, cast: Cast, now: Any) -> None:
        grid_letter(cast, "grid_officer", "grid_officer", ["G-01"])
        ticket, created = send_phone_report(draft(), by=cast.grid_officer)
        assert created and ticket.channel == Channel.GRID
        assert ticket.grid is not None and ticket.grid.code == "G-01"
        assert PhoneReport.objects.get(ticket=ticket).building is None

    def test_the_same_key_twice_makes_one_ticket(self, cast: Cast, now: Any) -> None:
        head_letter(cast, [building(cast, "3号楼")])
        sent = draft(photos=[photo()])
        first, created = send_phone_report(sent, by=cast.building_head)
        again, created_again = send_phone_report(
            draft(idempotency_key=sent.idempotency_key, photos=[photo()]), by=cast.building_head
        )
        assert (created, created_again) == (True, False)
        assert again.pk == first.pk
        assert Ticket.objects.count() == PhoneReport.objects.count() == 1
        assert first.attachments.count() == 1

    def test_a_building_head_of_several_buildings_picks_one_of_his(
        self, cast: Cast, now: Any
    ) -> None:
        three, five = building(cast, "3号楼"), building(cast, "5号楼", grid="G-01")
        other = building(cast, "7号楼")
        head_letter(cast, [three, five])
        with pytest.raises(InvalidInput) as unpicked:
            send_phone_report(draft(), by=cast.building_head)
        assert unpicked.value.field == "building"
        with pytest.raises(InvalidInput):
            send_phone_report(draft(building=other.pk), by=cast.building_head)
        ticket, _created = send_phone_report(draft(building=five.pk), by=cast.building_head)
        assert ticket.grid is not None and ticket.grid.code == "G-01"
        assert PhoneReport.objects.get(ticket=ticket).building == five

    def test_without_a_letter_in_force_it_says_so(self, cast: Cast) -> None:
        home = building(cast, "3号楼")
        with time_machine.travel(NOW, tick=False):
            with pytest.raises(Conflict, match="没有有效的聘书"):
                send_phone_report(draft(), by=cast.building_head)
            letter = head_letter(cast, [home], days=30)
        # The last day of the term counts; the day after it does not.
        with time_machine.travel(local(2026, 3, 31, 23, 59), tick=False):
            send_phone_report(draft(), by=cast.building_head)
        with time_machine.travel(local(2026, 4, 1, 0, 1), tick=False), pytest.raises(Conflict):
            send_phone_report(draft(), by=cast.building_head)
        with time_machine.travel(NOW, tick=False):
            revoke_appointment(letter.pk, reason="搬走", by=cast.leader_a)
            with pytest.raises(Conflict):
                send_phone_report(draft(), by=cast.building_head)

    @pytest.mark.parametrize(
        "role", ["admin", "dispatcher", "supervisor", "leader", "handler_a", "leader_a", "outsider"]
    )
    def test_every_other_role_is_refused(self, cast: Cast, now: Any, role: str) -> None:
        with pytest.raises(Forbidden):
            send_phone_report(draft(), by=getattr(cast, role))

    def test_a_grid_police_chief_does_not_report_from_the_phone(self, cast: Cast, now: Any) -> None:
        grid_letter(cast, "handler_a", "grid_chief", ["G-01"])
        with pytest.raises(Forbidden):
            send_phone_report(draft(), by=cast.handler_a)

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"idempotency_key": "twice"}, "idempotency_key"),
            ({"latitude": "30.1"}, "latitude"),
            ({"latitude": "91", "longitude": "120"}, "latitude"),
            ({"latitude": "30", "longitude": "east"}, "longitude"),
            ({"content": "  "}, "content"),
            ({"category": "no-such-kind"}, "category"),
        ],
    )
    def test_bad_input_names_the_field(
        self, cast: Cast, now: Any, fields: dict[str, Any], field: str
    ) -> None:
        head_letter(cast, [building(cast, "3号楼")])
        with pytest.raises(InvalidInput) as error:
            send_phone_report(draft(**fields), by=cast.building_head)
        assert error.value.field == field
        assert Ticket.objects.count() == 0

    def test_a_key_of_another_channels_ticket_is_not_a_resend(self, cast: Cast, now: Any) -> None:
        head_letter(cast, [building(cast, "3号楼")])
        taken = key()
        new_ticket(cast.building_head, channel="building_head", external_id=taken)
        with pytest.raises(Conflict):
            send_phone_report(draft(idempotency_key=taken), by=cast.building_head)


class TestFollowing:
    def test_the_reporter_is_told_when_it_is_resolved_and_sees_the_result(
        self, cast: Cast, now: Any
    ) -> None:
        head_letter(cast, [building(cast, "3号楼")])
        ticket, _created = send_phone_report(draft(), by=cast.building_head)
        dispatch(cast, ticket)
        assert not Notification.objects.filter(recipient=cast.building_head).exists()
        resolve(cast, ticket)
        told = Notification.objects.get(recipient=cast.building_head, kind="report_resolved")
        assert told.ticket_id == ticket.pk and told.body == "已处理"
        assert ticket.number in told.title
        [report] = my_reports(cast.building_head)
        assert (report.ticket.status, report.ticket.result) == ("resolved", "已处理")

    def test_a_ticket_of_another_channel_tells_its_registrar_nothing(
        self, cast: Cast, now: Any
    ) -> None:
        ticket = new_ticket(cast.building_head)  # registered as a phone call
        dispatch(cast, ticket)
        resolve(cast, ticket)
        assert not Notification.objects.filter(kind="report_resolved").exists()

    def test_my_reports_are_mine_only(self, cast: Cast, now: Any) -> None:
        head_letter(cast, [building(cast, "3号楼")])
        grid_letter(cast, "grid_officer", "grid_officer", ["G-01"])
        mine, _created = send_phone_report(draft(), by=cast.building_head)
        send_phone_report(draft(), by=cast.grid_officer)
        assert [report.ticket for report in my_reports(cast.building_head)] == [mine]
        assert my_reports(cast.dispatcher) == []


class TestApi:
    def test_post_twice_with_the_header_makes_one_ticket(
        self, cast: Cast, now: Any, api_as: Any
    ) -> None:
        head_letter(cast, [building(cast, "3号楼")])
        api = api_as(cast.building_head)
        header = key()
        api.headers["HTTP_IDEMPOTENCY_KEY"] = header
        body = {"category": "other", "content": "楼道灯坏了", "latitude": 30.5, "longitude": 120.25}
        first = api.post("/reports", body)
        second = api.post("/reports", body)
        assert (first.status_code, second.status_code) == (201, 200)
        assert first.json()["ticket"] == second.json()["ticket"]
        assert first.json()["channel"] == "building_head"
        assert first.json()["grid"] == {"code": "G-02", "name": "第二网格"}
        assert (first.json()["latitude"], first.json()["longitude"]) == (30.5, 120.25)
        assert Ticket.objects.get().external_id == header
        listed = api.get("/reports")
        assert [row["ticket"] for row in listed.json()] == [first.json()["ticket"]]
        # The photos follow as the ticket's attachments: its registrar may add them.
        number = first.json()["ticket"]
        uploaded = api.client.post(
            f"/api/v1/tickets/{number}/attachments", {"file": photo()}, **api.headers
        )
        assert uploaded.status_code == 201

    def test_the_key_in_the_body_and_bad_input_is_a_400_with_the_field(
        self, cast: Cast, now: Any, api_as: Any
    ) -> None:
        head_letter(cast, [building(cast, "3号楼")])
        api = api_as(cast.building_head)
        missing = api.post("/reports", {"content": "灯坏了"})
        assert missing.status_code == 400 and missing.json()["field"] == "idempotency_key"
        half = api.post("/reports", {"content": "灯坏了", "idempotency_key": key(), "latitude": 1})
        assert half.status_code == 400 and half.json()["field"] == "latitude"
        flag = api.post(
            "/reports",
            {"content": "灯坏了", "idempotency_key": key(), "latitude": True, "longitude": 1},
        )
        assert flag.status_code == 400  # a coordinate is a JSON number, not `true`
        ok = api.post("/reports", {"content": "灯坏了", "idempotency_key": key()})
        assert ok.status_code == 201

    def test_no_letter_is_a_409_and_other_roles_a_403(
        self, cast: Cast, now: Any, api_as: Any
    ) -> None:
        refused = api_as(cast.building_head).post(
            "/reports", {"content": "灯坏了", "idempotency_key": key()}
        )
        assert refused.status_code == 409
        assert "没有有效的聘书" in refused.json()["detail"]
        for person in (cast.dispatcher, cast.handler_a, cast.leader):
            api = api_as(person)
            assert api.get("/reports").status_code == 403
            assert (
                api.post("/reports", {"content": "x", "idempotency_key": key()}).status_code == 403
            )


class TestPage:
    def test_it_sends_once_and_lists_the_report(self, cast: Cast, now: Any, client: Client) -> None:
        head_letter(cast, [building(cast, "3号楼")])
        client.force_login(cast.building_head)
        page = client.get("/quick-report/").content.decode()
        assert 'accept="image/*"' in page and 'capture="environment"' in page
        assert 'name="idempotency_key"' in page and "3号楼" in page
        form_key = page.split('name="idempotency_key" value="')[1].split('"')[0]
        assert uuid.UUID(form_key)
        body = {
            "category": "other",
            "content": "楼道堆放杂物",
            "latitude": "30.100000",
            "longitude": "120.200000",
            "idempotency_key": form_key,
        }
        first = client.post("/quick-report/", {**body, "photos": photo()})
        second = client.post("/quick-report/", {**body, "photos": photo()})
        assert first.status_code == second.status_code == 302
        assert Ticket.objects.count() == 1
        listed = client.get("/quick-report/mine/").content.decode()
        ticket = Ticket.objects.get()
        assert ticket.number in listed and "已经" in listed  # "already sent" after the second
        assert ticket.attachments.count() == 1
        # A fresh form carries a fresh key.
        assert form_key not in client.get("/quick-report/").content.decode()

    def test_bad_input_is_shown_on_the_form(self, cast: Cast, now: Any, client: Client) -> None:
        head_letter(cast, [building(cast, "3号楼"), building(cast, "5号楼")])
        client.force_login(cast.building_head)
        response = client.post(
            "/quick-report/", {"category": "other", "content": "", "idempotency_key": key()}
        )
        assert response.status_code == 400
        html = response.content.decode()
        assert 'id="id_content_error"' in html and 'id="id_building_error"' in html
        assert Ticket.objects.count() == 0

    def test_without_a_letter_it_says_so_instead_of_a_form(
        self, cast: Cast, now: Any, client: Client
    ) -> None:
        client.force_login(cast.building_head)
        html = client.get("/quick-report/").content.decode()
        assert 'data-testid="no-letter"' in html and 'data-testid="report-form"' not in html
        posted = client.post(
            "/quick-report/", {"category": "other", "content": "灯坏了", "idempotency_key": key()}
        )
        assert posted.status_code == 409
        assert 'data-testid="no-letter"' in posted.content.decode()

    def test_the_menu_offers_it_to_reporters_only(self, cast: Cast, client: Client) -> None:
        for person in (cast.building_head, cast.grid_officer, cast.dispatcher, cast.handler_a):
            client.force_login(person)
            shown = 'data-testid="menu-phone-report"' in client.get("/").content.decode()
            assert shown == (person in (cast.building_head, cast.grid_officer))
            assert client.get("/quick-report/").status_code == (200 if shown else 403)


class TestHomes:
    def test_the_grid_police_chief_sees_his_grids(self, cast: Cast, client: Client) -> None:
        with time_machine.travel(local(2026, 2, 20, 10), tick=False):
            three = building(cast, "3号楼", grid="G-01")
            five = building(cast, "5号楼", grid="G-01")
            head_letter(cast, [five])
            issue_appointment(
                person="building_head",
                post="building_head",
                buildings=[three.pk],
                starts_on=dt.date(2026, 2, 1),
                ends_on=dt.date(2026, 3, 31),  # within 30 days of NOW: expiring soon
                by=cast.leader_a,
            )
            send_phone_report(draft(building=three.pk), by=cast.building_head)  # last month
            old = new_ticket(cast.dispatcher, grid="G-01")
            dispatch(cast, old)  # due in five working days: overdue by NOW
        with time_machine.travel(NOW, tick=False):
            grid_letter(cast, "handler_a", "grid_chief", ["G-01", "G-02"])
            grid_letter(cast, "grid_officer", "grid_officer", ["G-01"])
            reported, _created = send_phone_report(draft(building=three.pk), by=cast.building_head)
            send_phone_report(draft(building=five.pk), by=cast.building_head)
            send_phone_report(draft(), by=cast.grid_officer)  # about no building
            dispatch(cast, reported)
            new_ticket(cast.dispatcher, grid="G-02")
            desks = {desk.grid.code: desk for desk in my_grids(cast.handler_a)}
            assert set(desks) == {"G-01", "G-02"}
            g01 = desks["G-01"]
            assert (g01.open, g01.overdue, g01.reports_this_month) == (5, 1, 3)
            assert {row.building.name: row.reports for row in g01.buildings} == {
                "3号楼": 1,
                "5号楼": 1,
            }
            assert [(row.letter.ends_on, row.expiring) for row in g01.letters] == [
                (dt.date(2026, 3, 31), True),
                (dt.date(2027, 3, 1), False),
            ]
            assert (desks["G-02"].open, desks["G-02"].letters) == (1, [])
            # The grid officer sees his one grid; a handler without a letter, none.
            assert [desk.grid.code for desk in my_grids(cast.grid_officer)] == ["G-01"]
            assert my_grids(cast.leader_a) == []
            client.force_login(cast.handler_a)
            html = client.get("/").content.decode()
        assert html.count('data-testid="grid-desk"') == 2
        assert 'data-testid="expiring"' in html
        assert 'data-testid="grid-overdue">1<' in html

    def test_due_soon_is_counted_until_the_end_of_the_next_working_day(self, cast: Cast) -> None:
        with time_machine.travel(local(2026, 3, 4, 10), tick=False):
            grid_letter(cast, "grid_officer", "grid_officer", ["G-01"])
            dispatch(cast, new_ticket(cast.dispatcher, grid="G-01"))  # due 11 March, 23:59:59
        with time_machine.travel(local(2026, 3, 9, 10), tick=False):
            [desk] = my_grids(cast.grid_officer)
            assert (desk.open, desk.due_soon, desk.overdue) == (1, 0, 0)
        with time_machine.travel(local(2026, 3, 10, 10), tick=False):
            [desk] = my_grids(cast.grid_officer)
            assert (desk.due_soon, desk.overdue) == (1, 0)
        with time_machine.travel(local(2026, 3, 12, 0, 0), tick=False):
            [desk] = my_grids(cast.grid_officer)
            assert (desk.due_soon, desk.overdue) == (0, 1)

    def test_a_building_heads_home_shows_his_reports_and_letters(
        self, cast: Cast, now: Any, client: Client
    ) -> None:
        letter = head_letter(cast, [building(cast, "3号楼")])
        ticket, _created = send_phone_report(draft(), by=cast.building_head)
        client.force_login(cast.building_head)
        html = client.get("/").content.decode()
        assert 'data-testid="my-reports-desk"' in html and ticket.number in html
        assert f'href="/appointments/{letter.pk}/print/"' in html
        assert 'data-testid="grid-desk"' not in html

    def test_the_grid_officers_home_runs_a_fixed_number_of_queries(
        self, cast: Cast, now: Any, client: Client, django_assert_max_num_queries: Any
    ) -> None:
        grid_letter(cast, "grid_officer", "grid_officer", ["G-01"])
        grid_letter(cast, "grid_officer", "grid_officer", ["G-02"])
        client.force_login(cast.grid_officer)
        client.get("/")
        # The unit's home (20, tests/web/test_home_page.py) and the network's part: the letters'
        # grids, their ticket counts, the month's reports by grid, buildings, by building,
        # building heads' letters and their buildings, the due-soon horizon, one's letters.
        with django_assert_max_num_queries(28):
            assert client.get("/").status_code == 200
        for name in ("7号楼", "8号楼", "9号楼"):
            head_letter(cast, [building(cast, name, grid="G-01")])
            new_ticket(cast.dispatcher, grid="G-02")
        client.get("/")
        with django_assert_max_num_queries(28):
            assert client.get("/").status_code == 200


class TestNetworkShare:
    def test_it_is_the_networks_tickets_over_all_received(self, cast: Cast, api_as: Any) -> None:
        api = api_as(cast.dispatcher)
        with time_machine.travel(NOW, tick=False):
            head_letter(cast, [building(cast, "3号楼")])
            grid_letter(cast, "grid_officer", "grid_officer", ["G-01"])
            send_phone_report(draft(), by=cast.building_head)
            send_phone_report(draft(), by=cast.grid_officer)
            new_ticket(cast.dispatcher)
            new_ticket(cast.dispatcher, channel="building_head")  # a call about a building
            invalid = new_ticket(cast.dispatcher, channel="grid")
            transitions.invalidate_ticket(invalid.number, reason="重复", by=cast.dispatcher)
            [row] = api.get("/stats", start="2026-03-01", end="2026-04-01").json()["rows"]
            [empty] = api.get("/stats", start="2026-02-01", end="2026-03-01").json()["rows"]
            by_channel = {
                row["key"]: row
                for row in api.get(
                    "/stats", start="2026-03-01", end="2026-04-01", group_by="channel"
                ).json()["rows"]
            }
        assert (row["network"], row["total"], row["network_share"]) == (3, 4, 0.75)
        assert (empty["network"], empty["network_share"]) == (0, None)
        assert by_channel["grid"]["network_share"] == 1.0
        assert by_channel["phone"]["network_share"] == 0.0


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sends_of_one_key_make_one_ticket() -> None:
    # A transactional test starts from flushed tables: the migration's categories are gone.
    create_default_categories(Category)
    create_unit(code="BUR", kind="bureau", name="局")
    create_unit(code="PS-A", kind="station", name="甲所", parent="BUR")
    create_unit(code="G-01", kind="grid", name="第一网格", parent="PS-A")
    officer = create_person(
        username="officer", role="grid_officer", unit="G-01", password="test-pass-123"
    )
    leader = create_person(
        username="leader", role="unit_leader", unit="PS-A", password="test-pass-123"
    )
    with time_machine.travel(NOW, tick=True):
        issue_appointment(
            person="officer",
            post="grid_officer",
            grids=["G-01"],
            starts_on=dt.date(2026, 3, 1),
            ends_on=dt.date(2027, 2, 28),
            by=leader,
        )
        sent = key()
        results = race(4, lambda _index: send_phone_report(draft(idempotency_key=sent), by=officer))
    assert not [result for result in results if isinstance(result, Exception)], results
    assert sorted(created for _ticket, created in results) == [False, False, False, True]
    assert len({ticket.pk for ticket, _created in results}) == 1
    assert Ticket.objects.count() == PhoneReport.objects.count() == 1


def test_the_share_rounds_by_the_rule_and_an_older_report_has_no_figure() -> None:
    assert row_percent({"network": 1, "total": 3}, "network_share", Rounding.HALF_UP) == (
        Decimal("33.33")
    )
    assert row_percent({"network": 0, "total": 0}, "network_share", Rounding.HALF_UP) is None
    # Frozen before definitions version 3: no `network` count, so no figure (not 0 %).
    assert row_percent({"total": 5}, "network_share", Rounding.HALF_UP) is None
