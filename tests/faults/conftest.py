from __future__ import annotations

from pathlib import Path

import pytest

from generator.run import generate


@pytest.fixture(scope="session")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small generated retailer for the whole fault suite."""
    out = tmp_path_factory.mktemp("faults-data")
    generate(out, customers=150, seed=3)
    return out


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No trained model or match index of the developer's reaches the commands under test.
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
