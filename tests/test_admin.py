"""The back office: administrators edit categories and their deadlines; others may not enter."""

from __future__ import annotations

from django.test import Client

from jieban.tickets.models import Category
from tests.conftest import Cast, new_ticket


def test_an_admin_changes_a_categorys_deadline_and_dispatch_uses_it(cast: Cast) -> None:
    from jieban.org.models import Unit
    from jieban.tickets import transitions

    client = Client()
    client.force_login(cast.admin)
    category = Category.objects.get(code="fraud_check")
    page = client.get(f"/admin/tickets/category/{category.pk}/change/")
    assert page.status_code == 200
    form = {
        "code": category.code,
        "name": category.name,
        "name_en": category.name_en,
        "parent": "",
        "deadline_days": "1",
        "practical": "",
        "is_active": "on",
    }
    response = client.post(f"/admin/tickets/category/{category.pk}/change/", form)
    assert response.status_code == 302
    ticket = new_ticket(cast.dispatcher, category="fraud_check")
    ticket = transitions.dispatch_ticket(
        ticket.number, unit=Unit.objects.get(code="PS-A"), by=cast.dispatcher
    )
    assert ticket.dispatched_at is not None and ticket.due_at is not None
    from jieban.workcalendar.workdays import compute_deadline

    assert ticket.due_at == compute_deadline(ticket.dispatched_at, 1).due_at


def test_a_dispatcher_cannot_enter_the_back_office(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.dispatcher)
    assert client.get("/admin/tickets/category/").status_code == 302


def test_the_api_docs_load_nothing_from_a_cdn(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.dispatcher)
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert b"cdn." not in page.content and b"unpkg" not in page.content
