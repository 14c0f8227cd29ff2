"""The ticket detail: fields, phone rule, exactly the allowed actions, attachments, timeline."""

from __future__ import annotations

import re

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jieban.tickets import transitions
from jieban.tickets.models import Attachment, Ticket
from tests.conftest import Cast, local, new_ticket
from tests.web.conftest import dispatched, in_progress, offered_actions, resolved
from tests.web.test_register_page import PNG


def phone_shown(html: str) -> str:
    match = re.search(r'data-testid="phone">([^<]*)<', html)
    assert match
    return match.group(1)


class TestTicketDetailPage:
    def test_it_shows_the_ticket(self, client: Client, cast: Cast) -> None:
        ticket = dispatched(cast)
        client.force_login(cast.dispatcher)
        response = client.get(f"/tickets/{ticket.number}/")
        assert response.status_code == 200
        html = response.content.decode()
        for text in (ticket.number, ticket.content, "张三", "甲一社区 3 栋 502", "装修噪音"):
            assert text in html
        assert "甲派出所" in html
        assert "已交办" in html

    def test_it_shows_an_answer_on_the_spot_once(self, client: Client, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher)
        transitions.close_ticket(ticket.number, note="已告知办理流程。", by=cast.dispatcher)
        client.force_login(cast.dispatcher)
        html = client.get(f"/tickets/{ticket.number}/").content.decode()
        assert re.search(r'data-testid="result">已告知办理流程。<', html)
        assert 'data-testid="closing-note"' not in html
        assert "归档说明" not in html

    def test_it_shows_a_closing_note_beside_the_result(self, client: Client, cast: Cast) -> None:
        ticket = resolved(cast)
        transitions.close_ticket(ticket.number, note="回访满意，归档。", by=cast.dispatcher)
        client.force_login(cast.dispatcher)
        html = client.get(f"/tickets/{ticket.number}/").content.decode()
        assert re.search(r'data-testid="result">已协调停工。<', html)
        assert re.search(r'data-testid="closing-note">回访满意，归档。<', html)

    def test_it_shows_the_full_phone_only_to_those_handling(
        self, client: Client, cast: Cast
    ) -> None:
        ticket = dispatched(cast)
        url = f"/tickets/{ticket.number}/"
        for person, expected in [
            (cast.dispatcher, "13812341234"),
            (cast.supervisor, "13812341234"),
            (cast.handler_a, "13812341234"),
            (cast.leader, "138****1234"),
        ]:
            client.force_login(person)
            assert phone_shown(client.get(url).content.decode()) == expected, person

    def test_it_offers_the_dispatcher_exactly_the_allowed_actions(
        self, client: Client, cast: Cast
    ) -> None:
        client.force_login(cast.dispatcher)
        expectations = {
            new_ticket(cast.dispatcher).number: ["dispatch", "close", "invalidate", "merge"],
            dispatched(cast).number: ["dispatch"],
            in_progress(cast).number: [],
            resolved(cast).number: ["close"],
        }
        for number, expected in expectations.items():
            html = client.get(f"/tickets/{number}/").content.decode()
            assert offered_actions(html) == expected, number

    def test_it_offers_the_handler_exactly_the_allowed_actions(
        self, client: Client, cast: Cast
    ) -> None:
        client.force_login(cast.handler_a)
        expectations = {
            dispatched(cast).number: ["accept", "return"],
            in_progress(cast).number: ["resolve"],
            resolved(cast).number: [],
        }
        for number, expected in expectations.items():
            html = client.get(f"/tickets/{number}/").content.decode()
            assert offered_actions(html) == expected, number

    def test_it_reads_reassign_once_the_ticket_was_dispatched(
        self, client: Client, cast: Cast
    ) -> None:
        client.force_login(cast.dispatcher)

        def dispatch_form(ticket: Ticket) -> tuple[str, str]:
            html = client.get(f"/tickets/{ticket.number}/").content.decode()
            form = re.search(
                r'<form class="action action-dispatch".*?<h3>([^<]*)</h3>.*?'
                r'<button type="submit"[^>]*>([^<]*)</button>',
                html,
                flags=re.DOTALL,
            )
            assert form is not None
            return form.group(1), form.group(2)

        ticket = new_ticket(cast.dispatcher)
        assert dispatch_form(ticket) == ("交办", "交办")
        ticket = dispatched(cast)
        assert dispatch_form(ticket) == ("改派", "改派")
        # Sent back by its unit, it goes to another one.
        transitions.return_ticket(ticket.number, reason="不属于本所辖区", by=cast.handler_a)
        assert dispatch_form(ticket) == ("改派", "改派")

    def test_it_groups_the_dispatch_units_by_kind(self, client: Client, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher)
        client.force_login(cast.dispatcher)
        html = client.get(f"/tickets/{ticket.number}/").content.decode()
        select = html.split('id="id_dispatch_unit"')[1].split("</select>")[0]
        labels = re.findall(r'<optgroup label="([^"]*)">', select)
        assert labels == ["派出所", "社区 / 村", "网格"]
        assert select.index("PS-A") < select.index("COM-A1") < select.index("G-01")

    def test_it_offers_the_leader_nothing(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.leader)
        for ticket in (new_ticket(cast.dispatcher), dispatched(cast), in_progress(cast)):
            html = client.get(f"/tickets/{ticket.number}/").content.decode()
            assert offered_actions(html) == []
            assert "您目前对此工单没有可执行的操作。" in html

    def test_it_carries_the_version_and_the_dispatch_units(
        self, client: Client, cast: Cast
    ) -> None:
        ticket = new_ticket(cast.dispatcher)
        client.force_login(cast.dispatcher)
        html = client.get(f"/tickets/{ticket.number}/").content.decode()
        assert f'<input type="hidden" name="version" value="{ticket.version}"' in html
        assert f'hx-post="/tickets/{ticket.number}/dispatch/"' in html
        # Only units that can handle tickets: not the bureau or the command centre.
        units = re.findall(r'<option value="([A-Z0-9-]+)">', html.split('id="id_dispatch_unit"')[1])
        assert "PS-A" in units and "G-01" in units
        assert "BUR" not in units and "CC" not in units

    def test_it_speaks_english_after_set_language(self, client: Client, cast: Cast) -> None:
        ticket = dispatched(cast)
        client.force_login(cast.handler_a)
        client.post("/i18n/setlang/", {"language": "en", "next": "/"})
        html = client.get(f"/tickets/{ticket.number}/").content.decode()
        for text in ("Dispatched", "Renovation noise", "Accept", "Return", "Timeline", "Due at"):
            assert text in html, text
        assert "已交办" not in html

    def test_it_is_a_404_for_another_unit(self, client: Client, cast: Cast) -> None:
        ticket = dispatched(cast, "PS-A")
        client.force_login(cast.handler_b)
        response = client.get(f"/tickets/{ticket.number}/")
        assert response.status_code == 404
        assert ticket.content not in response.content.decode()
        assert client.get("/tickets/JB20990101-0001/").status_code == 404

    def test_it_shows_the_timeline(self, client: Client, cast: Cast) -> None:
        ticket = resolved(cast)
        client.force_login(cast.dispatcher)
        html = client.get(f"/tickets/{ticket.number}/").content.decode()
        timeline = html.split('class="timeline"')[1]
        labels = re.findall(r'<div class="what"><strong>([^<]+)</strong>', timeline)
        assert labels == ["已登记", "已交办", "已签收", "已办结"]
        assert "已协调停工。" in timeline
        assert "待交办 → 已交办" in timeline

    def test_it_warns_about_a_deadline_without_official_data(
        self, client: Client, cast: Cast
    ) -> None:
        with time_machine.travel(local(2031, 3, 3), tick=False):
            ticket = dispatched(cast)
            assert ticket.due_basis == "weekends_only"
            client.force_login(cast.dispatcher)
            html = client.get(f"/tickets/{ticket.number}/").content.decode()
        assert 'data-testid="deadline-warning"' in html
        assert "2031 年没有官方节假日安排" in html
        with time_machine.travel(local(2026, 7, 1), tick=False):
            fresh = dispatched(cast)
            client.force_login(cast.dispatcher)
            html = client.get(f"/tickets/{fresh.number}/").content.decode()
        assert 'data-testid="deadline-warning"' not in html

    def test_it_uploads_and_previews_attachments(self, client: Client, cast: Cast) -> None:
        ticket = dispatched(cast)
        client.force_login(cast.handler_a)
        photo = SimpleUploadedFile("门口.png", PNG, content_type="image/png")
        note = SimpleUploadedFile("说明.txt", "情况说明".encode(), content_type="text/plain")
        response = client.post(
            f"/tickets/{ticket.number}/attachments/", {"attachments": [photo, note]}
        )
        assert response.status_code == 302
        items = list(Attachment.objects.filter(ticket=ticket).order_by("pk"))
        assert [item.original_name for item in items] == ["门口.png", "说明.txt"]
        html = client.get(f"/tickets/{ticket.number}/").content.decode()
        image_url = f"/tickets/{ticket.number}/attachments/{items[0].pk}/"
        assert f'<img src="{image_url}"' in html
        assert f'<img src="/tickets/{ticket.number}/attachments/{items[1].pk}/"' not in html
        assert client.get(image_url).status_code == 200
        assert "添加附件" in html

    def test_it_refuses_a_bad_attachment_and_stores_nothing(
        self, client: Client, cast: Cast
    ) -> None:
        ticket = dispatched(cast)
        client.force_login(cast.handler_a)
        good = SimpleUploadedFile("ok.png", PNG, content_type="image/png")
        bad = SimpleUploadedFile("virus.exe", b"MZ", content_type="application/octet-stream")
        response = client.post(
            f"/tickets/{ticket.number}/attachments/", {"attachments": [good, bad]}
        )
        assert response.status_code == 400
        assert "不接受此类型的文件" in response.content.decode()
        assert not Attachment.objects.filter(ticket=ticket).exists()

    def test_it_hides_attachments_from_another_unit(self, client: Client, cast: Cast) -> None:
        ticket = dispatched(cast)
        client.force_login(cast.handler_b)
        photo = SimpleUploadedFile("x.png", PNG, content_type="image/png")
        response = client.post(f"/tickets/{ticket.number}/attachments/", {"attachments": [photo]})
        assert response.status_code == 404
        assert not Attachment.objects.exists()

    def test_it_runs_a_fixed_number_of_queries(
        self, client: Client, cast: Cast, django_assert_num_queries: object
    ) -> None:
        ticket = resolved(cast)
        for name in ("a.png", "b.png", "c.png"):
            photo = SimpleUploadedFile(name, PNG, content_type="image/png")
            client.force_login(cast.handler_a)
            client.post(f"/tickets/{ticket.number}/attachments/", {"attachments": [photo]})
        assert Ticket.objects.get(pk=ticket.pk).events.count() == 7
        client.force_login(cast.dispatcher)
        # session, user, the bell, ticket, attachments, events with actors, unit names, first
        # handler, follow-up calls (no supervision orders: their query is skipped)
        # (the 10th: the ticket's request for more time, if any; the 11th: its hand-overs to
        # people's mediation)
        with django_assert_num_queries(11):  # type: ignore[operator]
            assert client.get(f"/tickets/{ticket.number}/").status_code == 200
        # A new ticket has no unit names to look up, but offers units to dispatch to, and
        # whether it was held before (sent back: the button reads 改派); never dispatched, it
        # has no request for more time to look up.
        fresh = new_ticket(cast.dispatcher)
        with django_assert_num_queries(11):  # type: ignore[operator]
            assert client.get(f"/tickets/{fresh.number}/").status_code == 200


class TestAttachmentPreviews:
    def test_it_shows_images_as_thumbnails_and_documents_as_icons(
        self, client: Client, cast: Cast
    ) -> None:
        ticket = dispatched(cast)
        client.force_login(cast.handler_a)
        files = [
            SimpleUploadedFile("门口.png", PNG, content_type="image/png"),
            SimpleUploadedFile("协议.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
            SimpleUploadedFile("说明.txt", "情况说明".encode(), content_type="text/plain"),
        ]
        client.post(f"/tickets/{ticket.number}/attachments/", {"attachments": files})
        image, pdf, text = Attachment.objects.filter(ticket=ticket).order_by("pk")
        html = client.get(f"/tickets/{ticket.number}/").content.decode()
        base = f"/tickets/{ticket.number}/attachments"
        # The photo inline, lazily loaded; it opens full size in a new tab.
        assert re.search(
            r'<li class="attachment attachment-image">\s*'
            rf'<a class="thumb" href="{base}/{image.pk}/" target="_blank" rel="noopener">'
            rf'<img src="{base}/{image.pk}/" alt="门口.png" loading="lazy"',
            html,
        )
        # The PDF as a link with its icon, opened in the browser.
        assert re.search(
            r'<li class="attachment attachment-pdf">\s*'
            rf'<a class="file-icon" href="{base}/{pdf.pk}/" target="_blank"[^>]*>PDF</a>',
            html,
        )
        assert f'<img src="{base}/{pdf.pk}/"' not in html
        # Other files as a download with a generic icon.
        assert '<li class="attachment attachment-file">' in html
        assert f'<a href="{base}/{text.pk}/">说明.txt</a>' in html
        pdf_response = client.get(f"{base}/{pdf.pk}/")
        assert pdf_response["Content-Type"] == "application/pdf"
        assert pdf_response["Content-Disposition"].startswith("inline")
        text_response = client.get(f"{base}/{text.pk}/")
        assert text_response["Content-Disposition"].startswith("attachment")
