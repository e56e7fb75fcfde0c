"""The column-wise GED reader gives exactly what the row-by-row reader gives, or steps aside."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from detente.errors import CaseError
from detente.events.model import FIELDS, EventColumns
from detente.events.readers import _read_ged_columnwise, _rows, read_events
from tests.events.event_helpers import EVENTS


def same(a: EventColumns, b: EventColumns) -> None:
    assert a.header == b.header and len(a) == len(b)
    for f in FIELDS:
        x, y = getattr(a, f), getattr(b, f)
        for k, (u, v) in enumerate(zip(x, y, strict=True)):
            nan = isinstance(u, float) and math.isnan(u) and math.isnan(v)
            assert nan or (u == v and type(u) is type(v)), (f, k, u, v)


def columnwise_taken(path: Path) -> bool:
    return _read_ged_columnwise(path, next(_rows(path))[1]) is not None


def both(path: Path) -> None:
    fast, fs = read_events(path, "ucdp-ged")
    slow, ss = read_events(path, "ucdp-ged", columnwise=False)
    same(fast, slow)
    assert fs == ss


def test_shipped_sample_multi_line_quoted_records(data_dir: Path) -> None:
    path = data_dir / "ucdp" / "ged231-sample.csv"
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") > 1001  # quoted fields span lines: records are not lines
    assert columnwise_taken(path)
    both(path)


def test_small_file_and_its_crlf_bom_copy(tmp_path: Path) -> None:
    both(EVENTS / "ged-small.csv")
    assert columnwise_taken(EVENTS / "ged-small.csv")
    crlf = tmp_path / "crlf.csv"
    text = (EVENTS / "ged-small.csv").read_text(encoding="utf-8")
    crlf.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert columnwise_taken(crlf)
    both(crlf)
    fast, _ = read_events(crlf)
    assert fast.raw == text.splitlines()[1:]  # the raw row is the record, without its CRLF


def edit(tmp_path: Path, data_dir: Path, old: str, new: str) -> Path:
    text = (data_dir / "ucdp" / "ged231-sample.csv").read_text(encoding="utf-8")
    assert old in text
    out = tmp_path / "edited.csv"
    out.write_text(text.replace(old, new, 1), encoding="utf-8")
    return out


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("2013-01-03 00:00:00,2013-01-03 00:00:00", "2013-01-03 00:00:00,2013-13-03 00:00:00"),
        (",Middle East,1,1,", ",Middle East,1,9,"),  # date_prec outside the codebook
        ("35.763369,36.558974", "95.763369,36.558974"),  # latitude out of range
    ],
)
def test_a_bad_field_leaves_the_file_to_the_row_reader(
    tmp_path: Path, data_dir: Path, old: str, new: str
) -> None:
    path = edit(tmp_path, data_dir, old, new)
    assert not columnwise_taken(path)
    with pytest.raises(CaseError) as fast:
        read_events(path)
    with pytest.raises(CaseError) as slow:
        read_events(path, columnwise=False)
    assert fast.value.items == slow.value.items
    assert [d.line for d in fast.value.items] == [2]


def test_odd_but_valid_fields_agree(tmp_path: Path, data_dir: Path) -> None:
    # A coordinate pyarrow's plain-decimal rule does not take, an empty coordinate, a
    # blank line: each still gives the row reader's answer.
    path = edit(tmp_path, data_dir, "35.763369,36.558974", "3.5763369e1,")
    assert columnwise_taken(path)
    both(path)
    blank = tmp_path / "blank.csv"
    lines = (EVENTS / "ged-small.csv").read_text(encoding="utf-8").splitlines(True)
    blank.write_text("".join([*lines[:3], "\n", *lines[3:]]), encoding="utf-8")
    assert not columnwise_taken(blank)
    both(blank)
