"""Bad files get one clear error naming the file and line, and lose nothing: a latin-1 file
(found before anything is written; read with the mapping's `encoding`), duplicate keys, a
wrong delimiter, a bad `csv_delimiter`, a mapping that is not UTF-8, and the command line's
one-line errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from graph.client import GraphClient
from ingest import readers
from ingest.errors import MappingError, SourceFileError
from ingest.mapping import load_mapping, parse_mapping
from ingest.pipeline import Ingestor
from tests.factories.cli import cdp

MAPPING = """
source: crm
format: csv
{extra}
customers:
  file: people.csv
  key: id
  identifiers:
    - {{field: email, type: email}}
  attributes:
    given_name: {{field: first, kind: name}}
"""


def _mapping(extra: str = "") -> str:
    return MAPPING.format(extra=extra)


def _latin1_file(path: Path, rows: int, bad_line: int) -> None:
    lines = ["id,first,email"]
    for i in range(1, rows + 1):
        first = "José" if len(lines) + 1 == bad_line else f"Ann{i}"
        lines.append(f"c{i},{first},p{i}@example.com")
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))


async def _count(graph: GraphClient, label: str) -> int:
    rows = await graph.read_text("t", f"MATCH (n:{label}) RETURN count(n) AS n")
    return int(rows[0]["n"])


async def test_a_latin1_file_is_refused_before_anything_is_written_naming_the_line(
    graph: GraphClient, tmp_path: Path
) -> None:
    _latin1_file(tmp_path / "people.csv", rows=3_000, bad_line=2_502)
    ingestor = Ingestor(graph, parse_mapping(_mapping(), "test"), chunk_size=500)
    with pytest.raises(SourceFileError, match=r"people\.csv: line 2502 is not UTF-8") as err:
        await ingestor.ingest_path(tmp_path)
    assert "encoding" in str(err.value)
    for label in ("Record", "IngestBatch", "Quarantine"):
        assert await _count(graph, label) == 0, label


async def test_the_mapping_declares_the_encoding_and_counts_stay_true(
    graph: GraphClient, tmp_path: Path
) -> None:
    _latin1_file(tmp_path / "people.csv", rows=3_000, bad_line=2_502)
    mapping = parse_mapping(_mapping("encoding: latin-1"), "test")
    (rep,) = await Ingestor(graph, mapping, chunk_size=500).ingest_path(tmp_path)
    assert rep.status == "completed"
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (3_000, 3_000, 0)
    assert await _count(graph, "Record") == 3_000
    names = await graph.read_text(
        "t", "MATCH (r:Record {rid: 'crm:c2501'}) RETURN r.given_name AS n"
    )
    assert names == [{"n": "José"}]
    with pytest.raises(MappingError, match="unknown encoding"):
        parse_mapping(_mapping("encoding: klingon"), "test")


def test_the_encoding_check_streams_and_finds_a_character_split_across_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "_CHECK_BLOCK", 7)  # many blocks; "é" split across two
    path = tmp_path / "a.csv"
    path.write_bytes("id\nab\nxxxxé\n".encode() + b"ok\n\xe9\n")
    with pytest.raises(SourceFileError, match="line 5 is not UTF-8"):
        readers.check_encoding(path)
    path.write_bytes("id\nab\nxxxxé\n".encode())
    readers.check_encoding(path)
    path.write_bytes(b"id\nab\xc3")
    with pytest.raises(SourceFileError, match="last line"):
        readers.check_encoding(path)


async def test_duplicate_keys_in_one_file_are_quarantined_naming_the_first_row(
    graph: GraphClient, tmp_path: Path
) -> None:
    (tmp_path / "people.csv").write_text(
        "id,first,email\nc1,Ann,ann@x.com\nc2,Bob,bob@x.com\nc1,Annie,annie@x.com\n"
    )
    mapping = parse_mapping(_mapping(), "test")
    (rep,) = await Ingestor(graph, mapping).ingest_path(tmp_path)
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (3, 2, 1)
    assert rep.quarantine_reasons == {"duplicate_key": 1}
    q = await graph.read_text("t", "MATCH (q:Quarantine) RETURN q.row AS row, q.reason AS reason")
    assert q == [{"row": 3, "reason": "duplicate_key: row 1 of this file has the same key"}]
    kept = await graph.read_text("t", "MATCH (r:Record {rid: 'crm:c1'}) RETURN r.given_name AS n")
    assert kept == [{"n": "Ann"}]


async def test_a_duplicate_key_many_chunks_after_its_first_row_is_quarantined(
    graph: GraphClient, tmp_path: Path
) -> None:
    """The first occurrences are looked up on disk, not in memory: a key repeated 42 rows
    (8 chunks) later is still caught and names its first row."""
    lines = ["id,first,email"] + [f"c{i},Ann,p{i}@x.com" for i in range(1, 60)]
    lines.insert(45, "c3,Again,again@x.com")  # row 45
    (tmp_path / "people.csv").write_text("\n".join(lines) + "\n")
    mapping = parse_mapping(_mapping(), "test")
    (rep,) = await Ingestor(graph, mapping, chunk_size=5).ingest_path(tmp_path)
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (60, 59, 1)
    q = await graph.read_text("t", "MATCH (q:Quarantine) RETURN q.row AS row, q.reason AS reason")
    assert q == [{"row": 45, "reason": "duplicate_key: row 3 of this file has the same key"}]
    kept = await graph.read_text("t", "MATCH (r:Record {rid: 'crm:c3'}) RETURN r.given_name AS n")
    assert kept == [{"n": "Ann"}]
    assert await _count(graph, "Record") == 59


async def test_a_wrong_delimiter_is_one_header_error_not_every_row_quarantined(
    graph: GraphClient, tmp_path: Path
) -> None:
    (tmp_path / "people.csv").write_text("id;first;email\nc1;Ann;ann@x.com\nc2;Bob;bob@x.com\n")
    mapping = parse_mapping(_mapping(), "test")
    with pytest.raises(SourceFileError, match=r"people\.csv: line 1: .*csv_delimiter: ';'"):
        await Ingestor(graph, mapping).ingest_path(tmp_path)
    assert await _count(graph, "Quarantine") == 0


def test_a_bad_csv_delimiter_is_a_mapping_error() -> None:
    for bad in ('";;"', '""', '"\\n"'):
        with pytest.raises(MappingError, match="csv_delimiter must be one character"):
            parse_mapping(_mapping(f"csv_delimiter: {bad}"), "test")
    assert parse_mapping(_mapping('csv_delimiter: "\\t"'), "test").csv_delimiter == "\t"


def test_a_mapping_file_that_is_not_utf8_is_a_mapping_error_naming_the_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "crm.yaml"
    path.write_bytes(_mapping("description: Kundenstammdaten für München").encode("latin-1"))
    with pytest.raises(MappingError, match=r"crm\.yaml: line 4 is not UTF-8"):
        load_mapping(path)


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    output = (result.stdout + result.stderr).strip()
    assert "Traceback" not in output, output
    assert result.returncode == 2, output
    assert len(output.splitlines()) == 1, output
    return output


def test_the_cli_prints_one_line_for_user_errors(tmp_path: Path) -> None:
    data = tmp_path / "people.csv"
    data.write_text("id,first,email\nc1,Ann,ann@x.com\n")
    bad_delimiter = tmp_path / "bad.yaml"
    bad_delimiter.write_text(_mapping('csv_delimiter: ";;"'))
    out = _one_line(cdp("ingest", str(data), "--source", "crm", "--mapping", str(bad_delimiter)))
    assert "bad.yaml" in out and "csv_delimiter" in out

    latin = tmp_path / "latin.yaml"
    latin.write_bytes(_mapping("description: für").encode("latin-1"))
    out = _one_line(cdp("ingest", str(data), "--source", "crm", "--mapping", str(latin)))
    assert "latin.yaml: line 4 is not UTF-8" in out

    production = {"ENVIRONMENT": "production", "NEO4J_PASSWORD": "changeme"}
    out = _one_line(cdp("migrate", env=production))
    assert "NEO4J_PASSWORD is a placeholder" in out
    verbose = cdp("-v", "migrate", env=production)
    assert verbose.returncode != 0 and "Traceback" in verbose.stderr
