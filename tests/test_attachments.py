"""Who may attach files (`can_attach`, README "Attachments"): the command centre, the people of
the unit that holds the ticket now, and whoever registered it; nobody on a finished ticket.
The same rule on the API, on the page's upload and in the form the page offers."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jieban.org.models import User
from jieban.tickets import transitions
from jieban.tickets.models import Attachment, Ticket, TicketEvent
from tests.conftest import ApiClient, Cast, dispatch, new_ticket, resolve

PNG = b"\x89PNG\r\n\x1a\n fake"


def api_upload(user: User, number: str) -> Any:
    client = ApiClient(user)
    return client.client.post(
        f"/api/v1/tickets/{number}/attachments",
        {"file": SimpleUploadedFile("现场.png", PNG)},
        **client.headers,
    )


def page_upload(user: User, number: str) -> Any:
    client = Client()
    client.force_login(user)
    photo = SimpleUploadedFile("现场.png", PNG, content_type="image/png")
    return client.post(f"/tickets/{number}/attachments/", {"attachments": [photo]})


def offers_upload(user: User, number: str) -> bool:
    client = Client()
    client.force_login(user)
    response = client.get(f"/tickets/{number}/")
    assert response.status_code == 200
    return 'data-testid="attach-form"' in response.content.decode()


def reassigned_to_b(cast: Cast) -> Ticket:
    """A ticket station A held, then the command centre sent it to station B."""
    ticket = dispatch(cast, new_ticket(cast.dispatcher))
    transitions.return_ticket(ticket.number, reason="不属本辖区", by=cast.handler_a)
    return dispatch(cast, ticket, "PS-B")


UPLOADS = {"api": (api_upload, 201), "page": (page_upload, 302)}


@pytest.mark.parametrize("way", sorted(UPLOADS))
class TestWhoMayAttach:
    def test_the_holding_unit_and_the_centre_may(self, cast: Cast, way: str) -> None:
        upload, done = UPLOADS[way]
        ticket = dispatch(cast, new_ticket(cast.dispatcher))
        for member in (cast.handler_a, cast.leader_a, cast.dispatcher, cast.supervisor):
            assert upload(member, ticket.number).status_code == done, member.username
        assert Attachment.objects.filter(ticket=ticket).count() == 4

    def test_a_leader_who_only_reads_may_not(self, cast: Cast, way: str) -> None:
        upload, _done = UPLOADS[way]
        ticket = dispatch(cast, new_ticket(cast.dispatcher))
        events = TicketEvent.objects.count()
        assert upload(cast.leader, ticket.number).status_code == 403
        assert not Attachment.objects.exists()
        assert TicketEvent.objects.count() == events

    def test_a_unit_that_no_longer_holds_it_may_not(self, cast: Cast, way: str) -> None:
        upload, done = UPLOADS[way]
        ticket = reassigned_to_b(cast)
        # Station A still sees the ticket it held, and may no longer add to it.
        assert upload(cast.handler_a, ticket.number).status_code == 403
        assert upload(cast.leader_a, ticket.number).status_code == 403
        assert upload(cast.handler_b, ticket.number).status_code == done
        assert [item.uploaded_by for item in Attachment.objects.all()] == [cast.handler_b]

    def test_whoever_registered_it_may_while_it_is_open(self, cast: Cast, way: str) -> None:
        upload, done = UPLOADS[way]
        ticket = new_ticket(cast.building_head)
        dispatch(cast, ticket, "PS-B")
        assert upload(cast.building_head, ticket.number).status_code == done

    def test_nobody_attaches_to_a_finished_ticket(self, cast: Cast, way: str) -> None:
        upload, _done = UPLOADS[way]
        closed = new_ticket(cast.dispatcher)
        transitions.close_ticket(closed.number, note="已当场答复", by=cast.dispatcher)
        invalid = new_ticket(cast.dispatcher)
        transitions.invalidate_ticket(invalid.number, reason="重复来电", by=cast.dispatcher)
        for number in (closed.number, invalid.number):
            response = upload(cast.dispatcher, number)
            if way == "api":
                assert response.status_code == 409
            else:
                # The page says why, on the ticket it shows again.
                assert response.status_code == 302
                shown = response.client.get(response["Location"]).content.decode()
                assert "不再接受附件" in shown
        assert not Attachment.objects.exists()


class TestTheUploadOffered:
    def test_it_is_offered_to_exactly_those_who_may(self, cast: Cast) -> None:
        ticket = reassigned_to_b(cast)
        offered = {
            name
            for name in ("dispatcher", "supervisor", "leader", "handler_a", "leader_a", "handler_b")
            if offers_upload(getattr(cast, name), ticket.number)
        }
        assert offered == {"dispatcher", "supervisor", "handler_b"}

    def test_it_is_offered_to_the_registrar(self, cast: Cast) -> None:
        ticket = new_ticket(cast.grid_officer)
        assert offers_upload(cast.grid_officer, ticket.number)

    def test_it_is_not_offered_on_a_finished_ticket(self, cast: Cast) -> None:
        ticket = dispatch(cast, new_ticket(cast.dispatcher))
        resolve(cast, ticket)
        assert offers_upload(cast.handler_a, ticket.number)
        transitions.close_ticket(ticket.number, note="", by=cast.dispatcher)
        assert not offers_upload(cast.dispatcher, ticket.number)
        assert not offers_upload(cast.handler_a, ticket.number)


def test_a_merged_ticket_takes_none(cast: Cast) -> None:
    earlier = new_ticket(cast.dispatcher)
    later = new_ticket(cast.dispatcher)
    transitions.merge_ticket(later.number, into=earlier.number, by=cast.dispatcher)
    assert api_upload(cast.dispatcher, later.number).status_code == 409
    assert api_upload(cast.dispatcher, earlier.number).status_code == 201
