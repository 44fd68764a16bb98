"""Trained matching models on disk, one JSON file per version.

Layout of a store directory:

    model-<version>.json        a `TrainedModel`, written once and never modified
    model-<version>.tf.parquet  its frozen term frequencies (`matching.term_frequencies`)
    current                     the version in use, as text

Files are written to a temporary name and renamed, so a reader never sees half a file
and switching `current` is atomic. Versions are content hashes, so saving the same model
twice is harmless.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from pydantic import ValidationError

from matching import term_frequencies as tf_store
from matching.probabilistic import ProbabilisticMatchingError, TrainedModel

__all__ = [
    "ModelNotFound",
    "ModelStore",
    "ModelStoreError",
    "ModelVersion",
    "NoCurrentModel",
    "wipe_matching_state",
]

_VERSION: Final = re.compile(r"^[0-9a-f]{8,64}$")
_CURRENT: Final = "current"
_PREFIX: Final = "model-"
_SUFFIX: Final = ".json"
_TF_SUFFIX: Final = ".tf.parquet"


class ModelStoreError(ProbabilisticMatchingError):
    """A model store problem."""


class ModelNotFound(ModelStoreError):
    def __init__(self, version: str) -> None:
        super().__init__(f"no stored model with version {version!r}")
        self.version = version


class NoCurrentModel(ModelStoreError):
    def __init__(self, directory: Path) -> None:
        super().__init__(f"no current model in {directory}")
        self.directory = directory


@dataclass(frozen=True, slots=True)
class ModelVersion:
    version: str
    trained_at: datetime
    record_count: int
    current: bool


def _check_version(version: str) -> str:
    # Versions become file names: only hex digests, so no path can be smuggled in.
    if not _VERSION.fullmatch(version):
        raise ModelNotFound(version)
    return version


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ModelStore:
    """Save, load and list `TrainedModel` versions in one directory."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def _path(self, version: str) -> Path:
        return self.directory / f"{_PREFIX}{_check_version(version)}{_SUFFIX}"

    def _tf_path(self, version: str) -> Path:
        return self.directory / f"{_PREFIX}{_check_version(version)}{_TF_SUFFIX}"

    def save(
        self,
        model: TrainedModel,
        *,
        make_current: bool = True,
        term_frequencies: tf_store.TermFrequencies | None = None,
    ) -> Path:
        """Store `model` (once per version), with the term frequencies frozen with it, and,
        by default, make it current.

        Returns:
            The model's file.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(model.version)
        tf_path = self._tf_path(model.version)
        # Before the model, so that a model on disk always has its frequencies.
        if term_frequencies is not None and not tf_path.exists():
            tf_store.save(term_frequencies, tf_path)
        if not path.exists():
            _write_atomically(path, model.model_dump_json(indent=2))
        if make_current:
            self.set_current(model.version)
        return path

    def load(self, version: str | None = None) -> TrainedModel:
        """Load a version, or the current model when `version` is None.

        Raises:
            ModelNotFound: No such version.
            NoCurrentModel: `version` is None and no model is current.
        """
        if version is None:
            version = self.current_version()
            if version is None:
                raise NoCurrentModel(self.directory)
        path = self._path(version)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ModelNotFound(version) from None
        try:
            return TrainedModel.model_validate_json(text)
        except ValidationError as exc:
            raise ModelStoreError(f"stored model {version} is not valid: {exc}") from exc

    def term_frequencies(self, version: str) -> tf_store.TermFrequencies | None:
        """The term frequencies frozen with a version; None for a model saved without
        (scoring then counts the records indexed, as before they were kept)."""
        path = self._tf_path(version)
        try:
            return tf_store.load(path)
        except FileNotFoundError:
            return None

    def current_version(self) -> str | None:
        try:
            version = (self.directory / _CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return version or None

    def set_current(self, version: str) -> None:
        if not self._path(version).exists():
            raise ModelNotFound(version)
        _write_atomically(self.directory / _CURRENT, version + "\n")

    def versions(self) -> list[ModelVersion]:
        """All stored versions, oldest first."""
        if not self.directory.is_dir():
            return []
        current = self.current_version()
        found = []
        for path in self.directory.glob(f"{_PREFIX}*{_SUFFIX}"):
            version = path.name[len(_PREFIX) : -len(_SUFFIX)]
            if not _VERSION.fullmatch(version):
                continue
            model = self.load(version)
            found.append(
                ModelVersion(
                    version=model.version,
                    trained_at=model.trained_at,
                    record_count=model.record_count,
                    current=model.version == current,
                )
            )
        return sorted(found, key=lambda v: (v.trained_at, v.version))


MATCH_INDEX_FILES: Final = ("match-index.duckdb", "match-index.duckdb.wal")


def wipe_matching_state(model_dir: Path) -> list[Path]:
    """Delete the trained models and the match index in `model_dir`; the paths deleted.

    They describe the records of a graph: once the graph is wiped, a model trained on it
    and an index of its records would score a new graph's records against ghosts.
    """
    if not model_dir.is_dir():
        return []
    gone: list[Path] = []
    for path in sorted(model_dir.iterdir()):
        is_model = path.name == _CURRENT or (
            path.name.startswith(_PREFIX) and path.name.endswith((_SUFFIX, _TF_SUFFIX))
        )
        if path.is_file() and (is_model or path.name in MATCH_INDEX_FILES):
            path.unlink()
            gone.append(path)
    return gone
