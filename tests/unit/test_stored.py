"""Reading back what artgen wrote: JSON types, metrics tables, typed records, cached arrays."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest

from artgen import runs, stored
from artgen.errors import DamagedFile
from artgen.schema import type_problem


@pytest.mark.parametrize(
    ("hint", "value", "problem"),
    [
        (int, 3, None),
        (int, True, "must be a whole number, not true"),
        (int, 3.0, "must be a whole number, not 3.0"),
        (float, 3, None),
        (float, math.inf, None),
        (float, "3", 'must be a number, not "3"'),
        (bool, 1, "must be true or false, not 1"),
        (str, None, "must be text, not null"),
        (int | None, None, None),
        (int | None, "x", 'must be a whole number, not "x"'),
        (tuple[str, ...], ["a", "b"], None),
        (tuple[str, ...], "ab", 'must be a list, not "ab"'),
        (tuple[int, int], [1, 2, 3], "must be a list of 2 values, not [1, 2, 3]"),
        (tuple[int, int], [1, "2"], 'item 2 must be a whole number, not "2"'),
        (list[tuple[str, str]], [["a", "b"], ["c"]], "item 2 must be a list of 2 values"),
        (dict[str, Any], [], "must be an object, not []"),
        (dict[str, str], {"a": None}, 'entry "a" must be text, not null'),
        (Literal["ns", "hinge"], "ns", None),
        (Literal[0, 1], True, "must be one of 0, 1, not true"),
        (int, "x" * 100, 'must be a whole number, not "' + "x" * 36 + "..."),  # cut short
    ],
)
def test_type_problem_names_what_json_holds_instead(hint: Any, value: Any, problem: str | None) -> None:
    found = type_problem(hint, value)
    assert found == problem if problem is None else found is not None and found.startswith(problem), found


def test_a_table_reads_back_what_write_csv_wrote(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    runs.write_csv(path, ("step", "loss", "fd"), [[1, 0.5, math.nan], [2, 0.25, 3.0]])
    path.write_text(path.read_text() + "\n")  # a blank line is no row
    table = stored.read_table(path)
    assert table.columns == ("step", "loss", "fd")
    assert table.rows[1] == [2.0, 0.25, 3.0] and math.isnan(table.rows[0][2])


@dataclass(frozen=True)
class _Note:
    text: str
    count: int = 0


def test_a_record_refuses_keys_it_does_not_know_and_lacks_only_what_it_may(tmp_path: Path) -> None:
    assert stored.record(_Note, {"text": "a"}, "note.json", may_lack=frozenset({"count"})) == _Note("a")
    with pytest.raises(DamagedFile, match="note.json lacks count"):
        stored.record(_Note, {"text": "a"}, "note.json")
    with pytest.raises(DamagedFile, match="note.json holds colour, which artgen does not write there"):
        stored.record(_Note, {"text": "a", "count": 1, "colour": "red"}, "note.json")


def test_a_cached_array_of_another_kind_reads_as_none(tmp_path: Path) -> None:
    path = tmp_path / "cache.npy"
    np.save(path, np.zeros((4, 8), np.float32))
    assert stored.cached_array(path, (4, None), np.float32) is not None
    assert stored.cached_array(path, (5, 8), np.float32) is None
    assert stored.cached_array(path, (4, 8), np.float64) is None
    with open(path, "wb") as handle:
        np.savez(handle, a=np.zeros(3))  # an archive under the array's name
    assert stored.cached_array(path, (3,), np.float64) is None
    path.write_bytes(b"\x93NUMPY cut")
    assert stored.cached_array(path, (3,), np.float64) is None
    assert stored.cached_array(tmp_path / "missing.npy", (3,), np.float64) is None
