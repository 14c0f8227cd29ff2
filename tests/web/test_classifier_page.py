"""The registration page's suggested categories: the three likeliest as the content is typed
(htmx), with their confidence, the first taken with Alt+1 or any with a click (site.js), and
the suggestions recorded with the ticket registered from the page."""

from __future__ import annotations

import re
from pathlib import Path

from django.test import Client

from jieban.suggestions.models import Suggestion, SuggestionKind
from tests.conftest import Cast
from tests.web.conftest import HTMX
from tests.web.test_register_page import call

BARKING = "小区有人遛狗不拴绳，狗追咬路人"


def suggested(html: str) -> list[str]:
    return re.findall(r'data-suggested-category="([^"]+)"', html)


def fragment(client: Client, **params: str) -> tuple[int, str]:
    response = client.get("/tickets/new/categories", params, **HTMX)
    return response.status_code, response.content.decode()


class TestSuggestedCategories:
    def test_it_shows_the_three_likeliest_with_their_confidence(
        self, client: Client, cast: Cast, mapped: Path
    ) -> None:
        client.force_login(cast.dispatcher)
        status, html = fragment(client, content=BARKING, title="")
        assert status == 200
        codes = suggested(html)
        assert codes[0] == "dangerous_dogs" and len(codes) == 3
        assert "违规养犬" in html
        assert re.search(r"违规养犬 <span class=\"muted\">\d+ %</span>", html)
        # The first is the one Alt+1 takes.
        assert re.search(
            r'data-suggested-category="dangerous_dogs" aria-keyshortcuts="Alt\+1"', html
        )

    def test_the_page_asks_for_them_as_the_content_is_typed(
        self, client: Client, cast: Cast, mapped: Path
    ) -> None:
        client.force_login(cast.dispatcher)
        html = client.get("/tickets/new/").content.decode()
        textarea = re.search(r"<textarea[^>]*name=\"content\"[^>]*>", html)
        assert textarea
        assert 'hx-get="/tickets/new/categories"' in textarea.group()
        assert 'hx-target="#suggested-categories"' in textarea.group()
        assert 'hx-include="#id_title"' in textarea.group()
        assert 'id="suggested-categories"' in html

    def test_a_form_shown_again_keeps_its_suggestions(
        self, client: Client, cast: Cast, mapped: Path
    ) -> None:
        client.force_login(cast.dispatcher)
        response = client.post("/tickets/new/", call(content=BARKING, category=""))
        assert response.status_code == 400
        assert suggested(response.content.decode())[0] == "dangerous_dogs"

    def test_without_a_model_the_page_shows_no_suggestions(
        self, client: Client, cast: Cast, model_dir: Path
    ) -> None:
        client.force_login(cast.dispatcher)
        status, html = fragment(client, content=BARKING)
        assert (status, html.strip()) == (200, "")
        page = client.get("/tickets/new/")
        assert page.status_code == 200
        assert 'class="suggested-categories"' not in page.content.decode()

    def test_it_says_what_is_wrong_with_the_text(
        self, client: Client, cast: Cast, mapped: Path
    ) -> None:
        client.force_login(cast.dispatcher)
        status, html = fragment(client, content="狗\x07叫")
        assert status == 400
        assert 'data-testid="suggestion-error"' in html and "U+0007" in html
        status, html = fragment(client, content="   ")
        assert status == 200 and suggested(html) == []

    def test_it_is_for_those_who_register(self, client: Client, cast: Cast, mapped: Path) -> None:
        client.force_login(cast.handler_a)
        assert fragment(client, content=BARKING)[0] == 403

    def test_the_ticket_registered_from_the_page_records_them(
        self, client: Client, cast: Cast, mapped: Path
    ) -> None:
        client.force_login(cast.dispatcher)
        response = client.post("/tickets/new/", call(content=BARKING, category="dangerous_dogs"))
        assert response.status_code == 302
        rows = list(Suggestion.objects.filter(kind=SuggestionKind.CATEGORY).order_by("rank"))
        assert [row.rank for row in rows] == [1, 2, 3]
        assert rows[0].value == "dangerous_dogs"
        assert {row.chosen for row in rows} == {"dangerous_dogs"}
