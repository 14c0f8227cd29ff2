"""Attachments in an S3-compatible bucket (`JIEBAN_STORAGE=s3`): a real S3 server (moto in
server mode, over HTTP on 127.0.0.1) takes them, nothing lands in the data directory, every
download goes through Jieban's own permission check and streams the stored bytes, a second file
of one name never overwrites the first, a replaced scan leaves the bucket, and nothing hands
out a public link. The configuration refuses what cannot work, naming the variable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jieban.conf import ConfigurationError, attachment_storage
from jieban.mediation import actions as mediation_actions
from jieban.mediation.models import Agreement
from jieban.tickets.models import Attachment
from tests.conftest import Cast, dispatch, new_ticket
from tests.s3_server import PREFIX, keys, s3_environment, stored
from tests.test_attachments import api_upload
from tests.test_mediation import Mediation, set_up_mediation
from tests.test_mediation_agreement import with_agreement

PNG = b"\x89PNG\r\n\x1a\n fake"


def download(user: Any, path: str) -> Any:
    client = Client()
    client.force_login(user)
    return client.get(path)


def files_under(directory: Path) -> list[Path]:
    return [path for path in directory.rglob("*") if path.is_file()] if directory.exists() else []


def test_attachments_go_to_the_bucket_and_come_back_through_the_view(
    cast: Cast, in_the_bucket: str, settings: Any
) -> None:
    ticket = dispatch(cast, new_ticket(cast.dispatcher))
    assert api_upload(cast.handler_a, ticket.number).status_code == 201
    attachment = Attachment.objects.get(ticket=ticket)
    # Under the prefix, by the ticket's day and number, and nowhere on this machine's disk.
    assert keys(in_the_bucket) == [f"{PREFIX}/{attachment.file.name}"]
    assert attachment.file.name.startswith(f"{ticket.number[2:10]}/{ticket.number}/")
    assert stored(in_the_bucket, f"{PREFIX}/{attachment.file.name}") == PNG
    assert files_under(Path(settings.MEDIA_ROOT)) == []

    path = f"/tickets/{ticket.number}/attachments/{attachment.pk}/"
    response = download(cast.handler_a, path)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Length"] == str(len(PNG))
    # Streamed by Jieban, never a redirect to the bucket; and refused to who may not see it.
    outsider = download(cast.outsider, path)
    assert outsider.status_code == 404
    assert "Location" not in outsider


def test_a_second_file_of_one_name_never_overwrites_the_first(
    cast: Cast, in_the_bucket: str
) -> None:
    ticket = dispatch(cast, new_ticket(cast.dispatcher))
    client = Client()
    client.force_login(cast.handler_a)
    for content in (b"first photo", b"second photo"):
        photo = SimpleUploadedFile("现场.png", content, content_type="image/png")
        response = client.post(f"/tickets/{ticket.number}/attachments/", {"attachments": [photo]})
        assert response.status_code == 302
    first, second = Attachment.objects.filter(ticket=ticket).order_by("pk")
    assert first.file.name != second.file.name
    assert len(keys(in_the_bucket)) == 2
    for attachment, content in ((first, b"first photo"), (second, b"second photo")):
        response = client.get(f"/tickets/{ticket.number}/attachments/{attachment.pk}/")
        assert b"".join(response.streaming_content) == content


def test_a_replaced_scan_leaves_the_bucket(
    cast: Cast, in_the_bucket: str, django_capture_on_commit_callbacks: Any
) -> None:
    mediation: Mediation = set_up_mediation()
    case = with_agreement(mediation.yang)
    scan = SimpleUploadedFile("协议书.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    mediation_actions.attach_scan(case.number, upload=scan, by=mediation.yang)
    first = Agreement.objects.get(case=case).scan.name
    assert keys(in_the_bucket) == [f"{PREFIX}/{first}"]
    response = download(mediation.yang, f"/mediation/{case.number}/agreement/scan/")
    assert b"".join(response.streaming_content) == b"%PDF-1.4 signed"

    photo = SimpleUploadedFile("scan.jpg", b"\xff\xd8\xff photo", content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        mediation_actions.attach_scan(case.number, upload=photo, by=mediation.yang)
    second = Agreement.objects.get(case=case).scan.name
    assert keys(in_the_bucket) == [f"{PREFIX}/{second}"]
    assert stored(in_the_bucket, f"{PREFIX}/{second}") == b"\xff\xd8\xff photo"


def test_no_public_link_is_ever_made(in_the_bucket: str) -> None:
    name = default_storage.save("20260101/JB20260101-0001/a.txt", SimpleUploadedFile("a", b"x"))
    link = default_storage.url(name)
    # Should anything ask for a link, it is signed and short-lived, never the bare object.
    assert "X-Amz-Signature=" in link
    assert "X-Amz-Expires=300" in link


def test_local_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JIEBAN_STORAGE", raising=False)
    assert attachment_storage() == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_the_standard_aws_variables_serve_when_jiebans_are_not_set(
    s3_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    s3_environment(monkeypatch, s3_server)
    monkeypatch.delenv("JIEBAN_S3_ACCESS_KEY_ID")
    monkeypatch.delenv("JIEBAN_S3_SECRET_ACCESS_KEY")
    config = attachment_storage()
    assert "access_key" not in config["OPTIONS"]
    # A secret handed over as a file, as a service manager's credentials are.
    secret = tmp_path / "s3-secret"
    secret.write_text("from-a-file\n", encoding="utf-8")
    monkeypatch.setenv("JIEBAN_S3_ACCESS_KEY_ID", "test-key")
    monkeypatch.setenv("JIEBAN_S3_SECRET_ACCESS_KEY_FILE", str(secret))
    assert attachment_storage()["OPTIONS"]["secret_key"] == "from-a-file"


@pytest.mark.parametrize(
    ("settings_given", "named"),
    [
        ({"JIEBAN_STORAGE": "nfs"}, "JIEBAN_STORAGE"),
        ({"JIEBAN_STORAGE": "s3", "JIEBAN_S3_BUCKET": ""}, "JIEBAN_S3_BUCKET"),
        (
            {
                "JIEBAN_STORAGE": "s3",
                "JIEBAN_S3_BUCKET": "b",
                "JIEBAN_S3_ENDPOINT_URL": "minio:9000",
            },
            "JIEBAN_S3_ENDPOINT_URL",
        ),
        (
            {"JIEBAN_STORAGE": "s3", "JIEBAN_S3_BUCKET": "b", "JIEBAN_S3_ACCESS_KEY_ID": "k"},
            "JIEBAN_S3_SECRET_ACCESS_KEY",
        ),
        (
            {"JIEBAN_STORAGE": "s3", "JIEBAN_S3_BUCKET": "b", "JIEBAN_S3_ADDRESSING_STYLE": "dns"},
            "JIEBAN_S3_ADDRESSING_STYLE",
        ),
    ],
    ids=["unknown-kind", "no-bucket", "endpoint-without-scheme", "half-a-key", "bad-style"],
)
def test_a_configuration_that_cannot_work_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, settings_given: dict[str, str], named: str
) -> None:
    for name in ("JIEBAN_S3_ACCESS_KEY_ID", "JIEBAN_S3_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in settings_given.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=named):
        attachment_storage()
