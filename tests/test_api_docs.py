"""The OpenAPI document and the browsable docs are for people logged in or holding a token,
like every endpoint: anyone else gets the API's 401 (README "The API")."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import ApiClient, Cast

DOCS = ["/api/v1/openapi.json", "/api/v1/docs"]


@pytest.mark.parametrize("path", DOCS)
def test_an_anonymous_request_gets_401(db: None, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]
    assert b"Jieban API" not in response.content


@pytest.mark.parametrize("path", DOCS)
def test_a_wrong_token_gets_401(db: None, path: str) -> None:
    assert Client().get(path, HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 401


def test_a_token_reads_the_document(cast: Cast) -> None:
    document = ApiClient(cast.handler_a).get("/openapi.json")
    assert document.status_code == 200
    assert document.json()["info"]["title"] == "Jieban API"


def test_a_session_reads_the_docs(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.leader)
    assert client.get("/api/v1/docs").status_code == 200
    assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "Jieban API"


def test_a_deactivated_persons_session_does_not(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.leader)
    cast.leader.is_active = False
    cast.leader.save(update_fields=["is_active"])
    assert client.get("/api/v1/openapi.json").status_code == 401
