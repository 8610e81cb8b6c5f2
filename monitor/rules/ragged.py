"""Tables that grow a row at a time and are read many rows at once, with numpy.

The spelling index learns words one by one but is read for every word of an
item together; these keep what it learns in arrays that numpy can index.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.intp]


class Column:
    """One value per row, appended at the end."""

    def __init__(self, dtype: type[np.generic]) -> None:
        self._dtype = dtype
        self._values: npt.NDArray[Any] = np.zeros(1024, dtype)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def append(self, value: int) -> None:
        self._make_room(1)
        self._values[self._size] = value
        self._size += 1

    def extend(self, values: Sequence[int] | npt.NDArray[Any]) -> None:
        self._make_room(len(values))
        self._values[self._size : self._size + len(values)] = values
        self._size += len(values)

    def _make_room(self, more: int) -> None:
        if self._size + more > len(self._values):
            grown = np.zeros(max(2 * len(self._values), self._size + more), self._dtype)
            grown[: self._size] = self._values[: self._size]
            self._values = grown

    @property
    def values(self) -> npt.NDArray[Any]:
        """The values so far, as one array (a view: valid until the next append)."""
        return self._values[: self._size]

    def clear(self) -> None:
        self._values = np.zeros(1024, self._dtype)
        self._size = 0


class Ragged:
    """Rows of values of any length (integers unless told), appended at the end."""

    def __init__(self, dtype: type[np.generic] = np.intp) -> None:
        self._starts = Column(np.intp)
        self._lengths = Column(np.intp)
        self._cells = Column(dtype)

    def __len__(self) -> int:
        return len(self._starts)

    def append(self, row: Sequence[int] | npt.NDArray[Any]) -> None:
        self._starts.append(len(self._cells))
        self._lengths.append(len(row))
        if len(row):
            self._cells.extend(row)

    def gather(self, rows: Ints) -> tuple[npt.NDArray[Any], Ints]:
        """The cells of `rows`, one after another, and for each cell its place in `rows`."""
        lengths = self._lengths.values[rows]
        owner = lengths.nonzero()[0]  # most rows of an item's words are empty
        cells, _ = self._cells_of(rows[owner], lengths[owner])
        return cells, owner.repeat(lengths[owner])

    def concatenated(self, rows: Ints) -> tuple[npt.NDArray[Any], Ints]:
        """The cells of `rows`, one after another, and where each row begins in them."""
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
