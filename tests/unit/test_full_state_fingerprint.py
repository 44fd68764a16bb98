"""`matching.full_state`: the fingerprint of what a full resolution depends on."""

from __future__ import annotations

from pathlib import Path

import pytest

from matching.full_state import _sources, code_hash, fingerprint

pytestmark = pytest.mark.unit


def test_the_fingerprint_follows_every_input_and_not_their_order() -> None:
    base = fingerprint(config={"a": 1, "b": [1, 2]}, model="m1", threshold=0.95)
    assert base == fingerprint(threshold=0.95, model="m1", config={"b": [1, 2], "a": 1})
    assert base != fingerprint(config={"a": 1, "b": [1, 2]}, model="m2", threshold=0.95)
    assert base != fingerprint(config={"a": 2, "b": [1, 2]}, model="m1", threshold=0.95)
    assert base != fingerprint(config={"a": 1, "b": [1, 2]}, model="m1", threshold=0.9)
    assert len(code_hash()) == 20 and code_hash() == code_hash()


def test_the_code_read_is_every_source_file_and_only_those(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__pycache__").mkdir()
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "sub" / "q.cypher").write_text("RETURN 1\n")
    (pkg / "rules.yaml").write_text("k: v\n")
    (pkg / "__pycache__" / "a.cpython-311.pyc").write_text("compiled")
    (pkg / "notes.txt").write_text("not code")
    found = dict(_sources(pkg, "pkg"))
    assert found == {
        "pkg/a.py": "x = 1\n",
        "pkg/sub/q.cypher": "RETURN 1\n",
        "pkg/rules.yaml": "k: v\n",
    }
