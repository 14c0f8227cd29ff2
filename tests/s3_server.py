"""A real S3-compatible server for the tests: moto in server mode, over HTTP on a free port of
127.0.0.1, with one bucket made. Jieban reaches it as it reaches any S3 endpoint."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from jieban.conf import attachment_storage

BUCKET = "jieban-attachments"
# Where the tests' node keeps its files in the bucket (JIEBAN_S3_PREFIX).
PREFIX = "county/attachments"
ACCESS_KEY, SECRET_KEY, REGION = "test-key", "test-secret", "us-east-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running_s3_server() -> Iterator[str]:
    """The server's address while it runs, with BUCKET made; stopped on the way out."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        s3_client(endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.stop()


def s3_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


def keys(endpoint: str) -> list[str]:
    listed = s3_client(endpoint).list_objects_v2(Bucket=BUCKET)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def stored(endpoint: str, key: str) -> bytes:
    return bytes(s3_client(endpoint).get_object(Bucket=BUCKET, Key=key)["Body"].read())


def s3_settings(endpoint: str, prefix: str) -> dict[str, str]:
    """The environment that puts a node's attachments in BUCKET under `prefix`."""
    return {
        "JIEBAN_STORAGE": "s3",
        "JIEBAN_S3_BUCKET": BUCKET,
        "JIEBAN_S3_ENDPOINT_URL": endpoint,
        "JIEBAN_S3_REGION": REGION,
        "JIEBAN_S3_ACCESS_KEY_ID": ACCESS_KEY,
        "JIEBAN_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "JIEBAN_S3_PREFIX": prefix,
    }


def s3_environment(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    for name, value in s3_settings(endpoint, f"/{PREFIX}/").items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    """The S3 server of a test module; its address."""
    with running_s3_server() as endpoint:
        yield endpoint


@pytest.fixture
def in_the_bucket(s3_server: str, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The attachments' storage configured from the environment as a node's is, on an emptied
    bucket; the server's address."""
    s3_environment(monkeypatch, s3_server)
    settings.STORAGES = {**settings.STORAGES, "default": attachment_storage()}
    client = s3_client(s3_server)
    for key in keys(s3_server):
        client.delete_object(Bucket=BUCKET, Key=key)
    yield s3_server
