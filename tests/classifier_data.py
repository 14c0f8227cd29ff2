"""Small labelled texts the classifier tests write themselves (no test reads the shared data):
three clearly separable labels, and a model trained on them in the test's data directory."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from jieban.files import private_directory
from jieban.suggestions.models import LabelMapping
from jieban.tickets.models import Category

PLACES = ["幸福小区", "城关镇", "东门街", "南湖路", "西城花园", "北苑", "工业园", "学府路",
          "人民广场", "新村", "滨江路", "老街"]  # fmt: skip
NOISE = "{place}楼上装修电钻噪音太大，晚上十点还在施工吵得睡不着"
DOGS = "{place}有人遛狗不拴绳，大型犬追咬路人，孩子被狗吓哭"
TRAFFIC = "{place}路口两车剐蹭发生交通事故，双方对赔偿责任有争议"
# The labels, as a training set names them: not the bureau's category codes.
EXAMPLES = {"噪音": NOISE, "养犬": DOGS, "交通": TRAFFIC}
# How the administrator maps them (the default categories' codes).
MAPPING = {"噪音": "noise", "养犬": "dangerous_dogs", "交通": "traffic_dispute"}


def labelled_rows() -> list[tuple[str, str]]:
    return [
        (template.format(place=place), label)
        for label, template in EXAMPLES.items()
        for place in PLACES
    ]


def csv_bytes(rows: list[tuple[str, ...]], headers: tuple[str, ...] = ("text", "label")) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def write_csv(path: Path, content: bytes) -> str:
    path.write_bytes(content)
    return str(path)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("classifier", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def model_dir(settings: Any, tmp_path: Path) -> Path:
    """The test's own data directory: the model is written there."""
    settings.DATA_DIR = tmp_path / "data"
    return Path(settings.DATA_DIR)


@pytest.fixture(scope="session")
def trained_once(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The file `jieban classifier train` writes for the three labels, trained once for the
    session (a calibrated model takes seconds to train; the tests need it, not its training
    again)."""
    folder = tmp_path_factory.mktemp("classifier")
    with override_settings(DATA_DIR=folder / "data"):
        run("train", "--csv", write_csv(folder / "train.csv", csv_bytes(labelled_rows())))
    return (folder / "data" / "classifier" / "categories.joblib").read_bytes()


@pytest.fixture
def trained(model_dir: Path, trained_once: bytes) -> Path:
    """A model trained on the three labels by the command, in the test's data directory
    (0600 in a 0700 directory, as the command leaves it)."""
    path = model_dir / "classifier" / "categories.joblib"
    private_directory(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(trained_once)
    return path


@pytest.fixture
def mapped(trained: Path, cast: Any) -> Path:
    """The trained model with its labels mapped to the bureau's categories."""
    for label, code in MAPPING.items():
        LabelMapping.objects.create(label=label, category=Category.objects.get(code=code))
    return trained
