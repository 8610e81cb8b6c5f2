"""Growing tables read many rows at once."""

from __future__ import annotations

import random

import numpy as np

from monitor.rules.ragged import Column, Ragged


def test_column_grows_past_its_first_capacity() -> None:
    column = Column(np.uint64)
    for value in range(3000):
        column.append(value * 7)
    assert len(column) == 3000
    assert column.values.tolist() == [value * 7 for value in range(3000)]
    column.append(2**64 - 1)
    assert int(column.values[-1]) == 2**64 - 1


def test_gather_returns_rows_in_the_order_asked_with_their_owners() -> None:
    table = Ragged()
    rows = [[value, value + 1] if value % 3 else [] for value in range(1500)]
    for row in rows:
        table.append(row)
    asked = np.array([4, 0, 4, 1499, 3], np.intp)
    cells, owners = table.gather(asked)
    expected = [(cell, at) for at, row in enumerate(asked.tolist()) for cell in rows[row]]
    assert list(zip(cells.tolist(), owners.tolist(), strict=True)) == expected


def test_gather_of_rows_of_any_length_asked_in_any_order() -> None:
    rng = random.Random(3)
    rows = [[rng.randrange(1000) for _ in range(rng.choice([0, 0, 1, 2, 5]))] for _ in range(300)]
    table = Ragged()
    for row in rows:
        table.append(row)
    for _ in range(20):
        asked = [rng.randrange(len(rows)) for _ in range(rng.randrange(1, 60))]
        cells, owners = table.gather(np.array(asked, np.intp))
        expected = [(cell, at) for at, row in enumerate(asked) for cell in rows[row]]
        assert list(zip(cells.tolist(), owners.tolist(), strict=True)) == expected


def test_gather_of_empty_rows_and_clear() -> None:
    table = Ragged()
    table.append([])
    table.append([9])
    cells, owners = table.gather(np.array([0, 0], np.intp))
    assert cells.tolist() == [] and owners.tolist() == []
    table.clear()
    assert len(table) == 0
    table.append([1, 2, 3])
    assert table.gather(np.array([0], np.intp))[0].tolist() == [1, 2, 3]


def test_a_row_longer_than_the_whole_table_so_far() -> None:
    table = Ragged()
    table.append([1])
    table.append(list(range(5000)))
    table.append([2, 3])
    cells, owners = table.gather(np.array([2, 1, 0], np.intp))
    assert cells.tolist() == [2, 3, *range(5000), 1]
    assert owners.tolist() == [0, 0] + [1] * 5000 + [2]


def test_rows_of_bytes_concatenated_with_where_each_begins() -> None:
    table = Ragged(np.uint8)
    for word in (b"ab ", b"", b"cde "):
        table.append(np.frombuffer(word, np.uint8))
    cells, begins = table.concatenated(np.array([2, 0, 1, 2], np.intp))
    assert cells.tobytes() == b"cde ab cde "
    assert begins.tolist() == [0, 4, 7, 7]
    assert table.concatenated(np.array([], np.intp))[0].tobytes() == b""


def test_values_read_between_appends_hold_every_append_so_far() -> None:
    column = Column(np.uint32)
    column.append(5)
    assert column.values.tolist() == [5]
    column.extend(np.array([6, 7], np.uint32))
    column.extend(b"\x08")
    column.append(9)
    assert len(column) == 5
    assert column.values.tolist() == [5, 6, 7, 8, 9]
    column.clear()
    assert len(column) == 0 and column.values.tolist() == []


def test_rows_appended_after_a_read_are_read_too() -> None:
    table = Ragged()
    table.append([1, 2])
    assert table.gather(np.array([0], np.intp))[0].tolist() == [1, 2]
    table.append([])
    table.append(np.array([3], np.intp))
    assert len(table) == 3
    cells, begins = table.concatenated(np.array([2, 0, 1], np.intp))
    assert cells.tolist() == [3, 1, 2] and begins.tolist() == [0, 1, 3]
