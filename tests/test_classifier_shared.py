"""The category classifier on several nodes (`jieban.suggestions.classifier`, docs/deploy.md):
with the attachments in a bucket (a real S3 server, moto), a model trained on one node is
published there signed with the secret key, and another node, with a data directory of its
own, fetches it into that directory and suggests with it; a newer training reaches it at its
next look; a published file not signed with the secret key is never written or loaded."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from jieban.suggestions import classifier
from jieban.suggestions.classifier import SHARED_POINTER, load_model, save_model
from tests.s3_server import PREFIX, keys, stored


def current(endpoint: str) -> str:
    """The name the bucket's pointer gives the current model by."""
    return stored(endpoint, f"{PREFIX}/{SHARED_POINTER}").decode()


@pytest.fixture
def nodes(in_the_bucket: str, trained: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Node A holds the trained model in its data directory (`data`); `become(name)` makes
    this process another node: a data directory of its own, no model loaded yet, looking for
    a newer published model at every load."""
    monkeypatch.setattr(classifier, "SHARED_CHECK_SECONDS", 0)
    monkeypatch.setattr(classifier, "_cache", {"key": None, "model": None})
    home = Path(settings.DATA_DIR).parent

    def become(name: str) -> Path:
        settings.DATA_DIR = home / name
        classifier._cache.update(key=None, model=None)
        return Path(settings.DATA_DIR) / "classifier" / "categories.joblib"

    return become


def test_a_model_trained_on_one_node_is_used_on_another(nodes: Any, in_the_bucket: str) -> None:
    model = load_model()
    assert model is not None
    assert keys(in_the_bucket) == []
    save_model(model)  # as `jieban classifier train` does
    published = current(in_the_bucket)
    assert keys(in_the_bucket) == sorted([f"{PREFIX}/{SHARED_POINTER}", f"{PREFIX}/{published}"])

    on_b = nodes("b")
    assert not on_b.exists()
    fetched = load_model()
    assert fetched is not None
    assert fetched.labels == model.labels == ["交通", "养犬", "噪音"]
    assert fetched.top("楼上装修电钻噪音")[0][0] == "噪音"
    # Private in node B's data directory, like a model trained there.
    assert on_b.stat().st_mode & 0o777 == 0o600
    assert on_b.read_bytes() == stored(in_the_bucket, f"{PREFIX}/{published}")[32:]


def test_a_newer_training_reaches_the_other_node(nodes: Any, in_the_bucket: str) -> None:
    model = load_model()
    assert model is not None
    save_model(model)
    on_b = nodes("b")
    assert load_model() is not None
    first = on_b.with_name("categories.joblib.source").read_text()

    nodes("data")  # node A again
    model.metadata["trained_at"] = "a later training"
    save_model(model)
    nodes("b")
    assert load_model().metadata["trained_at"] == "a later training"  # type: ignore[union-attr]
    assert on_b.with_name("categories.joblib.source").read_text() != first
    # The earlier model has left the bucket.
    assert len(keys(in_the_bucket)) == 2


def test_a_node_looks_for_a_newer_model_once_a_minute(
    nodes: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = load_model()
    assert model is not None
    save_model(model)
    on_b = nodes("b")
    monkeypatch.setattr(classifier, "SHARED_CHECK_SECONDS", 60)
    monkeypatch.setattr(classifier, "_shared", {"checked": float("-inf")})
    assert load_model() is not None
    os.remove(on_b)
    # Looked a moment ago: not again before the minute is out.
    assert load_model() is None


def test_a_model_not_signed_with_the_secret_key_is_refused(
    nodes: Any, in_the_bucket: str, caplog: pytest.LogCaptureFixture
) -> None:
    model = load_model()
    assert model is not None
    save_model(model)
    published = current(in_the_bucket)
    signed = stored(in_the_bucket, f"{PREFIX}/{published}")
    # Someone who may write the bucket, without the secret key, puts a file of their own.
    default_storage.delete(published)
    default_storage.save(published, ContentFile(b"\0" * 32 + signed[32:]))
    on_c = nodes("c")
    with caplog.at_level(logging.WARNING, logger="jieban.suggestions.classifier"):
        assert load_model() is None
    assert "not signed with this secret key" in caplog.text
    assert not on_c.exists()
    # Nor does a pointer to anything but a published model lead anywhere.
    default_storage.delete(SHARED_POINTER)
    default_storage.save(SHARED_POINTER, ContentFile(b"../secret_key"))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="jieban.suggestions.classifier"):
        assert load_model() is None
    assert "the pointer names '../secret_key'" in caplog.text


def test_without_a_bucket_nothing_is_published(
    trained: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(classifier, "_cache", {"key": None, "model": None})
    model = load_model()
    assert model is not None
    save_model(model)
    assert classifier.shared_storage() is None
    assert not classifier.publish_model(trained)
    assert not (Path(settings.MEDIA_ROOT) / SHARED_POINTER).exists()
