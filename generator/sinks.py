"""Open, append-only output files that count their rows.

Rows go straight to disk as they are made; nothing accumulates in memory. CSV is
UTF-8, comma-separated, minimally quoted, `\\n` line ends, one header line. JSONL is
one UTF-8 JSON object per line with keys in a fixed order.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO


class CsvSink:
    def __init__(self, stream: TextIO, header: Sequence[str]) -> None:
        self._writer = csv.writer(stream, lineterminator="\n")
        self._writer.writerow(header)
        self.rows = 0

    def write(self, row: Sequence[object]) -> None:
        self._writer.writerow(row)
        self.rows += 1


class JsonlSink:
    _encode = json.JSONEncoder(ensure_ascii=False).encode

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.rows = 0

    def write(self, obj: dict[str, Any]) -> None:
        self._stream.write(self._encode(obj) + "\n")
        self.rows += 1

    def write_encoded(self, line: str) -> None:
        """Write one object already encoded exactly as `write` would (hot paths)."""
        self._stream.write(line)
        self.rows += 1


class Sinks:
    """Every output file of one run, opened on demand and closed together."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self._streams: list[TextIO] = []
        self._sinks: dict[str, CsvSink | JsonlSink] = {}

    def _open(self, rel: str) -> TextIO:
        path = self.out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        stream = path.open("w", encoding="utf-8", newline="", buffering=1 << 20)
        self._streams.append(stream)
        return stream

    def csv(self, rel: str, header: Sequence[str]) -> CsvSink:
        sink = CsvSink(self._open(rel), header)
        self._sinks[rel] = sink
        return sink

    def jsonl(self, rel: str) -> JsonlSink:
        sink = JsonlSink(self._open(rel))
        self._sinks[rel] = sink
        return sink

    def counts(self) -> dict[str, int]:
        return {rel: self._sinks[rel].rows for rel in sorted(self._sinks)}

    def close(self) -> None:
        for stream in self._streams:
            stream.close()
        self._streams.clear()

    def __enter__(self) -> Sinks:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
