"""The categories suggested at intake: `POST /api/v1/classify`, `suggested_categories` on
create, the suggestions recorded with the ticket and the category chosen, the label mapping
kept in the back office, and the share of first suggestions taken per month."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import joblib
import time_machine
from django.test import Client
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from jieban.intake.actions import TicketDraft
from jieban.suggestions.actions import register_and_suggest
from jieban.suggestions.classifier import FORMAT, load_model
from jieban.suggestions.labels import category_acceptance_by_month
from jieban.suggestions.models import LabelMapping, Suggestion
from jieban.tickets.models import Category
from tests.classifier_data import (
    DOGS,
    NOISE,
)
from tests.conftest import Cast, local

BARKING = "小区有人遛狗不拴绳，狗追咬路人"


def codes(items: list[dict[str, Any]]) -> list[str]:
    return [item["code"] for item in items]


class TestClassify:
    def test_it_returns_the_top_three_categories_with_their_confidence(
        self, cast: Cast, mapped: Path, api_as: Any
    ) -> None:
        response = api_as(cast.dispatcher).post("/classify", {"text": BARKING})
        assert response.status_code == 200
        suggested = response.json()["suggested_categories"]
        assert codes(suggested)[0] == "dangerous_dogs"
        assert sorted(codes(suggested)) == ["dangerous_dogs", "noise", "traffic_dispute"]
        assert suggested[0]["name"] == "违规养犬"
        confidences = [item["confidence"] for item in suggested]
        assert confidences == sorted(confidences, reverse=True)
        assert 0.5 < confidences[0] <= 1.0

    def test_labels_mapped_to_one_category_add_up(
        self, cast: Cast, mapped: Path, api_as: Any
    ) -> None:
        LabelMapping.objects.filter(label="交通").update(
            category=Category.objects.get(code="noise")
        )
        suggested = api_as(cast.dispatcher).post("/classify", {"text": NOISE}).json()
        assert codes(suggested["suggested_categories"]) == ["noise", "dangerous_dogs"]
        assert suggested["suggested_categories"][0]["confidence"] <= 1.0

    def test_it_is_for_those_who_register(self, cast: Cast, mapped: Path, api_as: Any) -> None:
        assert api_as(cast.handler_a).post("/classify", {"text": BARKING}).status_code == 403
        assert api_as(cast.building_head).post("/classify", {"text": BARKING}).status_code == 200
        assert api_as(None).post("/classify", {"text": BARKING}).status_code == 401

    def test_it_refuses_bad_text(self, cast: Cast, mapped: Path, api_as: Any) -> None:
        client = api_as(cast.dispatcher)
        for text in ("", "   ", "狗\x07叫", "狗" * 4001):
            response = client.post("/classify", {"text": text})
            assert response.status_code == 400, text
            assert response.json()["field"] in ("text", "body.text")
        assert client.post("/classify", {}).status_code == 400

    def test_without_a_model_it_suggests_nothing(
        self, cast: Cast, model_dir: Path, api_as: Any
    ) -> None:
        response = api_as(cast.dispatcher).post("/classify", {"text": BARKING})
        assert (response.status_code, response.json()) == (200, {"suggested_categories": []})


class TestRecorded:
    def test_create_returns_and_records_the_suggestions_and_the_choice(
        self, cast: Cast, mapped: Path, api_as: Any
    ) -> None:
        body = {"channel": "phone", "content": BARKING, "category": "neighbour_dispute"}
        response = api_as(cast.dispatcher).post("/tickets", body)
        assert response.status_code == 201
        suggested = response.json()["suggested_categories"]
        assert codes(suggested)[0] == "dangerous_dogs"
        rows = Suggestion.objects.filter(ticket__number=response.json()["number"]).order_by("rank")
        assert [(row.kind, row.rank, row.value) for row in rows] == [
            ("category", rank, item["code"]) for rank, item in enumerate(suggested, start=1)
        ]
        assert {row.chosen for row in rows} == {"neighbour_dispute"}
        assert [row.score for row in rows] == [item["confidence"] for item in suggested]

    def test_a_replayed_ticket_records_nothing_again(
        self, cast: Cast, mapped: Path, api_as: Any
    ) -> None:
        body = {"channel": "hotline_12345", "external_id": "X1", "content": BARKING,
                "category": "dangerous_dogs"}  # fmt: skip
        client = api_as(cast.dispatcher)
        assert client.post("/tickets", body).status_code == 201
        again = client.post("/tickets", body)
        assert (again.status_code, again.json()["suggested_categories"]) == (200, [])
        assert Suggestion.objects.count() == 3

    def test_without_a_model_a_ticket_registers_without_suggestions(
        self, cast: Cast, model_dir: Path, api_as: Any
    ) -> None:
        body = {"channel": "phone", "content": BARKING, "category": "dangerous_dogs"}
        response = api_as(cast.dispatcher).post("/tickets", body)
        assert (response.status_code, response.json()["suggested_categories"]) == (201, [])
        assert not Suggestion.objects.exists()

    def test_the_back_office_shows_the_share_taken_per_month(
        self, cast: Cast, mapped: Path
    ) -> None:
        def register(content: str, category: str) -> None:
            draft = TicketDraft(channel="phone", content=content, category=category)
            register_and_suggest(draft, by=cast.dispatcher)

        with time_machine.travel(local(2026, 2, 10), tick=False):
            register(BARKING, "dangerous_dogs")
            register(BARKING, "other")
        with time_machine.travel(local(2026, 3, 31, 23, 30), tick=False):
            register(NOISE.format(place="东区"), "noise")
        with time_machine.travel(local(2026, 4, 1, 0, 30), tick=False):
            # 00:30 on 1 April in Shanghai is still 31 March in UTC: the month is the bureau's.
            register(DOGS.format(place="西区"), "dangerous_dogs")
        months = [(row.month.isoformat(), row.suggested, row.accepted)
                  for row in category_acceptance_by_month()]  # fmt: skip
        assert months == [("2026-04-01", 1, 1), ("2026-03-01", 1, 1), ("2026-02-01", 2, 1)]
        client = Client()
        client.force_login(cast.admin)
        page = client.get("/admin/suggestions/suggestion/")
        assert page.status_code == 200
        html = page.content.decode()
        row = re.search(r'<tr data-month="2026-02">(.*?)</tr>', html, re.S)
        assert row and re.findall(r"<td>([^<]*)</td>", row.group(1)) == [
            "2026-02",
            "2",
            "1",
            "50 %",
        ]


class TestLabelMapping:
    def test_the_administrator_maps_a_label_in_the_back_office(
        self, cast: Cast, trained: Path, api_as: Any
    ) -> None:
        client = Client()
        client.force_login(cast.admin)
        listing = client.get("/admin/suggestions/labelmapping/").content.decode()
        assert re.search(r'id="unmapped-labels">[^<]*交通、养犬、噪音', listing)
        dogs = Category.objects.get(code="dangerous_dogs")
        response = client.post(
            "/admin/suggestions/labelmapping/add/", {"label": "养犬", "category": dogs.pk}
        )
        assert response.status_code == 302
        listing = client.get("/admin/suggestions/labelmapping/").content.decode()
        assert re.search(r'id="unmapped-labels">[^<]*交通、噪音<', listing)
        suggested = api_as(cast.dispatcher).post("/classify", {"text": BARKING}).json()
        assert codes(suggested["suggested_categories"]) == ["dangerous_dogs"]

    def test_an_inactive_category_is_not_suggested(
        self, cast: Cast, mapped: Path, api_as: Any
    ) -> None:
        Category.objects.filter(code="dangerous_dogs").update(is_active=False)
        suggested = api_as(cast.dispatcher).post("/classify", {"text": BARKING}).json()
        assert "dangerous_dogs" not in codes(suggested["suggested_categories"])

    def test_others_may_not_edit_the_mapping(self, cast: Cast) -> None:
        client = Client()
        client.force_login(cast.dispatcher)
        response = client.get("/admin/suggestions/labelmapping/")
        assert response.status_code in (302, 403)


def test_a_model_that_cannot_score_never_stops_a_registration(
    cast: Cast, mapped: Path, api_as: Any
) -> None:
    model = load_model()
    assert model is not None
    # A pipeline without probabilities: what a model from another version could be.
    vectoriser = model.pipeline[0]
    svm = LinearSVC().fit(vectoriser.transform(["狗", "猫"]), ["养犬", "噪音"])
    joblib.dump({"format": FORMAT, "pipeline": make_pipeline(vectoriser, svm)}, mapped)
    body = {"channel": "phone", "content": BARKING, "category": "dangerous_dogs"}
    response = api_as(cast.dispatcher).post("/tickets", body)
    assert (response.status_code, response.json()["suggested_categories"]) == (201, [])
    classify = api_as(cast.dispatcher).post("/classify", {"text": BARKING})
    assert classify.json() == {"suggested_categories": []}
