"""Tables that grow a row at a time and are read many rows at once, with numpy.

The spelling index learns words one by one but is read for every word of an
item together; these keep what it learns in arrays that numpy can index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import accumulate, chain
from typing import Any

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.intp]


def rows_of(values: npt.NDArray[Any], rows: Ints, count: int) -> list[list[Any]]:
    """`values` as `count` lists, each value in the list of its row (`rows`, in order)."""
    ends = np.bincount(rows, minlength=count).cumsum().tolist()
    listed: list[Any] = values.tolist()
    return [listed[begin:end] for begin, end in zip([0, *ends[:-1]], ends, strict=True)]


def run_firsts(ordered: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """Of each of `ordered` (in order), whether it differs from the one before: the first
    of each run of equal values."""
    firsts = np.ones(len(ordered), bool)
    np.not_equal(ordered[1:], ordered[:-1], out=firsts[1:])
    return firsts


class Column:
    """One value per row, appended at the end. Appends go to a list and reach the array
    when `values` is read: the index appends several values for each word it learns, and
    a numpy write costs more than a list append for each of them."""

    def __init__(self, dtype: type[np.generic]) -> None:
        self._dtype = dtype
        self._values: npt.NDArray[Any] = np.zeros(1024, dtype)
        self._size = 0
        self._pending: list[int] = []

    def __len__(self) -> int:
        return self._size + len(self._pending)

    def append(self, value: int) -> None:
        self._pending.append(value)

    def extend(self, values: Iterable[int] | npt.NDArray[Any]) -> None:
        if isinstance(values, np.ndarray):
            self._write(values)
        else:
            self._pending.extend(values)

    @property
    def values(self) -> npt.NDArray[Any]:
        """The values so far, as one array (a view: valid until the next append)."""
        if self._pending:
            self._write(())
        return self._values[: self._size]

    def _write(self, more: Sequence[int] | npt.NDArray[Any]) -> None:
        """Write the pending values, then `more`, into the array, growing it as needed."""
        pending, self._pending = self._pending, []
        end = self._size + len(pending) + len(more)
        if end > len(self._values):
            grown = np.zeros(max(2 * len(self._values), end), self._dtype)
            grown[: self._size] = self._values[: self._size]
            self._values = grown
        self._values[self._size : self._size + len(pending)] = pending
        self._values[self._size + len(pending) : end] = more
        self._size = end

    def clear(self) -> None:
        self._values = np.zeros(1024, self._dtype)
        self._size = 0
        self._pending = []


class Ragged:
    """Rows of values of any length (integers unless told), appended at the end. Rows
    appended wait in a list, as a Column's values do, until the table is read."""

    def __init__(self, dtype: type[np.generic] = np.intp) -> None:
        self._starts = Column(np.intp)
        self._lengths = Column(np.intp)
        self._cells = Column(dtype)
        self._rows: list[Sequence[int] | npt.NDArray[Any]] = []

    def __len__(self) -> int:
        return len(self._starts) + len(self._rows)

    def append(self, row: Sequence[int] | npt.NDArray[Any]) -> None:
        self._rows.append(row)

    def _settle(self) -> None:
        rows, self._rows = self._rows, []
        lengths = list(map(len, rows))
        self._starts.extend(accumulate(lengths[:-1], initial=len(self._cells)))
        self._lengths.extend(lengths)
        self._cells.extend(chain.from_iterable(rows))

    def gather(self, rows: Ints) -> tuple[npt.NDArray[Any], Ints]:
        """The cells of `rows`, one after another, and for each cell its place in `rows`."""
        if self._rows:
            self._settle()
        lengths = self._lengths.values[rows]
        owner = lengths.nonzero()[0]  # most rows of an item's words are empty
        cells, _ = self._cells_of(rows[owner], lengths[owner])
        return cells, owner.repeat(lengths[owner])

    def concatenated(self, rows: Ints) -> tuple[npt.NDArray[Any], Ints]:
        """The cells of `rows`, one after another, and where each row begins in them."""
        if self._rows:
            self._settle()
        return self._cells_of(rows, self._lengths.values[rows])

    def _cells_of(self, rows: Ints, lengths: Ints) -> tuple[npt.NDArray[Any], Ints]:
        ends = lengths.cumsum()
        begins = ends - lengths
        at = np.arange(int(ends[-1]) if len(ends) else 0)
        at += (self._starts.values[rows] - begins).repeat(lengths)
        return self._cells.values[at], begins

    def clear(self) -> None:
        for column in (self._starts, self._lengths, self._cells):
            column.clear()
        self._rows = []
