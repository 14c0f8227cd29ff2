"""What the pages show of the clocks: the extension forms on the ticket page, the badges for a
ticket late for dispatch or signing or gone to the leaders, the centre's tiles and lists, the
inbox's late ones, and the leader's escalated tickets."""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from django.test import Client

from jieban.tickets import transitions
from jieban.tickets.extensions import request_extension
from jieban.tickets.models import Extension, Ticket
from tests.conftest import Cast, local, new_ticket
from tests.web.conftest import dispatched_at, supervised, sweep_at

SECOND = dt.timedelta(seconds=1)


def page(client: Client, ticket: Ticket) -> str:
    response = client.get(f"/tickets/{ticket.number}/")
    assert response.status_code == 200
    return response.content.decode()


def forms_offered(html: str) -> list[str]:
    return re.findall(r'data-form="([^"]+)"', html)


class TestExtensionOnTheTicketPage:
    def test_the_unit_asks_and_the_centre_approves(self, client: Client, cast: Cast) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        with time_machine.travel(local(2026, 3, 6, 10), tick=False):
            client.force_login(cast.handler_a)
            assert "extension" in forms_offered(page(client, ticket))
            url = f"/tickets/{ticket.number}/extension/"
            bad = client.post(url, {"days": "30", "reason": "x"})
            assert bad.status_code == 400
            assert "1 到 10 个工作日" in bad.content.decode() or "1" in bad.content.decode()
            assert not Extension.objects.exists()
            done = client.post(url, {"days": "3", "reason": "需调取监控"}, follow=True)
            html = done.content.decode()
            assert "已申请延期 3 个工作日" in html
            assert 'data-testid="badge-extension"' in html
            assert "extension" not in forms_offered(html)  # one pending request at a time
            client.force_login(cast.dispatcher)
            html = page(client, ticket)
            assert {"extension-approve", "extension-reject"} <= set(forms_offered(html))
            home = client.get("/").content.decode()
            pending = re.search(r'data-testid="extensions"(.*?)</section>', home, re.DOTALL)
            assert pending is not None and ticket.number in pending.group(1)
            done = client.post(
                f"/tickets/{ticket.number}/extension/approve/", {"note": "同意"}, follow=True
            )
            html = done.content.decode()
        assert "新的办理期限为 2026-03-12 23:59" in html
        due = re.search(r'data-testid="due-at">([^<]+)', html)
        assert due is not None and due.group(1).strip() == "2026-03-12 23:59"
        extension = re.search(r'data-testid="extension">(.*?)</dd>', html, re.DOTALL)
        assert extension is not None and "已批准" in extension.group(1)

    def test_a_rejection_needs_a_note_and_shows_the_form_again(
        self, client: Client, cast: Cast
    ) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        with time_machine.travel(local(2026, 3, 6, 10), tick=False):
            request_extension(ticket.number, days=2, reason="x", by=cast.handler_a)
            client.force_login(cast.supervisor)
            refused = client.post(f"/tickets/{ticket.number}/extension/reject/", {"note": ""})
            assert refused.status_code == 400
            assert 'data-form="extension-reject"' in refused.content.decode()
        assert Extension.objects.get().status == "pending"

    def test_after_the_deadline_the_form_is_not_offered_and_a_post_is_refused(
        self, client: Client, cast: Cast
    ) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        assert ticket.due_at is not None
        with time_machine.travel(ticket.due_at + SECOND, tick=False):
            client.force_login(cast.handler_a)
            assert "extension" not in forms_offered(page(client, ticket))
            refused = client.post(
                f"/tickets/{ticket.number}/extension/", {"days": "2", "reason": "晚了"}
            )
        assert refused.status_code == 409
        assert "2026-03-09 23:59" in refused.content.decode()
        assert not Extension.objects.exists()

    def test_others_are_not_offered_the_forms(self, client: Client, cast: Cast) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        with time_machine.travel(local(2026, 3, 6, 10), tick=False):
            for person in (cast.leader, cast.dispatcher):
                client.force_login(person)
                assert not {"extension", "extension-approve"} & set(
                    forms_offered(page(client, ticket))
                )
            client.force_login(cast.leader)
            refused = client.post(
                f"/tickets/{ticket.number}/extension/", {"days": "2", "reason": "x"}
            )
            assert refused.status_code == 403


class TestClockBadges:
    def test_late_for_dispatch_on_the_ticket_and_the_centres_tile(
        self, client: Client, cast: Cast
    ) -> None:
        with time_machine.travel(local(2026, 3, 2, 2), tick=False):
            ticket = new_ticket(cast.dispatcher)
        client.force_login(cast.dispatcher)
        with time_machine.travel(local(2026, 3, 2, 4), tick=False):
            assert 'data-testid="badge-dispatch-late"' not in page(client, ticket)
            assert 'data-testid="count-dispatch_late">0<' in client.get("/").content.decode()
        with time_machine.travel(local(2026, 3, 2, 4) + SECOND, tick=False):
            assert 'data-testid="badge-dispatch-late"' in page(client, ticket)
            home = client.get("/").content.decode()
            assert 'data-testid="count-dispatch_late">1<' in home
            listed = client.get("/tickets/?dispatch_late=1").content.decode()
            assert ticket.number in listed

    def test_the_inbox_flags_a_ticket_not_signed_for_in_time(
        self, client: Client, cast: Cast
    ) -> None:
        late = dispatched_at(cast, local(2026, 3, 2, 9))
        fresh = dispatched_at(cast, local(2026, 3, 3, 9))
        client.force_login(cast.handler_a)
        with time_machine.travel(local(2026, 3, 4, 9), tick=False):
            html = client.get("/inbox/").content.decode()
            assert html.count('data-testid="badge-accept-late"') == 1
            count = re.search(r'href="([^"]+)" data-testid="accept-late-count"', html)
            assert count is not None
            listed = client.get(count.group(1).replace("&amp;", "&")).content.decode()
            assert late.number in listed and fresh.number not in listed
            home = client.get("/").content.decode()
            assert 'data-testid="count-accept_late">1<' in home
            assert 'data-testid="badge-accept-late"' in page(client, late)

    def test_the_leaders_and_the_centre_see_the_escalated_tickets(
        self, client: Client, cast: Cast
    ) -> None:
        ticket = supervised(cast, breaches=3)
        order = ticket.orders.get(level=3)
        sweep_at(order.due_at + SECOND)
        moment = order.due_at + dt.timedelta(hours=1)
        with time_machine.travel(moment, tick=False):
            for person in (cast.leader, cast.supervisor, cast.dispatcher):
                client.force_login(person)
                home = client.get("/").content.decode()
                part = re.search(r'data-testid="escalated"(.*?)</section>', home, re.DOTALL)
                assert part is not None and ticket.number in part.group(1), person.username
                # Still overdue on every page that shows it.
                assert "超期" in part.group(1)
            html = page(client, ticket)
            assert 'data-testid="badge-escalated"' in html
            assert 'data-testid="badge-overdue"' in html
        # Resolved: it leaves the list.
        with time_machine.travel(moment, tick=False):
            transitions.resolve_ticket(ticket.number, result="已处理", by=cast.handler_a)
            client.force_login(cast.leader)
            home = client.get("/").content.decode()
            assert 'data-testid="escalated-count">0<' in home
