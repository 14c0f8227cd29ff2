"""The category from the text: a classifier trained on Chinese messages with character
n-grams (no word segmenter needed), kept in the data directory with what it was trained on.

The model is a scikit-learn pipeline (TF-IDF over characters and character pairs, a linear
SVM with calibrated probabilities for the confidence) pickled with its metadata in one private
file, `<JIEBAN_DATA_DIR>/classifier/categories.joblib`. It is only ever loaded from there:
a pickle runs code, so a file that others may write is refused like a missing one. A missing or
unreadable model means no suggestions, never an error; the loaded model is kept per process
and read again when the file changes (a new training).

On several nodes (attachments in a bucket, docs/deploy.md) each node has its own data
directory, so a training on one node is shared through the bucket: `save_model` publishes the
file there signed with the secret key (HMAC-SHA256), and `load_model` copies a newer one into
its own data directory, looking at most once every SHARED_CHECK_SECONDS. A published file
whose signature does not match is never written or loaded: whoever may write the bucket
cannot make the nodes run code without the secret key too.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO

import joblib
import numpy as np
import sklearn
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import LinearSVC

from jieban.errors import InvalidInput
from jieban.files import private_directory

logger = logging.getLogger(__name__)

# Bumped when what the file holds changes shape: an older file is then no model.
FORMAT = 1
# The held-out share of the training data the saved scores come from, split by label with a
# fixed seed, so that two trainings on the same data report the same figures.
HELD_OUT = 0.2
SEED = 13
# Each label needs this many examples: some held out, and five calibration folds of the rest.
MIN_PER_LABEL = 8
# The variant bench/RESULTS.md found best on the Teddy Cup messages (character 1-2 grams,
# C = 1, balanced class weights; 1-3 grams scored no better and trained twice as slowly). The
# calibration (sigmoid, out of five folds) turns the one SVM's margins into confidences.
NGRAMS = (1, 2)
C = 1.0
CALIBRATION_FOLDS = 5
TOP = 3
WHITESPACE = re.compile(r"\s+")


def model_path() -> Path:
    """Where the model lives: in the data directory, never in the repository."""
    return Path(settings.DATA_DIR) / "classifier" / "categories.joblib"


def normalise(text: str) -> str:
    """The text as the model reads it: without whitespace, so that a pre-segmented training
    text (words between spaces) and a caller's words typed as they come read alike."""
    return WHITESPACE.sub("", text)


@dataclass(frozen=True)
class Examples:
    """Texts and their labels, with the hash of where they came from."""

    texts: list[str]
    labels: list[str]
    sha256: str
    source: str


@dataclass(frozen=True)
class LabelScores:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Evaluation:
    """A model's figures on labelled texts: accuracy, macro-F1, per label, and the confusion
    matrix (rows: the true label, columns: the predicted one, both in `labels` order)."""

    rows: int
    accuracy: float
    macro_f1: float
    per_label: list[LabelScores]
    labels: list[str]
    confusion: list[list[int]]
    seconds_per_prediction: float = 0.0


@dataclass
class TrainedModel:
    """The pipeline and what it was trained on (`metadata`: JSON-ready)."""

    pipeline: Pipeline
    metadata: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def labels(self) -> list[str]:
        return [str(label) for label in self.pipeline.classes_]

    @property
    def labels_are_categories(self) -> bool:
        """Whether the labels are category codes (trained on the bureau's own tickets)."""
        return bool(self.metadata.get("labels_are_categories"))

    @cached_property
    def scorer(self) -> Scorer | None:
        """The pipeline's arithmetic without its checks, or None where it does not apply."""
        return Scorer.of(self.pipeline)

    def probabilities(self, text: str) -> np.ndarray:
        """The probability of each label (in `labels` order) for a normalised text."""
        if self.scorer is not None:
            return self.scorer.probabilities(text)
        return np.asarray(self.pipeline.predict_proba([text])[0])

    def top(self, text: str, k: int = TOP) -> list[tuple[str, float]]:
        """The `k` likeliest labels for `text` with their probabilities, likeliest first."""
        text = normalise(text)
        if not text:
            return []
        probabilities = self.probabilities(text)
        ranked = sorted(zip(self.labels, probabilities, strict=True), key=lambda p: -p[1])
        return [(label, float(probability)) for label, probability in ranked[:k]]


class Scorer:
    """One text's probabilities as the pipeline computes them (character n-grams, sublinear
    TF-IDF, L2 norm, the SVM's margins, the sigmoid calibration, normalised to sum to one),
    without scikit-learn's per-call checks, which cost several times the arithmetic: a
    suggestion is asked for at every pause in typing. `of` checks it against the pipeline."""

    def __init__(self, pipeline: Pipeline) -> None:
        vectoriser, calibrated = pipeline[0], pipeline[-1]
        only = calibrated.calibrated_classifiers_[0]
        self.vocabulary: dict[str, int] = vectoriser.vocabulary_
        self.lowercase = bool(vectoriser.lowercase)
        self.ngrams: tuple[int, int] = vectoriser.ngram_range
        self.idf = np.asarray(vectoriser.idf_)
        self.weights = np.asarray(only.estimator.coef_)
        self.intercept = np.asarray(only.estimator.intercept_)
        self.slopes = np.array([calibrator.a_ for calibrator in only.calibrators])
        self.offsets = np.array([calibrator.b_ for calibrator in only.calibrators])

    @classmethod
    def of(cls, pipeline: Pipeline) -> Scorer | None:
        """A scorer for the pipeline this module trains, when it gives the same answers."""
        try:
            vectoriser, calibrated = pipeline[0], pipeline[-1]
            if not (
                len(pipeline) == 2
                and isinstance(vectoriser, TfidfVectorizer)
                and vectoriser.analyzer == "char"
                and vectoriser.sublinear_tf
                and vectoriser.norm == "l2"
                and vectoriser.use_idf
                and vectoriser.preprocessor is None
                and vectoriser.strip_accents is None
                and isinstance(calibrated, CalibratedClassifierCV)
                and len(calibrated.calibrated_classifiers_) == 1
            ):
                return None
            scorer = cls(pipeline)
            sample = "".join(sorted(scorer.vocabulary, key=len)[-50:])
            expected = pipeline.predict_proba([sample])[0]
        except (AttributeError, IndexError, TypeError, ValueError):
            return None
        return scorer if np.allclose(scorer.probabilities(sample), expected, atol=1e-9) else None

    def probabilities(self, text: str) -> np.ndarray:
        if self.lowercase:
            text = text.lower()
        low, high = self.ngrams
        find = self.vocabulary.get
        found = [
            find(text[start : start + size])
            for size in range(low, high + 1)
            for start in range(len(text) - size + 1)
        ]
        counts = Counter(index for index in found if index is not None)
        margins = self.intercept.copy()
        if counts:
            indices = np.fromiter(counts, dtype=np.intp, count=len(counts))
            values = (np.log(np.fromiter(counts.values(), dtype=float)) + 1) * self.idf[indices]
            values /= np.sqrt(values @ values)
            margins = margins + self.weights[:, indices] @ values
        calibrated = 1 / (1 + np.exp(self.slopes * margins + self.offsets))
        if len(calibrated) == 1:  # two labels: one margin, for the second
            return np.array([1 - calibrated[0], calibrated[0]])
        total = calibrated.sum()
        if total == 0:
            return np.full(len(calibrated), 1 / len(calibrated))
        return np.clip(calibrated / total, 0, 1)


def _pipeline() -> Pipeline:
    vectoriser = TfidfVectorizer(analyzer="char", ngram_range=NGRAMS, sublinear_tf=True, min_df=2)
    svm = LinearSVC(C=C, class_weight="balanced")
    return make_pipeline(
        vectoriser,
        CalibratedClassifierCV(svm, cv=CALIBRATION_FOLDS, method="sigmoid", ensemble=False),
    )


def check_trainable(examples: Examples) -> None:
    """InvalidInput unless every label has enough examples and there are two labels."""
    counts: dict[str, int] = {}
    for label in examples.labels:
        counts[label] = counts.get(label, 0) + 1
    if len(counts) < 2:
        raise InvalidInput(_("Training needs at least two labels."), field="label")
    scarce = sorted(label for label, count in counts.items() if count < MIN_PER_LABEL)
    if scarce:
        raise InvalidInput(
            _("Each label needs at least %(min)d examples; too few for: %(labels)s.")
            % {"min": MIN_PER_LABEL, "labels": ", ".join(scarce[:10])},
            field="label",
        )


def train_model(examples: Examples, *, labels_are_categories: bool = False) -> TrainedModel:
    """A model trained on every example, with its scores on a held-out 20 % (a first model
    trained on the other 80 %) in its metadata."""
    check_trainable(examples)
    texts = [normalise(text) for text in examples.texts]
    started = time.perf_counter()
    train_texts, held_texts, train_labels, held_labels = train_test_split(
        texts, examples.labels, test_size=HELD_OUT, stratify=examples.labels, random_state=SEED
    )
    if len(set(held_labels)) < len(set(examples.labels)):
        raise InvalidInput(_("Too few examples to hold some of every label out."), field="label")
    first = _pipeline().fit(train_texts, train_labels)
    held_out = evaluate(TrainedModel(first), Examples(held_texts, held_labels, "", ""))
    pipeline = _pipeline().fit(texts, examples.labels)
    seconds = time.perf_counter() - started
    metadata = {
        "format": FORMAT,
        "trained_at": timezone.now().isoformat(timespec="seconds"),
        "source": examples.source,
        "sha256": examples.sha256,
        "rows": len(texts),
        "labels": [str(label) for label in pipeline.classes_],
        "labels_are_categories": labels_are_categories,
        "held_out": {
            "rows": held_out.rows,
            "accuracy": round(held_out.accuracy, 4),
            "macro_f1": round(held_out.macro_f1, 4),
        },
        "features": len(pipeline[0].vocabulary_),
        "train_seconds": round(seconds, 2),
        "scikit_learn": sklearn.__version__,
    }
    return TrainedModel(pipeline, metadata)


def evaluate(model: TrainedModel, examples: Examples) -> Evaluation:
    """`model`'s figures on `examples` (accuracy, macro-F1, per label, confusion matrix)."""
    texts = [normalise(text) for text in examples.texts]
    started = time.perf_counter()
    predicted = [str(label) for label in model.pipeline.predict(texts)]
    seconds = (time.perf_counter() - started) / max(len(texts), 1)
    labels = sorted(set(examples.labels) | set(predicted))
    precision, recall, f1, support = precision_recall_fscore_support(
        examples.labels, predicted, labels=labels, zero_division=0
    )
    per_label = [
        LabelScores(label, float(p), float(r), float(f), int(s))
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    ]
    matrix = confusion_matrix(examples.labels, predicted, labels=labels)
    return Evaluation(
        rows=len(texts),
        accuracy=float(accuracy_score(examples.labels, predicted)),
        macro_f1=float(
            f1_score(
                examples.labels,
                predicted,
                labels=sorted(set(examples.labels)),
                average="macro",
                zero_division=0,
            )
        ),
        per_label=per_label,
        labels=labels,
        confusion=[[int(cell) for cell in row] for row in matrix],
        seconds_per_prediction=seconds,
    )


def save_model(model: TrainedModel, path: Path | None = None) -> Path:
    """Write `model` to its private file (0600 in a 0700 directory), replacing the old one in
    one step so that a process reading it never sees half a file; the node's own model is also
    published to the other nodes when they share a bucket (`publish_model`)."""
    own = path is None
    path = path or model_path()

    def dump(file: BinaryIO) -> None:
        content = {"format": FORMAT, "pipeline": model.pipeline, "metadata": model.metadata}
        joblib.dump(content, file)

    _write_private(path, dump)
    if own:
        publish_model(path)
    return path


def _write_private(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """`path` written by `write` into a private file beside it, then put in place in one step."""
    private_directory(path.parent)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


# The model shared between nodes (see the module), in the attachments' bucket: each published
# model under a name made from its signature, and the pointer to the current one; how often a
# node reads the pointer; the signature's salt and length; and the file beside a node's copy
# that names the published model it is.
SHARED_FOLDER = "classifier"
SHARED_POINTER = f"{SHARED_FOLDER}/current"
SHARED_CHECK_SECONDS = 60
SIGNATURE_SALT = "jieban.suggestions.classifier.shared_model"
SIGNATURE_BYTES = 32
SOURCE_SUFFIX = ".source"
PUBLISHED_NAME = re.compile(rf"{SHARED_FOLDER}/categories-[0-9a-f]{{32}}\.joblib")


def shared_storage() -> Storage | None:
    """The attachments' storage when every node shares it (a bucket), else None (a data
    directory is each node's own)."""
    storage = storages["default"]
    return None if isinstance(storage, FileSystemStorage) else storage


def _signature(content: bytes) -> bytes:
    return salted_hmac(SIGNATURE_SALT, content, algorithm="sha256").digest()


def _source_of(path: Path) -> Path:
    return path.with_name(path.name + SOURCE_SUFFIX)


def publish_model(path: Path) -> bool:
    """The model file at `path` put, signed, where the other nodes fetch it, and made the
    current one; False when the nodes share no storage."""
    storage = shared_storage()
    if storage is None:
        return False
    content = path.read_bytes()
    signature = _signature(content)
    name = f"{SHARED_FOLDER}/categories-{signature.hex()[:32]}.joblib"
    if not storage.exists(name):
        storage.save(name, ContentFile(signature + content))
    # The storage never overwrites a name: the old pointer goes first.
    storage.delete(SHARED_POINTER)
    storage.save(SHARED_POINTER, ContentFile(name.encode("utf-8")))
    _write_private(_source_of(path), lambda file: file.write(name.encode("utf-8")))
    _folders, files = storage.listdir(SHARED_FOLDER)
    for earlier in files:
        if earlier.startswith("categories-") and f"{SHARED_FOLDER}/{earlier}" != name:
            storage.delete(f"{SHARED_FOLDER}/{earlier}")
    return True


_shared: dict[str, float] = {"checked": float("-inf")}
_shared_lock = threading.Lock()


def _fetch_shared(path: Path) -> None:
    """The current published model copied to `path` when it is not the one there, once its
    signature is checked; looked for at most once every SHARED_CHECK_SECONDS per process. A
    storage that does not answer leaves the node with the model it has."""
    storage = shared_storage()
    if storage is None:
        return
    with _shared_lock:
        now = time.monotonic()
        if now - _shared["checked"] < SHARED_CHECK_SECONDS:
            return
        _shared["checked"] = now
    source = _source_of(path)
    try:
        with storage.open(SHARED_POINTER, "rb") as pointer:
            name = pointer.read().decode("utf-8").strip()
        if not PUBLISHED_NAME.fullmatch(name):
            logger.warning("shared classifier model ignored: the pointer names %r", name[:100])
            return
        if path.exists() and source.exists() and source.read_text(encoding="utf-8") == name:
            return
        with storage.open(name, "rb") as published:
            signed = published.read()
    except FileNotFoundError:
        return  # nothing published yet (or replaced while being read: the next look)
    except Exception:
        # Whatever the storage raises (a network error, a refusal): the node keeps its model.
        logger.warning("shared classifier model could not be fetched", exc_info=True)
        return
    signature, content = signed[:SIGNATURE_BYTES], signed[SIGNATURE_BYTES:]
    if not hmac.compare_digest(signature, _signature(content)):
        logger.warning("shared classifier model ignored: not signed with this secret key")
        return
    _write_private(path, lambda file: file.write(content))
    _write_private(source, lambda file: file.write(name.encode("utf-8")))


# The model this process loaded, and the file's (path, mtime, size, inode) it was read from.
_cache: dict[str, Any] = {"key": None, "model": None}
_cache_lock = threading.Lock()


def load_model() -> TrainedModel | None:
    """The saved model, read once per process and again when its file changes; None when
    there is none, or it cannot be read, or others may write its file (see the module)."""
    path = model_path()
    _fetch_shared(path)
    try:
        status = path.stat()
    except OSError:
        return None
    key = (str(path), status.st_mtime_ns, status.st_size, status.st_ino)
    with _cache_lock:
        if _cache["key"] == key:
            return _cache["model"]
        model = _read(path, status)
        _cache.update(key=key, model=model)
        return model


def _read(path: Path, status: os.stat_result) -> TrainedModel | None:
    if status.st_mode & 0o022 or status.st_uid != os.geteuid():
        logger.warning("classifier model %s ignored: others may write it", path)
        return None
    try:
        content = joblib.load(path)
    except Exception:
        # A truncated or foreign file, or one from an incompatible scikit-learn: unpickling
        # raises many kinds, and each means there is no model to suggest with.
        logger.warning("classifier model %s could not be read", path, exc_info=True)
        return None
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        logger.warning("classifier model %s is not a model of this version", path)
        return None
    pipeline = content.get("pipeline")
    if not isinstance(pipeline, Pipeline):
        return None
    return TrainedModel(pipeline, dict(content.get("metadata") or {}))


def ticket_text(title: str, content: str) -> str:
    """A ticket's words as the classifier reads them: the title (often the content's first
    line, then read once) and the content."""
    return content if content.startswith(title) else f"{title}\n{content}"
