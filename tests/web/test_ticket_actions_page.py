"""Every action through the page, with htmx and without; errors land where they belong."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from jieban.tickets.models import Status, Ticket, TicketEvent
from tests.conftest import Cast, new_ticket
from tests.web.conftest import HTMX, dispatched, in_progress, offered_actions, resolved


def post(client: Client, ticket: Ticket, action: str, htmx: bool = False, **data: Any) -> Any:
    data.setdefault("version", ticket.version)
    headers = HTMX if htmx else {}
    return client.post(f"/tickets/{ticket.number}/{action}/", data, **headers)


def reloaded(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


class TestTicketActionsPage:
    def test_it_dispatches(self, client: Client, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher)
        client.force_login(cast.dispatcher)
        response = post(client, ticket, "dispatch", unit="PS-A")
        assert response.status_code == 302
        assert response["Location"] == f"/tickets/{ticket.number}/"
        fresh = reloaded(ticket)
        assert fresh.status == Status.DISPATCHED
        assert fresh.unit is not None and fresh.unit.code == "PS-A"
        assert "已完成：交办。" in client.get(response["Location"]).content.decode()

    def test_it_reassigns(self, client: Client, cast: Cast) -> None:
        ticket = dispatched(cast, "PS-A")
        client.force_login(cast.dispatcher)
        response = post(client, ticket, "dispatch", unit="PS-B")
        assert response.status_code == 302
        fresh = reloaded(ticket)
        assert fresh.unit is not None and fresh.unit.code == "PS-B"
        assert "已完成：改派。" in client.get(response["Location"]).content.decode()

    def test_it_accepts_and_resolves_with_htmx(self, client: Client, cast: Cast) -> None:
        ticket = dispatched(cast)
        client.force_login(cast.handler_a)
        response = post(client, ticket, "accept", htmx=True)
        assert response.status_code == 200
        assert response["HX-Redirect"] == f"/tickets/{ticket.number}/"
        ticket = reloaded(ticket)
        assert ticket.status == Status.IN_PROGRESS
        response = post(client, ticket, "resolve", htmx=True, result="已上门调解，双方和解。")
        assert response["HX-Redirect"] == f"/tickets/{ticket.number}/"
        ticket = reloaded(ticket)
        assert ticket.status == Status.RESOLVED
        assert ticket.result == "已上门调解，双方和解。"

    def test_it_returns_to_the_command_centre(self, client: Client, cast: Cast) -> None:
        ticket = dispatched(cast)
        client.force_login(cast.handler_a)
        assert post(client, ticket, "return", reason="不属于本所辖区").status_code == 302
        fresh = reloaded(ticket)
        assert fresh.status == Status.NEW
        assert fresh.unit is None

    def test_it_closes_a_resolved_ticket(self, client: Client, cast: Cast) -> None:
        ticket = resolved(cast)
        client.force_login(cast.dispatcher)
        assert post(client, ticket, "close", note="回访满意").status_code == 302
        assert reloaded(ticket).status == Status.CLOSED

    def test_it_closes_a_new_ticket_with_the_answer(self, client: Client, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher, category="consultation_id_card")
        client.force_login(cast.dispatcher)
        response = post(client, ticket, "close", note="")
        assert response.status_code == 400
        assert "直接归档待交办工单时，须填写答复群众的内容。" in response.content.decode()
        assert reloaded(ticket).status == Status.NEW
        assert post(client, ticket, "close", note="已告知办理流程").status_code == 302
        assert reloaded(ticket).status == Status.CLOSED

    def test_it_invalidates(self, client: Client, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher)
        client.force_login(cast.dispatcher)
        assert post(client, ticket, "invalidate", reason="骚扰电话").status_code == 302
        assert reloaded(ticket).status == Status.INVALID

    def test_it_merges(self, client: Client, cast: Cast) -> None:
        first = new_ticket(cast.dispatcher)
        second = new_ticket(cast.dispatcher)
        client.force_login(cast.dispatcher)
        assert post(client, second, "merge", into=first.number).status_code == 302
        fresh = reloaded(second)
        assert fresh.status == Status.MERGED
        assert fresh.merged_into == first
        html = client.get(f"/tickets/{second.number}/").content.decode()
        assert f'<a href="/tickets/{first.number}/">{first.number}</a>' in html

    def test_it_shows_a_missing_reason_on_its_field(self, client: Client, cast: Cast) -> None:
        ticket = dispatched(cast)
        client.force_login(cast.handler_a)
        response = post(client, ticket, "return", reason=" ")
        assert response.status_code == 400
        html = response.content.decode()
        assert '<html lang="zh-Hans">' in html
        assert 'id="id_return_reason_error" role="alert">原因不能为空。<' in html
        assert reloaded(ticket).status == Status.DISPATCHED

    def test_it_puts_errors_in_the_panel_with_htmx(self, client: Client, cast: Cast) -> None:
        ticket = in_progress(cast)
        client.force_login(cast.handler_a)
        response = post(client, ticket, "resolve", htmx=True, result="")
        assert response.status_code == 400
        html = response.content.decode()
        assert html.startswith('<section id="action-panel"')
        assert "<html" not in html
        assert 'id="id_resolve_result_error" role="alert">办理结果不能为空。<' in html
        assert offered_actions(html) == ["resolve"]

    def test_it_refuses_a_merge_into_nothing(self, client: Client, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher)
        client.force_login(cast.dispatcher)
        response = post(client, ticket, "merge", htmx=True, into="JB20990101-0001")
        assert response.status_code == 400
        assert "没有可并入的工单 JB20990101-0001。" in response.content.decode()

    def test_it_says_a_stale_page_was_changed(self, client: Client, cast: Cast) -> None:
        ticket = dispatched(cast)
        stale_version = ticket.version
        client.force_login(cast.dispatcher)
        post(client, ticket, "dispatch", unit="PS-B")
        message = f"工单 {ticket.number} 在您打开后已被他人修改，请刷新页面。"
        for htmx in (True, False):
            response = post(
                client, ticket, "dispatch", htmx=htmx, unit="PS-A", version=stale_version
            )
            assert response.status_code == 409
            html = response.content.decode()
            assert message in html
            assert f'href="/tickets/{ticket.number}/">刷新</a>' in html
            # A stale panel offers nothing to click but the reload.
            assert offered_actions(html) == []
        fresh = reloaded(ticket)
        assert fresh.unit is not None and fresh.unit.code == "PS-B"

    def test_it_says_when_the_state_moved_on(self, client: Client, cast: Cast) -> None:
        ticket = dispatched(cast)
        client.force_login(cast.handler_a)
        assert post(client, ticket, "accept").status_code == 302
        response = post(client, ticket, "accept", htmx=True, version="")
        assert response.status_code == 409
        assert "当前为“办理中”，不能“签收”" in response.content.decode()

    def test_it_forbids_what_the_role_may_not_do(self, client: Client, cast: Cast) -> None:
        ticket = dispatched(cast)
        events = TicketEvent.objects.count()
        client.force_login(cast.leader)
        response = post(client, ticket, "accept")
        assert response.status_code == 403
        assert "您的角色不能对此工单执行“签收”。" in response.content.decode()
        client.force_login(cast.dispatcher)
        assert post(client, ticket, "accept", htmx=True).status_code == 403
        assert TicketEvent.objects.count() == events
        assert reloaded(ticket).status == Status.DISPATCHED

    @pytest.mark.parametrize(
        ("action", "data"),
        [
            ("dispatch", {"unit": "PS-B"}),
            ("accept", {}),
            ("return", {"reason": "不归我们管"}),
            ("resolve", {"result": "办好了"}),
            ("close", {"note": "结束"}),
            ("invalidate", {"reason": "无效"}),
            ("merge", {"into": "JB20990101-0001"}),
        ],
    )
    def test_it_is_a_404_for_another_unit(
        self, client: Client, cast: Cast, action: str, data: dict[str, str]
    ) -> None:
        ticket = dispatched(cast, "PS-A")
        events = TicketEvent.objects.count()
        client.force_login(cast.handler_b)
        assert post(client, ticket, action, **data).status_code == 404
        response = post(client, ticket, action, htmx=True, **data)
        assert response.status_code == 404
        assert response.content.decode().startswith('<section id="action-panel"')
        assert TicketEvent.objects.count() == events
        assert reloaded(ticket).version == ticket.version

    def test_it_is_a_404_for_an_unknown_action(self, client: Client, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher)
        client.force_login(cast.dispatcher)
        assert post(client, ticket, "explode").status_code == 404

    def test_it_takes_only_posts(self, client: Client, cast: Cast) -> None:
        ticket = dispatched(cast)
        client.force_login(cast.handler_a)
        assert client.get(f"/tickets/{ticket.number}/accept/").status_code == 405
        assert reloaded(ticket).status == Status.DISPATCHED
