"""Registering a call fast: the caller's recent tickets as the number is typed, a repeat in one
click, the searchable category list, and a refused form that stores nothing."""

from __future__ import annotations

import re

from django.test import Client

from jieban.org.models import Unit, User
from jieban.tickets import transitions
from jieban.tickets.access import may_see_full_phone, visible_tickets
from jieban.tickets.models import Attachment, Ticket, TicketEvent
from jieban.tickets.selectors import tickets_with_full_phone
from tests.conftest import Cast, local, new_ticket
from tests.web.conftest import HTMX, dispatched
from tests.web.test_register_page import call, field_error

CALLER = "13912345678"


def listed(html: str) -> list[str]:
    return re.findall(r'data-testid="caller-ticket" data-number="(JB\d{8}-\d{4})"', html)


def repeat_choices(html: str) -> list[str]:
    return re.findall(r'<input type="radio" name="repeat_of" value="([^"]*)"', html)


def recent(client: Client, phone: str) -> str:
    response = client.get("/tickets/new/recent", {"phone": phone}, **HTMX)
    assert response.status_code == 200
    return response.content.decode()


class TestCallerRecentTickets:
    def test_it_lists_the_callers_last_five_newest_first(self, client: Client, cast: Cast) -> None:
        made = [
            new_ticket(cast.dispatcher, resident_phone=CALLER, received_at=local(2026, 3, day))
            for day in range(1, 8)
        ]
        new_ticket(cast.dispatcher, resident_phone="13900000000")
        client.force_login(cast.dispatcher)
        html = recent(client, CALLER)
        assert listed(html) == [ticket.number for ticket in reversed(made[2:])]
        # Each one links to the ticket in a new tab, so the call being typed is not lost.
        assert f'href="/tickets/{made[6].number}/" target="_blank"' in html
        # A dispatcher may mark the new call as a repeat of any of them, or of none.
        assert repeat_choices(html) == [*listed(html), ""]
        assert re.search(r'value=""[^>]*checked', html)

    def test_it_takes_the_phone_exactly(self, client: Client, cast: Cast) -> None:
        new_ticket(cast.dispatcher, resident_phone=CALLER)
        client.force_login(cast.dispatcher)
        assert listed(recent(client, CALLER[:-1])) == []
        assert listed(recent(client, f"  {CALLER} ")) != []
        # The field's own name works too: htmx sends the input's value under it.
        html = client.get("/tickets/new/recent", {"resident_phone": CALLER}, **HTMX)
        assert len(listed(html.content.decode())) == 1

    def test_it_says_nothing_until_the_number_is_long_enough(
        self, client: Client, cast: Cast, django_assert_max_num_queries: object
    ) -> None:
        client.force_login(cast.dispatcher)
        client.get("/tickets/new/recent", {"phone": ""})  # the session is loaded once
        with django_assert_max_num_queries(2):  # type: ignore[operator]
            html = recent(client, "139")
        assert "来电号码" in html and 'data-testid="caller-none"' not in html
        html = recent(client, "13900009999")
        assert 'data-testid="caller-none"' in html

    def test_it_shows_a_station_only_its_own_tickets(self, client: Client, cast: Cast) -> None:
        at_a = dispatched(cast, "PS-A", resident_phone=CALLER)
        dispatched(cast, "PS-B", resident_phone=CALLER)
        new_ticket(cast.dispatcher, resident_phone=CALLER)
        # A grid officer registers calls; the lookup shows them no ticket of another unit.
        client.force_login(cast.grid_officer)
        assert listed(recent(client, CALLER)) == []
        transitions.dispatch_ticket(
            at_a.number, unit=Unit.objects.get(code="G-01"), by=cast.dispatcher
        )
        html = recent(client, CALLER)
        assert listed(html) == [at_a.number]
        # Only the command centre marks repeats.
        assert repeat_choices(html) == []

    def test_it_is_closed_to_those_who_do_not_register(self, client: Client, cast: Cast) -> None:
        dispatched(cast, "PS-A", resident_phone=CALLER)
        for person in (cast.handler_a, cast.handler_b, cast.leader, cast.outsider):
            client.force_login(person)
            response = client.get("/tickets/new/recent", {"phone": CALLER}, **HTMX)
            assert response.status_code == 403, person
            assert "caller-ticket" not in response.content.decode()
        client.logout()
        assert client.get("/tickets/new/recent", {"phone": CALLER}).status_code == 302

    def test_it_does_not_offer_a_merged_ticket_as_the_earlier_one(
        self, client: Client, cast: Cast
    ) -> None:
        kept = new_ticket(cast.dispatcher, resident_phone=CALLER)
        gone = new_ticket(cast.dispatcher, resident_phone=CALLER)
        transitions.merge_ticket(gone.number, into=kept.number, by=cast.dispatcher)
        client.force_login(cast.dispatcher)
        html = recent(client, CALLER)
        assert set(listed(html)) == {kept.number, gone.number}
        assert repeat_choices(html) == [kept.number, ""]

    def test_it_runs_a_fixed_number_of_queries(
        self, client: Client, cast: Cast, django_assert_num_queries: object
    ) -> None:
        for code in ("PS-A", "PS-B", "PS-A"):
            dispatched(cast, code, resident_phone=CALLER)
            new_ticket(cast.dispatcher, resident_phone=CALLER)
        client.force_login(cast.dispatcher)
        # session, user, the caller's tickets with their categories and units
        with django_assert_num_queries(3):  # type: ignore[operator]
            html = recent(client, CALLER)
        assert len(listed(html)) == 5
        client.force_login(cast.grid_officer)
        with django_assert_num_queries(3):  # type: ignore[operator]
            recent(client, CALLER)


class TestLookupRule:
    def test_it_is_the_full_phone_rule_as_a_query(self, cast: Cast) -> None:
        tickets = [
            new_ticket(cast.dispatcher),
            dispatched(cast, "PS-A"),
            dispatched(cast, "PS-B"),
            new_ticket(cast.grid_officer),
            new_ticket(cast.building_head),
        ]
        people: list[User] = [
            cast.admin,
            cast.dispatcher,
            cast.supervisor,
            cast.leader,
            cast.handler_a,
            cast.leader_a,
            cast.handler_b,
            cast.grid_officer,
            cast.building_head,
            cast.outsider,
        ]
        for person in people:
            allowed = set(tickets_with_full_phone(person).values_list("pk", flat=True))
            visible = set(visible_tickets(person).values_list("pk", flat=True))
            for ticket in tickets:
                expected = ticket.pk in visible and may_see_full_phone(person, ticket)
                assert (ticket.pk in allowed) == expected, (person, ticket)


class TestRegisterWithRepeat:
    def test_it_marks_the_new_ticket_as_a_repeat_in_one_go(
        self, client: Client, cast: Cast
    ) -> None:
        earlier = dispatched(cast, "PS-A", resident_phone=CALLER)
        client.force_login(cast.dispatcher)
        response = client.post("/tickets/new/", call(repeat_of=earlier.number))
        assert response.status_code == 302
        ticket = Ticket.objects.exclude(pk=earlier.pk).get()
        assert ticket.repeat_of == earlier
        assert ticket.status == "new"
        assert Ticket.objects.get(pk=earlier.pk).repeat_count == 1
        assert list(ticket.events.values_list("kind", flat=True)) == ["intake", "repeat_of"]
        page = client.get(response["Location"]).content.decode()
        assert f"工单 {ticket.number} 已登记，为 {earlier.number} 的重复反映。" in page
        assert f'data-testid="repeat-of"><a href="/tickets/{earlier.number}/"' in page

    def test_a_refused_repeat_leaves_no_ticket(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        response = client.post("/tickets/new/", call(repeat_of="JB20990101-0001"))
        assert response.status_code == 400
        html = response.content.decode()
        assert "没有工单 JB20990101-0001" in html
        assert not Ticket.objects.exists()
        assert not TicketEvent.objects.exists()

    def test_a_repeat_of_a_merged_ticket_is_refused(self, client: Client, cast: Cast) -> None:
        kept = new_ticket(cast.dispatcher, resident_phone=CALLER)
        gone = new_ticket(cast.dispatcher, resident_phone=CALLER)
        transitions.merge_ticket(gone.number, into=kept.number, by=cast.dispatcher)
        client.force_login(cast.dispatcher)
        response = client.post("/tickets/new/", call(repeat_of=gone.number))
        assert response.status_code == 409
        assert Ticket.objects.count() == 2

    def test_only_the_command_centre_marks_repeats(self, client: Client, cast: Cast) -> None:
        earlier = new_ticket(cast.grid_officer, resident_phone=CALLER)
        client.force_login(cast.grid_officer)
        response = client.post("/tickets/new/", call(repeat_of=earlier.number))
        assert response.status_code == 403
        assert Ticket.objects.count() == 1
        assert Ticket.objects.get().repeat_count == 0

    def test_a_bad_form_comes_back_with_the_callers_tickets_and_the_choice(
        self, client: Client, cast: Cast
    ) -> None:
        earlier = new_ticket(cast.dispatcher, resident_phone=CALLER)
        client.force_login(cast.dispatcher)
        response = client.post("/tickets/new/", call(content=" ", repeat_of=earlier.number))
        assert response.status_code == 400
        html = response.content.decode()
        assert field_error(html, "content") == "诉求内容不能为空。"
        assert listed(html) == [earlier.number]
        assert re.search(rf'value="{earlier.number}"[^>]*checked', html)
        assert Ticket.objects.count() == 1
        assert not Attachment.objects.exists()
        assert Ticket.objects.get().repeat_count == 0


class TestRegisterPageForTheKeyboard:
    def test_it_looks_the_caller_up_as_the_number_is_typed(
        self, client: Client, cast: Cast
    ) -> None:
        client.force_login(cast.dispatcher)
        html = client.get("/tickets/new/").content.decode()
        phone = re.search(r'<input type="tel" name="resident_phone"[^>]*>', html)
        assert phone is not None
        assert 'hx-get="/tickets/new/recent"' in phone.group()
        assert 'hx-target="#caller-recent"' in phone.group()
        assert 'id="caller-recent"' in html
        # One key submits: Enter in a one-line field, Ctrl+Enter anywhere (site.js).
        assert "data-ctrl-enter-submits" in html

    def test_it_makes_the_category_list_searchable(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        html = client.get("/tickets/new/").content.decode()
        select = re.search(r'<select name="category"[^>]*>', html)
        assert select is not None and "data-searchable" in select.group()
        assert 'data-search-label="搜索类别"' in select.group()

    def test_the_fields_come_in_the_order_of_the_call(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        html = client.get("/tickets/new/").content.decode()
        form = html[html.index('id="register-form"') :]
        order = re.findall(r'<(?:input|select|textarea)[^>]*name="([a-z_]+)"', form)
        assert order[:10] == [
            "csrfmiddlewaretoken",
            "resident_phone",
            "resident_name",
            "channel",
            "external_id",
            "address",
            "grid",
            "category",
            "title",
            "content",
        ]
        # No positive tabindex anywhere: the tab order is the page's order.
        assert not re.search(r'tabindex="[1-9]', html)

    def test_the_page_runs_a_fixed_number_of_queries(
        self, client: Client, cast: Cast, django_assert_num_queries: object
    ) -> None:
        earlier = new_ticket(cast.dispatcher, resident_phone=CALLER)
        client.force_login(cast.dispatcher)
        # session, user, the bell, grids, categories (no phone yet: no lookup)
        with django_assert_num_queries(5):  # type: ignore[operator]
            assert client.get("/tickets/new/").status_code == 200
        # A refused form comes back with the caller's tickets: one query more; the earlier
        # reports of the same matter: the grid's id, then the latest of the phone, the building
        # and the grid in one statement (two); and the grid and unit suggested for it: its
        # category and grid, the address's building and place, the grid's station, the
        # dispatch rules (six).
        with django_assert_num_queries(14):  # type: ignore[operator]
            response = client.post("/tickets/new/", call(content="", resident_phone=CALLER))
        assert response.status_code == 400
        assert listed(response.content.decode()) == [earlier.number]
