"""A `.json` document is read a block at a time, with the rows and the errors that reading
it whole with `json.load` gave: the same rows in order, `not_an_object` for a row that is no
object, "not valid JSON: <json's message> at line N" and the `json_records_path` choice."""

from __future__ import annotations

import json
import random
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from ingest import json_stream
from ingest.errors import SourceFileError
from ingest.readers import BadRow, read_rows

DOCUMENTS = [
    '[{"id": 1, "tags": [1, 2, {"c": "x\\ny"}]}, {"id": 2.5e3}, 3, "s", null, true, [1, 2]]',
    '{"meta": {"n": 2, "l": [1]}, "customers": [{"id": 1}, {"id": 2}], "next": null}',
    '{"customers": [{"id": 1}], "orders": [{"id": 2}]}',
    '{"customers": [{"id": 1}], "customers": {"x": 1}}',
    '{"customers": {"x": 1}, "customers": [{"id": 9}]}',
    '{"customers": [{"id": 1}, 7]}',
    '[\n{"id": "a\\u00e9\\"q"},\n  {"id": -0.5E-3}\n,{"id": 12345678901234567890}]\n',
    "  \n [ ] \n ",
    "{}",
    "5",
    '{"a": 5}',
    "\ufeff[]",
]
_NOISE = list(',:[]{}" \n1e.-tx\\')


def _as_json_load_read_it(doc: str, records_path: str | None) -> list[Any] | str:
    """What the reader gave when it parsed the whole document with `json.load`."""
    try:
        parsed = json.loads(doc)
    except json.JSONDecodeError as exc:
        return f"not valid JSON: {exc.msg} at line {exc.lineno}"
    rows = parsed.get(records_path) if records_path and isinstance(parsed, dict) else parsed
    if isinstance(rows, dict) and records_path is None:
        lists = [v for v in rows.values() if isinstance(v, list)]
        rows = lists[0] if len(lists) == 1 else rows
    if not isinstance(rows, list):
        return "expected a list of rows (set json_records_path)"
    return [
        (i, o if isinstance(o, dict) else BadRow("not_an_object", {"value": str(o)[:2000]}))
        for i, o in enumerate(rows, start=1)
    ]


def _read(path: Path, records_path: str | None) -> list[Any] | str:
    try:
        return list(read_rows(path, "json", records_path=records_path))
    except SourceFileError as exc:
        return exc.reason


def _mutations(doc: str, n: int, rnd: random.Random) -> list[str]:
    """The document cut short, and with a character added, removed or replaced."""
    out = []
    for _ in range(n):
        i = rnd.randrange(len(doc) + 1)
        cut, noise = rnd.randrange(4), rnd.choice(_NOISE)
        out.append(
            [
                doc[:i],
                doc[:i] + noise + doc[i:],
                doc[:i] + doc[i + 1 :],
                doc[:i] + noise + doc[i + 1 :],
            ][cut]
        )
    return out


@pytest.mark.parametrize("block", [1, 5, json_stream.BLOCK])
def test_rows_and_errors_are_those_of_json_load(
    block: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks of 1 and 5 characters end inside every kind of token (`12` of `12.5e3`,
    `tru` of `true`, half an escape); hundreds of broken documents give json's own error."""
    monkeypatch.setattr(json_stream, "BLOCK", block)
    rnd = random.Random(16)
    docs = [m for d in DOCUMENTS for m in [d, *_mutations(d, 25, rnd)]]
    path = tmp_path / "doc.json"
    errors = 0
    for doc in docs:
        path.write_text(doc, encoding="utf-8")
        for records_path in (None, "customers", "orders"):
            expected = _as_json_load_read_it(doc.removeprefix("\ufeff"), records_path)
            assert _read(path, records_path) == expected, (doc, records_path)
            errors += isinstance(expected, str) and expected.startswith("not valid JSON")
    assert errors > 300  # most mutations break the document


def test_an_error_names_the_line_and_comes_before_any_row(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    rows = ",\n".join(json.dumps({"id": i}) for i in range(5_000))
    path.write_text(f'{{"customers": [\n{rows},\n{{"id": 5000 "x": 1}}\n]}}\n')
    reader = read_rows(path, "json", records_path="customers")
    with pytest.raises(
        SourceFileError, match=r"not valid JSON: Expecting ',' delimiter at line 5002"
    ):
        next(reader)


def test_a_large_document_is_read_in_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading a 1.9 MB document row by row holds a few blocks of it, not the document
    (`json.load` held it whole: 1.9 MB of text and several times that in objects)."""
    monkeypatch.setattr(json_stream, "BLOCK", 1 << 14)
    path = tmp_path / "doc.json"
    row = {"email": "someone@example.com", "name": "A Name", "tags": ["a", "b"], "n": 1.5}
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{"meta": {"exported": "2026-12-05"}, "customers": [')
        fh.write(",\n".join(json.dumps({"id": i, **row}) for i in range(20_000)))
        fh.write("]}")
    size = path.stat().st_size
    assert size > 1_800_000
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_rows(path, "json"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert peak < size / 10, (peak, size)
