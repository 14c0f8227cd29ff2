"""The category classifier: `jieban classifier train` and `eval` on small CSV files the tests
write, the model's file in the data directory, and what happens without one."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
from django.core.management.base import CommandError

from jieban.suggestions.classifier import load_model, normalise
from jieban.suggestions.labels import suggest_categories
from jieban.tickets import transitions
from jieban.tickets.models import Ticket
from tests.classifier_data import (
    DOGS,
    PLACES,
    csv_bytes,
    labelled_rows,
    run,
    write_csv,
)
from tests.conftest import Cast, dispatch, new_ticket, resolve


class TestTrain:
    def test_it_saves_the_model_with_its_metadata_in_the_data_directory(
        self, trained: Path
    ) -> None:
        assert trained.exists()
        # Private: the file 0600, its directory 0700.
        assert trained.stat().st_mode & 0o777 == 0o600
        assert trained.parent.stat().st_mode & 0o777 == 0o700
        model = load_model()
        assert model is not None
        metadata = model.metadata
        assert metadata["labels"] == ["交通", "养犬", "噪音"]
        assert metadata["rows"] == len(PLACES) * 3
        assert len(metadata["sha256"]) == 64
        assert metadata["held_out"]["rows"] > 0
        assert metadata["held_out"]["macro_f1"] == 1.0
        assert metadata["trained_at"]
        assert model.top("小区里有狗不拴绳追咬路人")[0][0] == "养犬"

    def test_it_says_what_it_trained_and_which_labels_need_a_category(
        self, model_dir: Path, tmp_path: Path
    ) -> None:
        path = write_csv(tmp_path / "t.csv", csv_bytes(labelled_rows()))
        out = run("train", "--csv", path)
        assert "Trained on 36 rows, 3 labels" in out
        assert "macro-F1 1.0000" in out
        assert "交通, 养犬, 噪音" in out

    def test_it_joins_several_text_columns(self, model_dir: Path, tmp_path: Path) -> None:
        rows = [(text[:8], text[8:], "2020/1/6", label) for text, label in labelled_rows()]
        headers = ("title", "detail", "received_at", "label")
        path = write_csv(tmp_path / "dev.csv", csv_bytes(rows, headers))
        # title+detail is the default when there is no text column; it can be named too.
        run("train", "--csv", path)
        run("train", "--csv", path, "--text-column", "title+detail", "--label-column", "label")
        model = load_model()
        assert model is not None
        assert model.top("有人遛狗不拴绳")[0][0] == "养犬"

    def test_it_trains_on_the_closed_tickets_with_category_codes(
        self, cast: Cast, model_dir: Path
    ) -> None:
        for place in PLACES[:10]:
            for content, category in (
                (DOGS.format(place=place), "dangerous_dogs"),
                (f"{place}楼上装修电钻噪音太大吵得睡不着", "noise"),
            ):
                ticket = resolve(cast, dispatch(cast, new_ticket(
                    cast.dispatcher, content=content, category=category)))  # fmt: skip
                transitions.close_ticket(ticket.number, note="", by=cast.dispatcher)
        new_ticket(cast.dispatcher, content="还没办结的不算", category="other")
        out = run("train", "--from-db")
        assert "Trained on 20 rows, 2 labels" in out
        model = load_model()
        assert model is not None and model.labels_are_categories
        # Category codes need no mapping: they are suggested as they are.
        suggested = suggest_categories("邻居遛狗不拴绳，狗追咬路人")
        assert [item.code for item in suggested][:1] == ["dangerous_dogs"]
        assert Ticket.objects.filter(status="closed").count() == 20

    def test_it_refuses_without_closed_tickets(self, cast: Cast, model_dir: Path) -> None:
        with pytest.raises(CommandError, match="没有可用于训练的已办结工单"):
            run("train", "--from-db")


class TestBadInput:
    def test_it_names_a_missing_column(self, model_dir: Path, tmp_path: Path) -> None:
        path = write_csv(tmp_path / "t.csv", csv_bytes(labelled_rows(), ("text", "category")))
        with pytest.raises(CommandError, match=r"t\.csv 没有 label 列（现有列：text, category）"):
            run("train", "--csv", path)
        with pytest.raises(CommandError, match="没有 body 列"):
            run("train", "--csv", path, "--text-column", "body", "--label-column", "category")

    def test_it_refuses_a_file_that_is_not_utf8(self, model_dir: Path, tmp_path: Path) -> None:
        content = csv_bytes(labelled_rows()).decode().encode("gb18030")
        path = write_csv(tmp_path / "gbk.csv", content)
        with pytest.raises(CommandError, match=r"gbk\.csv 不是 UTF-8 文本"):
            run("train", "--csv", path)
        assert load_model() is None

    def test_it_refuses_a_row_without_text_or_label(self, model_dir: Path, tmp_path: Path) -> None:
        rows = [*labelled_rows(), ("", "噪音")]
        with pytest.raises(CommandError, match=r"t\.csv 第 38 行没有文本"):
            run("train", "--csv", write_csv(tmp_path / "t.csv", csv_bytes(rows)))
        rows = [*labelled_rows(), ("有字没标签", " ")]
        with pytest.raises(CommandError, match=r"t\.csv 第 38 行没有标签"):
            run("train", "--csv", write_csv(tmp_path / "t.csv", csv_bytes(rows)))

    def test_it_refuses_too_few_examples_of_a_label(self, model_dir: Path, tmp_path: Path) -> None:
        rows = [*labelled_rows(), ("物业费乱收费", "物业"), ("物业不作为", "物业")]
        with pytest.raises(CommandError, match="至少需要 8 条样本；以下标签样本不足：物业"):
            run("train", "--csv", write_csv(tmp_path / "t.csv", csv_bytes(rows)))
        only = [row for row in labelled_rows() if row[1] == "噪音"]
        with pytest.raises(CommandError, match="至少需要两个标签"):
            run("train", "--csv", write_csv(tmp_path / "t.csv", csv_bytes(only)))

    def test_it_drops_control_characters_from_the_training_texts(
        self, model_dir: Path, tmp_path: Path
    ) -> None:
        rows = [(f"{text}\x00\x1b", label) for text, label in labelled_rows()]
        run("train", "--csv", write_csv(tmp_path / "t.csv", csv_bytes(rows)))
        model = load_model()
        assert model is not None
        vocabulary = model.pipeline[0].vocabulary_
        assert not any("\x00" in term or "\x1b" in term for term in vocabulary)

    def test_it_says_when_the_file_is_missing_or_empty(
        self, model_dir: Path, tmp_path: Path
    ) -> None:
        with pytest.raises(CommandError, match="No such file"):
            run("train", "--csv", str(tmp_path / "nowhere.csv"))
        with pytest.raises(CommandError, match=r"empty\.csv"):
            run("train", "--csv", write_csv(tmp_path / "empty.csv", b""))
        with pytest.raises(CommandError, match="title\\+detail"):
            path = write_csv(tmp_path / "t.csv", csv_bytes(labelled_rows()))
            run("train", "--csv", path, "--text-column", "title+")


class TestEval:
    def test_it_prints_the_figures_and_the_confusion_matrix(
        self, trained: Path, tmp_path: Path
    ) -> None:
        rows = [
            ("东区楼上装修电钻噪音太大吵得睡不着", "噪音"),
            ("西区有人遛狗不拴绳，狗追咬路人", "养犬"),
            ("路口两车剐蹭，双方对赔偿有争议", "交通"),
            ("路口车辆剐蹭发生交通事故", "噪音"),
        ]
        out = run("eval", "--csv", write_csv(tmp_path / "e.csv", csv_bytes(rows)))
        assert "rows: 4" in out
        assert "accuracy: 0.7500" in out
        assert "macro-F1:" in out
        assert "time per prediction (in one batch):" in out
        lines = out.splitlines()
        header = lines.index("label  precision  recall      F1  support")
        assert lines[header + 1].split() == ["交通", "0.5000", "1.0000", "0.6667", "1"]
        assert lines[header + 3].split() == ["噪音", "1.0000", "0.5000", "0.6667", "2"]
        # Rows: the true label; columns: the predicted one (交通, 养犬, 噪音).
        matrix = lines[lines.index("  3. 噪音") + 2 :][:3]
        assert [line.split()[1:] for line in matrix] == [
            ["1", "0", "0"],
            ["0", "1", "0"],
            ["1", "0", "1"],
        ]
        metadata = json.loads(lines[-1].removeprefix("model: "))
        assert metadata["labels"] == ["交通", "养犬", "噪音"]

    def test_it_says_there_is_no_model(self, model_dir: Path, tmp_path: Path) -> None:
        path = write_csv(tmp_path / "e.csv", csv_bytes(labelled_rows()))
        with pytest.raises(CommandError, match=r"No model at .*train one"):
            run("eval", "--csv", path)


class TestModelFile:
    def test_a_missing_model_means_no_suggestions(self, cast: Cast, model_dir: Path) -> None:
        assert load_model() is None
        assert suggest_categories("楼上装修噪音") == []

    def test_an_unreadable_model_means_no_suggestions(self, mapped: Path) -> None:
        assert suggest_categories("楼上装修电钻噪音")
        mapped.write_bytes(b"not a pickle")
        assert load_model() is None
        assert suggest_categories("楼上装修电钻噪音") == []
        joblib.dump({"format": 999}, mapped)
        assert load_model() is None

    def test_it_refuses_a_model_others_may_write(self, mapped: Path) -> None:
        os.chmod(mapped, 0o622)
        assert load_model() is None
        os.chmod(mapped, 0o600)
        os.utime(mapped, ns=(1, 1))
        assert load_model() is not None

    def test_it_keeps_the_model_and_reads_it_again_when_the_file_changes(
        self, mapped: Path, tmp_path: Path
    ) -> None:
        first = load_model()
        assert first is not None and load_model() is first
        rows = [(text, "噪音" if label == "噪音" else "其他") for text, label in labelled_rows()]
        run("train", "--csv", write_csv(tmp_path / "again.csv", csv_bytes(rows)))
        second = load_model()
        assert second is not first
        assert second is not None and second.labels == ["其他", "噪音"]

    def test_labels_without_a_category_are_not_suggested(self, trained: Path, cast: Any) -> None:
        assert suggest_categories("有人遛狗不拴绳，狗追咬路人") == []


class TestScorer:
    def test_it_gives_the_pipelines_probabilities_without_its_checks(
        self, trained: Path, tmp_path: Path
    ) -> None:
        texts = ["有人遛狗不拴绳", "楼上装修电钻噪音", "路口剐蹭", "完全无关的话", "ABC abc"]
        for labels in (3, 2):
            if labels == 2:
                rows = [(text, "噪音" if label == "噪音" else "其他")
                        for text, label in labelled_rows()]  # fmt: skip
                run("train", "--csv", write_csv(tmp_path / "two.csv", csv_bytes(rows)))
            model = load_model()
            assert model is not None and model.scorer is not None
            for text in texts:
                expected = model.pipeline.predict_proba([normalise(text)])[0]
                assert np.allclose(model.probabilities(normalise(text)), expected, atol=1e-9)
