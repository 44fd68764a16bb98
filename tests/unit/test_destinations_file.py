"""File destination: CSV / Parquet per run, atomic writes, manifest with checksums."""

from __future__ import annotations

import csv
import hashlib
import json
import stat
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from activate.destinations.base import DestinationConfigError, Member, SegmentRef
from activate.destinations.file import FileConfig, FileDestination, safe_name
from tests.fakes import make_member, make_members

pytestmark = pytest.mark.unit

SEGMENT = SegmentRef(id="seg-5", name="Lapsed", external_id=None)


def find_manifests(root: Path) -> list[Path]:
    return list(root.rglob("manifest.json"))


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_csv_run_writes_files_and_manifest(tmp_path: Path) -> None:
    destination = FileDestination(FileConfig(directory=tmp_path, attribute_columns=("clv_12m",)))
    await destination.begin(SEGMENT, "run-1")
    first = await destination.add(SEGMENT, make_members(3))
    await destination.add(SEGMENT, make_members(2, start=3))
    await destination.remove(SEGMENT, [make_member(9, email=None)])
    run_dir = tmp_path / "seg-5" / "run-1"
    assert not (run_dir / "added.csv").exists()  # nothing visible before finish
    await destination.finish(SEGMENT, "run-1")

    assert first.sent == 3
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "added.csv",
        "manifest.json",
        "removed.csv",
    ]
    with (run_dir / "added.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["pid"] for r in rows] == [f"p{i:06d}" for i in range(5)]
    assert rows[0]["first_name"] == "Zoë" and rows[0]["clv_12m"] == "120.5"
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["run_id"] == "run-1" and manifest["format"] == "csv"
    assert manifest["columns"][0] == "pid" and manifest["columns"][-1] == "clv_12m"
    assert manifest["files"]["added"]["rows"] == 5
    assert manifest["files"]["removed"]["rows"] == 1
    for entry in manifest["files"].values():
        path = run_dir / entry["path"]
        assert entry["sha256"] == sha256_of(path)
        assert entry["bytes"] == path.stat().st_size
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert manifest["started_at"] <= manifest["finished_at"]


async def test_parquet_run_with_typed_attributes(tmp_path: Path) -> None:
    config = FileConfig(
        directory=tmp_path,
        format="parquet",
        attribute_columns=("clv_12m", "churn_risk"),
        attribute_types={"clv_12m": "double"},
    )
    destination = FileDestination(config)
    await destination.begin(SEGMENT, "run-2")
    await destination.add(SEGMENT, make_members(4))
    await destination.update(SEGMENT, make_members(1, start=10))
    await destination.finish(SEGMENT, "run-2")

    run_dir = tmp_path / "seg-5" / "run-2"
    table = pq.read_table(run_dir / "added.parquet")
    assert table.num_rows == 4
    assert str(table.schema.field("clv_12m").type) == "double"
    assert table.column("clv_12m").to_pylist() == [120.5, 121.5, 122.5, 123.5]
    assert table.column("churn_risk").to_pylist() == ["low"] * 4
    assert pq.read_table(run_dir / "removed.parquet").num_rows == 0
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert set(manifest["files"]) == {"added", "removed", "updated"}
    assert manifest["files"]["updated"]["sha256"] == sha256_of(run_dir / "updated.parquet")


async def test_no_temporary_files_left_behind(tmp_path: Path) -> None:
    destination = FileDestination(FileConfig(directory=tmp_path))
    await destination.begin(SEGMENT, "run-3")
    await destination.add(SEGMENT, make_members(2))
    await destination.finish(SEGMENT, "run-3")
    assert [
        p.name for p in (tmp_path / "seg-5" / "run-3").iterdir() if p.name.startswith(".")
    ] == []


async def test_aborted_run_leaves_nothing(tmp_path: Path) -> None:
    destination = FileDestination(FileConfig(directory=tmp_path))
    await destination.begin(SEGMENT, "run-4")
    await destination.add(SEGMENT, make_members(2))
    await destination.aclose()
    assert list((tmp_path / "seg-5" / "run-4").iterdir()) == []


async def test_add_without_begin_is_a_config_error(tmp_path: Path) -> None:
    destination = FileDestination(FileConfig(directory=tmp_path))
    with pytest.raises(DestinationConfigError):
        await destination.add(SEGMENT, make_members(1))


async def test_finish_for_another_run_is_refused(tmp_path: Path) -> None:
    destination = FileDestination(FileConfig(directory=tmp_path))
    await destination.begin(SEGMENT, "run-a")
    with pytest.raises(DestinationConfigError):
        await destination.finish(SEGMENT, "run-b")


@pytest.mark.parametrize("hostile", ["../../etc", "..", "/abs/path", "a/../../b", "."])
async def test_ids_cannot_escape_the_directory(tmp_path: Path, hostile: str) -> None:
    root = tmp_path / "out"
    destination = FileDestination(FileConfig(directory=root))
    segment = SegmentRef(id=hostile, name="x")
    await destination.begin(segment, hostile)
    await destination.add(segment, make_members(1))
    await destination.finish(segment, hostile)
    manifests = find_manifests(tmp_path)
    assert len(manifests) == 1
    assert root.resolve() in manifests[0].resolve().parents
    assert "/" not in safe_name(hostile) and safe_name(hostile) not in (".", "..")


def test_attribute_columns_may_not_shadow_base_columns(tmp_path: Path) -> None:
    with pytest.raises(DestinationConfigError):
        FileDestination(FileConfig(directory=tmp_path, attribute_columns=("email",)))


async def read_added(tmp_path: Path, members: list[Member], **config: Any) -> list[dict[str, str]]:
    destination = FileDestination(
        FileConfig(directory=tmp_path, attribute_columns=("top_category",), **config)
    )
    await destination.begin(SEGMENT, "run-f")
    await destination.add(SEGMENT, members)
    await destination.finish(SEGMENT, "run-f")
    with (tmp_path / "seg-5" / "run-f" / "added.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


async def test_csv_cells_a_spreadsheet_would_evaluate_are_escaped(tmp_path: Path) -> None:
    hostile = [
        make_member(0, first_name='=HYPERLINK("http://x.test","click")'),
        make_member(1, first_name="@SUM(1+1)", last_name="-2+3"),
        make_member(2, first_name="\tTab", last_name="\rCr", city="+cmd|' /C calc'!A0"),
        make_member(3, attributes={"top_category": "=1+1"}),
    ]
    rows = await read_added(tmp_path, hostile)
    assert rows[0]["first_name"] == '\'=HYPERLINK("http://x.test","click")'
    assert (rows[1]["first_name"], rows[1]["last_name"]) == ("'@SUM(1+1)", "'-2+3")
    assert (rows[2]["first_name"], rows[2]["last_name"]) == ("'\tTab", "'\rCr")
    assert rows[2]["city"] == "'+cmd|' /C calc'!A0"
    assert rows[3]["top_category"] == "'=1+1"
    # Plain numbers (E.164 phones, negative amounts) are not formulas: left alone.
    assert rows[0]["phone"] == "+447700900000"
    assert (await read_added(tmp_path / "n", [make_member(4, last_name="-12.5")]))[0][
        "last_name"
    ] == "-12.5"


async def test_formula_escaping_can_be_turned_off(tmp_path: Path) -> None:
    rows = await read_added(tmp_path, [make_member(0, first_name="=A1")], escape_formulas=False)
    assert rows[0]["first_name"] == "=A1"
