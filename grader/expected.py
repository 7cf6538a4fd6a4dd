"""A check's expected output as the sandbox encodes it (``grader.sandbox.wire``), to accept a result from its
encoding alone, without decoding it.

Most results of a class are right: either sent as exactly the expected bytes, or laid out the same (the same
types, keys, lengths, shapes, dtypes and shared objects) with float64 values that differ only in their last
bits, as a correct computation in another order gives. Both are recognized here in a few vectorized steps;
anything else is left to decoding and ``grader.compare``, which never disagrees with an acceptance: float64
values are accepted under ``compare``'s own closeness rule (``all_close``), and only when the tolerance of
every inexact value of the output is the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from grader.assignment import Tolerance
from grader.compare import all_close
from grader.sandbox import wire

_FLOAT64 = np.dtype("<f8")

Ranges = tuple[tuple[int, int], ...]
"""``(start, end)`` byte ranges of an encoding, in order."""


@dataclass(frozen=True)
class ExpectedEncoding:
    """The encoding of an expected value, split into the bytes that must match exactly and the float64 array
    payloads that may differ within ``tolerance`` (None: every byte must match)."""

    encoding: bytes
    exact_ranges: Ranges
    exact: bytes
    """The bytes of ``encoding`` in ``exact_ranges``, joined."""
    float_ranges: Ranges
    floats: npt.NDArray[np.float64]
    """The values of the payloads in ``float_ranges``, joined."""
    tolerance: Tolerance | None

    @classmethod
    def of(cls, expected: Any, tolerances: set[Tolerance]) -> ExpectedEncoding | None:
        """The encoding of ``expected``, whose inexact values are compared with ``tolerances``; None when
        ``expected`` cannot be encoded."""
        try:
            parts = wire.encoded_parts(expected)
        except wire.EncodeError:
            return None
        exact_ranges: list[tuple[int, int]] = []
        float_ranges: list[tuple[int, int]] = []
        floats = []
        offset = 0
        for part in parts:
            size = part.nbytes if isinstance(part, np.ndarray) else len(part)
            if isinstance(part, np.ndarray) and part.dtype == _FLOAT64:
                float_ranges.append((offset, offset + size))
                floats.append(part.ravel())
            elif exact_ranges and exact_ranges[-1][1] == offset:
                exact_ranges[-1] = (exact_ranges[-1][0], offset + size)
            else:
                exact_ranges.append((offset, offset + size))
            offset += size
        encoding = b"".join(parts)
        return cls(
            encoding=encoding,
            exact_ranges=tuple(exact_ranges),
            exact=_join(encoding, exact_ranges),
            float_ranges=tuple(float_ranges),
            floats=np.concatenate(floats) if floats else np.empty(0),
            tolerance=next(iter(tolerances)) if len(tolerances) == 1 else None,
        )

    def matches(self, encoding: bytes | bytearray) -> bool:
        """Whether ``encoding`` is of a value ``compare`` finds equal to the expected one: the same bytes, or
        the same bytes outside the float64 payloads and float64 values within the tolerance. False says
        nothing: the value may still match."""
        if len(encoding) != len(self.encoding):
            return False
        if encoding == self.encoding:
            return True
        if self.tolerance is None or not self.float_ranges or _join(encoding, self.exact_ranges) != self.exact:
            return False
        got = np.frombuffer(_join(encoding, self.float_ranges), _FLOAT64)
        return all_close(self.floats, got, self.tolerance)


def _join(data: bytes | bytearray, ranges: Ranges | list[tuple[int, int]]) -> bytes:
    return b"".join([data[start:end] for start, end in ranges])
