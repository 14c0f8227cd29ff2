"""The exchange page (`/exchange/`): each platform's link, the messages not delivered (retry
now), those failing for more than a day, and the orders waiting for a mapping (apply them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from django.test import Client

from jieban.exchange.models import CategoryMapping, PlatformMessage, PlatformOrder
from jieban.exchange.outbox import deliver_due
from jieban.tickets import transitions
from jieban.tickets.models import Category
from tests.conftest import Cast, new_ticket
from tests.platform_peer import NOW, make_platform, order, push_orders


def logged_in(person: Any) -> Client:
    client = Client()
    client.force_login(person)
    return client


def a_failing_message(cast: Cast) -> PlatformMessage:
    """A platform nobody answers for (the discard port), and one message to it, tried once."""
    with time_machine.travel(NOW, tick=False):
        make_platform(base_url="http://127.0.0.1:9/api")
        (answer,) = push_orders(order("SZ0200"))
        transitions.accept_ticket(answer["ticket"], by=cast.handler_a)
        deliver_due()
    return PlatformMessage.objects.get()


def test_it_shows_the_queue_with_the_last_error_and_retries_now(cast: Cast) -> None:
    message = a_failing_message(cast)
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        page = logged_in(cast.dispatcher).get("/exchange/")
        assert page.status_code == 200
        text = page.content.decode()
        assert 'data-testid="platform-sz12345"' in text
        assert f'data-testid="message-{message.pk}"' in text
        assert message.last_error and message.last_error in text
        assert 'data-testid="exchange-failing"' not in text
        response = logged_in(cast.dispatcher).post(f"/exchange/messages/{message.pk}/retry/")
        assert response.status_code == 302
        message.refresh_from_db()
        assert message.next_attempt_at == NOW + dt.timedelta(minutes=1)


def test_it_flags_the_messages_failing_for_more_than_a_day(cast: Cast) -> None:
    message = a_failing_message(cast)
    with time_machine.travel(NOW + dt.timedelta(hours=23), tick=False):
        assert 'data-testid="exchange-failing-flag"' not in home_of(cast.dispatcher)
    with time_machine.travel(NOW + dt.timedelta(days=1, minutes=1), tick=False):
        text = logged_in(cast.supervisor).get("/exchange/").content.decode()
        assert 'data-testid="exchange-failing-flag"' in home_of(cast.dispatcher)
    assert 'data-testid="exchange-failing"' in text
    assert message.order.number in text


def home_of(person: Any) -> str:
    """The command centre's home as `person` sees it."""
    return logged_in(person).get("/").content.decode()


def test_it_lists_the_orders_waiting_for_a_mapping_and_applies_them(cast: Cast) -> None:
    with time_machine.travel(NOW, tick=False):
        platform = make_platform()
        push_orders(order("SZ0201", category="C42"))
        text = logged_in(cast.admin).get("/exchange/").content.decode()
        assert 'data-testid="waiting-SZ0201"' in text
        assert "category:C42" in text
        CategoryMapping.objects.create(
            platform=platform, code="C42", category=Category.objects.get(code="renovation_noise")
        )
        response = logged_in(cast.admin).post("/exchange/apply-waiting/", follow=True)
    assert response.status_code == 200
    assert PlatformOrder.objects.get().ticket is not None
    assert 'data-testid="waiting-SZ0201"' not in response.content.decode()


def test_it_is_for_the_command_centre_only(cast: Cast) -> None:
    make_platform()
    assert logged_in(cast.handler_a).get("/exchange/").status_code == 403
    assert logged_in(cast.leader).get("/exchange/").status_code == 403
    assert 'data-testid="menu-exchange"' in logged_in(cast.dispatcher).get("/").content.decode()
    assert 'data-testid="menu-exchange"' not in logged_in(cast.handler_a).get("/").content.decode()


def test_it_sends_to_the_back_office_only_who_may_open_it(cast: Cast) -> None:
    # No platform yet: the administrator is told where to add one, the dispatcher whom to ask.
    admin = logged_in(cast.admin)
    admin.cookies["django_language"] = "en"
    assert "add one in the back office" in admin.get("/exchange/").content.decode()
    dispatcher = logged_in(cast.dispatcher)
    dispatcher.cookies["django_language"] = "en"
    page = dispatcher.get("/exchange/").content.decode()
    assert "an administrator adds them" in page and "add one in the back office" not in page


def test_it_offers_the_unit_a_progress_note_on_a_platforms_ticket(cast: Cast) -> None:
    with time_machine.travel(NOW, tick=False):
        make_platform()
        (answer,) = push_orders(order("SZ0202"))
        number = answer["ticket"]
        page = logged_in(cast.handler_a).get(f"/tickets/{number}/").content.decode()
        assert f'action="/tickets/{number}/progress/"' in page
        empty = logged_in(cast.handler_a).post(f"/tickets/{number}/progress/", {"note": ""})
        assert empty.status_code == 400
        sent = logged_in(cast.handler_a).post(
            f"/tickets/{number}/progress/", {"note": "已联系施工方"}
        )
        assert sent.status_code == 302
        other = new_ticket(cast.dispatcher)
        transitions.dispatch_ticket(other.number, unit=cast.handler_a.unit, by=cast.dispatcher)
        elsewhere = logged_in(cast.handler_a).get(f"/tickets/{other.number}/").content.decode()
    assert f'action="/tickets/{other.number}/progress/"' not in elsewhere
    message = PlatformMessage.objects.get(kind="progress")
    assert message.payload["note"] == "已联系施工方"
