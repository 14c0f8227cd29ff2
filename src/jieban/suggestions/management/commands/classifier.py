"""`jieban classifier train --csv PATH [--text-column title+detail --label-column label]` (or
`--from-db`, the bureau's closed tickets) trains the category classifier and saves it in the
data directory; `jieban classifier eval --csv PATH` prints the saved model's figures on a file:
accuracy, macro-F1, precision, recall and F1 per label, and the confusion matrix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jieban.errors import DomainError
from jieban.suggestions.classifier import (
    Evaluation,
    Examples,
    evaluate,
    load_model,
    model_path,
    save_model,
    shared_storage,
    train_model,
)
from jieban.suggestions.training import (
    DEFAULT_LABEL_COLUMN,
    examples_from_tickets,
    read_examples,
    text_columns,
)


class Command(BaseCommand):
    help = "Train the category classifier, or print its figures on a labelled CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        train = actions.add_parser("train", help="train on a CSV file or the closed tickets")
        source = train.add_mutually_exclusive_group(required=True)
        source.add_argument("--csv", help="a UTF-8 CSV file of labelled texts")
        source.add_argument(
            "--from-db",
            action="store_true",
            help="the bureau's closed tickets: title and content → category code",
        )
        evaluation = actions.add_parser("eval", help="the saved model's figures on a CSV file")
        evaluation.add_argument("--csv", required=True, help="a UTF-8 CSV file of labelled texts")
        for sub in (train, evaluation):
            sub.add_argument(
                "--text-column",
                help="the text's column, or columns joined with + (title+detail); default: "
                "text, else title+detail, else title+content, else content",
            )
            sub.add_argument("--label-column", default=DEFAULT_LABEL_COLUMN)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "train":
                self._train(options)
            else:
                self._evaluate(options)
        except DomainError as exc:
            raise CommandError(exc.message) from exc

    def _examples(self, options: dict[str, Any]) -> Examples:
        path = Path(options["csv"])
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        return read_examples(
            content,
            name=path.name,
            text_column=text_columns(options["text_column"]),
            label_column=options["label_column"],
        )

    def _train(self, options: dict[str, Any]) -> None:
        if options["from_db"]:
            model = train_model(examples_from_tickets(), labels_are_categories=True)
        else:
            model = train_model(self._examples(options))
        path = save_model(model)
        metadata = model.metadata
        held_out = metadata["held_out"]
        self.stdout.write(
            f"Trained on {metadata['rows']} rows, {len(metadata['labels'])} labels, in "
            f"{metadata['train_seconds']} s; held-out {held_out['rows']} rows: accuracy "
            f"{held_out['accuracy']:.4f}, macro-F1 {held_out['macro_f1']:.4f}."
        )
        self.stdout.write(f"Saved to {path} ({path.stat().st_size / 2**20:.1f} MB).")
        if shared_storage() is not None:
            self.stdout.write(
                "Published through the attachments' bucket: every node uses it within a minute."
            )
        if not model.labels_are_categories:
            self.stdout.write(
                "Map its labels to categories in the back office (Classifier labels): "
                + ", ".join(metadata["labels"])
            )

    def _evaluate(self, options: dict[str, Any]) -> None:
        model = load_model()
        if model is None:
            raise CommandError(
                f"No model at {model_path()}: train one with `jieban classifier train`."
            )
        self._print(evaluate(model, self._examples(options)))
        self.stdout.write("model: " + json.dumps(model.metadata, ensure_ascii=False))

    def _print(self, result: Evaluation) -> None:
        write = self.stdout.write
        write(f"rows: {result.rows}")
        write(f"accuracy: {result.accuracy:.4f}")
        write(f"macro-F1: {result.macro_f1:.4f}")
        write(f"time per prediction (in one batch): {result.seconds_per_prediction * 1000:.2f} ms")
        width = max(len(label) for label in ["label", *result.labels]) + 2
        write("")
        write(f"{'label':<{width}}precision  recall      F1  support")
        for scores in result.per_label:
            write(
                f"{scores.label:<{width}}{scores.precision:9.4f}{scores.recall:8.4f}"
                f"{scores.f1:8.4f}{scores.support:9d}"
            )
        write("")
        write("confusion matrix (rows: true label, columns: predicted, in this order):")
        for index, label in enumerate(result.labels):
            write(f"  {index + 1}. {label}")
        write("     " + "".join(f"{index + 1:>6}" for index in range(len(result.labels))))
        for index, row in enumerate(result.confusion):
            write(f"{index + 1:>5}" + "".join(f"{cell:>6}" for cell in row))
