"""Reading an import file as a stream of rows, and writing the downloadable template.

CSV is read with the `csv` module over a byte-counting reader (UTF-8, with or without a BOM;
GB18030 as Excel on Chinese Windows saves it); XLSX with openpyxl in `read_only` mode, which
parses the sheet lazily. Either way memory stays bounded whatever the file's size, and
`position()` tells how far through the file the reader is (for progress).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from community_plus.domains.resident_import.columns import COLUMNS

FORMATS = ("csv", "xlsx")
XLSX_MAGIC = b"PK\x03\x04"


def format_of(head: bytes, filename: str | None) -> str | None:
    """`xlsx` (a zip), `csv` (text), or None for anything else (xls, pdf, images…)."""
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if b"\x00" in head[:4096] or head.startswith((b"\xd0\xcf\x11\xe0", b"%PDF")):
        return None
    name = (filename or "").lower()
    return "csv" if not name or name.endswith((".csv", ".txt")) else None


class _Counting(io.RawIOBase):
    """A binary file that counts the bytes read through it."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.read_bytes = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        n = self.raw.readinto(b)
        self.read_bytes += n or 0
        return n


def _encoding(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(64 * 1024)
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        return "utf-8" if exc.start > len(head) - 4 else "gb18030"  # a character cut at the 64 KiB edge


class SheetReader:
    """`rows()` yields (row number, cells) with row 1 the header; `position()` ∈ [0, 1]."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.path, self.fmt = path, fmt
        self.size = max(path.stat().st_size, 1)
        self._counter: _Counting | None = None
        self._rows_total: int | None = None
        self._row = 0

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        if self.fmt == "xlsx":
            yield from self._xlsx()
        else:
            yield from self._csv()

    def _csv(self) -> Iterator[tuple[int, list[Any]]]:
        with self.path.open("rb") as raw:
            self._counter = _Counting(raw)
            text = io.TextIOWrapper(io.BufferedReader(self._counter), encoding=_encoding(self.path),
                                    errors="replace", newline="")
            for number, row in enumerate(csv.reader(text), start=1):
                self._row = number
                yield number, row

    def _xlsx(self) -> Iterator[tuple[int, list[Any]]]:
        book = load_workbook(self.path, read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            self._rows_total = sheet.max_row if isinstance(sheet.max_row, int) else None
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                self._row = number
                yield number, list(row)
        finally:
            book.close()

    def position(self) -> float:
        if self.fmt == "csv":
            return min(self._counter.read_bytes / self.size, 1.0) if self._counter else 0.0
        return min(self._row / self._rows_total, 1.0) if self._rows_total else 0.0


def template_xlsx() -> bytes:
    """The template: headers (required ones bold, marked *) and an example row; hints on a second sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = "居民"
    sheet.append([c.header + ("*" if c.required else "") for c in COLUMNS])
    for cell, column in zip(sheet[1], COLUMNS, strict=True):
        cell.font = Font(bold=column.required)
        cell.number_format = "@"
    sheet.append([c.example for c in COLUMNS])
    for cell in sheet[2]:
        cell.number_format = "@"  # text: ID numbers keep their 18 digits
    notes = book.create_sheet("填写说明")
    notes.append(["列", "说明"])
    for c in COLUMNS:
        notes.append([c.header, c.hint])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_csv() -> bytes:
    """The same headers and example row as UTF-8 with a BOM (Excel opens it correctly)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header + ("*" if c.required else "") for c in COLUMNS])
    writer.writerow([c.example for c in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
