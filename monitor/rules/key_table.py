"""Whole numbers -> slots, looked up many at once: an open-addressed table of numpy arrays.

The spelling index learns what each pair of words (and each pair with a third word) can
start, and reads it for every pair of a batch. Read from a Python dict, each look-up went
through the dict's entry to the key's and the value's objects, all cold after a scan's
other work: about 300 ns a pair, a tenth of scanning an article at 10,000 rules.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Ids = npt.NDArray[np.intp]

_MIX = 0x9E3779B97F4A7C15
"""Spreads keys over the slots (the table is indexed by the top bits of key × _MIX)."""

_EMPTY = -1
"""No key: keys are not negative."""

_FIRST_BITS = 12
"""A new table's 4,096 slots; it doubles whenever it is a quarter full."""


class KeyTable:
    """Key (0 <= key < 2**63) -> slot."""

    def __init__(self) -> None:
        self._count = 0
        self._make(_FIRST_BITS)

    def __len__(self) -> int:
        return self._count

    def clear(self) -> None:
        self._count = 0
        self._make(_FIRST_BITS)

    def _make(self, bits: int) -> None:
        self._bits = bits
        self._mask = (1 << bits) - 1
        self._keys = np.full(1 << bits, _EMPTY, np.int64)
        self._slots = np.zeros(1 << bits, np.intp)

    def _homes(self, keys: Ids) -> Ids:
        mixed = keys.astype(np.uint64) * np.uint64(_MIX)  # wraps modulo 2**64, as wanted
        homes: Ids = (mixed >> np.uint64(64 - self._bits)).astype(np.intp)
        return homes

    def get(self, keys: Ids) -> Ids:
        """The slot of each of `keys`, or -1 for a key not in the table."""
        found = np.full(len(keys), -1, np.intp)
        todo = np.arange(len(keys))
        at = self._homes(keys)
        wanted = keys.astype(np.int64)
        while len(todo):
            stored = self._keys[at]
            here = stored == wanted
            found[todo[here]] = self._slots[at[here]]
            going = ~here & (stored != _EMPTY)
            todo, at, wanted = todo[going], (at[going] + 1) & self._mask, wanted[going]
        return found

    def put(self, keys: Sequence[int], slots: Sequence[int]) -> None:
        """Store each key's slot; no key may be in the table already, nor twice in `keys`."""
        if 4 * (self._count + len(keys)) > len(self._keys):
            self._grow(self._count + len(keys))
        self._place(np.array(keys, np.int64), np.array(slots, np.intp))
        self._count += len(keys)

    def _grow(self, count: int) -> None:
        held = self._keys != _EMPTY
        keys, slots = self._keys[held], self._slots[held]
        bits = self._bits
        while 4 * count > 1 << bits:
            bits += 1
        self._make(bits)
        self._place(keys, slots)

    def _place(self, keys: npt.NDArray[np.int64], slots: Ids) -> None:
        table, mask = self._keys, self._mask
        homes = self._homes(keys.astype(np.intp)).tolist()
        for key, slot, at in zip(keys.tolist(), slots.tolist(), homes, strict=True):
            while table[at] != _EMPTY:
                at = (at + 1) & mask
            table[at] = key
            self._slots[at] = slot
