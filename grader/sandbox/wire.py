"""The data-only encoding between the grader and a submission's process, and its length-prefixed framing.

Both processes import this module, so it imports only the standard library and numpy. ``decode`` runs no
code from the data (no pickle, no eval) and validates everything: malformed input raises ``DecodeError``
and nothing else.

A value is a one-byte tag and a body; numbers are little-endian::

    N  T  F                                   None, True, False
    i <i64>                                   int in the int64 range
    I <u32 n> <n bytes>                       any other int, two's complement
    f <f64>    c <f64 real> <f64 imag>        float, complex
    s <u32 n> <n bytes of UTF-8>              str
    l <u32 n> <n values>                      list (``t`` for a tuple)
    d <u32 n> <n keys and values>             dict; keys are None, bool, int, float, str or tuples of these
    g <u8 dtype> <itemsize bytes>             numpy scalar
    a <u8 dtype> <u8 ndim> <ndim u64 dims> <u64 n> <n bytes>   numpy array, C order
    r <u32 k>                                 the same object as the k-th list, tuple, dict or array
                                              completed before it (counted from 0, in the order they end)

``dtype`` indexes ``DTYPES``, the bool, integer, floating and complex dtypes in both byte orders. A list,
tuple, dict or array found again in the value (the same object, as a cache holds the same parameters at every
time step) is sent as a reference, and decodes as the same object; a reference can only name a value already
complete, so no decoded value contains itself.
A frame is ``<u64 n> <n bytes>``: on file descriptors with a deadline (``send_frame``, ``recv_frame``: POSIX),
or on blocking streams (``write_frame``, ``read_frame``: any platform).
"""

from __future__ import annotations

import errno
import functools
import io
import json
import math
import os
import select
import struct
import time
from collections.abc import Callable
from typing import Any

import numpy as np

DEFAULT_MAX_BYTES = 64 * 1024**2
DEFAULT_MAX_DEPTH = 100
DEFAULT_MAX_ITEMS = 1_000_000
MAX_NDIM = 64

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_I64 = struct.Struct("<q")
_F64 = struct.Struct("<d")
_C128 = struct.Struct("<dd")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_MAX_LIMIT_BYTES = 2**32 - 1

_SUPPORTED = (
    "only None, bool, int, float, complex, str, numpy numbers, numpy arrays of numbers, "
    "list, tuple and dict can be sent"
)
_KEY_TYPES = "keys must be str, int, float, bool, None or tuples of these"


def _dtype_table() -> tuple[np.dtype[Any], ...]:
    """The bool, integer, floating and complex dtypes of this platform, in both byte orders, one per layout."""
    table: dict[str, np.dtype[Any]] = {}
    for char in np.typecodes["All"]:
        dtype = np.dtype(char)
        if dtype.kind in "biufc":
            for variant in (dtype.newbyteorder("<"), dtype.newbyteorder(">")):
                table.setdefault(variant.str, variant)
    return tuple(table.values())


DTYPES = _dtype_table()
"""The array and scalar dtypes the encoding carries; an encoded dtype is an index into this tuple."""
_DTYPE_CODES: dict[np.dtype[Any], int] = {dtype: code for code, dtype in enumerate(DTYPES)}
"""The code of each dtype; equal dtypes (``int64`` and ``long``) share one."""
_SCALAR_CODES = {
    np.dtype(char).type: bytes((_DTYPE_CODES[np.dtype(char)],))
    for char in np.typecodes["All"]
    if np.dtype(char).kind in "biufc"
}


class WireError(Exception):
    """Base of every error this module raises."""


class EncodeError(WireError):
    """A value holds something the encoding does not carry, or exceeds a limit.

    ``path`` locates the offending part (``result[1]["dba"]``); ``reason`` says what is wrong with it.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path} {reason}")
        self.path = path
        self.reason = reason


class DecodeError(WireError):
    """The bytes are not a well-formed encoding within the limits."""


class ConnectionClosed(WireError):
    """The other end of the pipe is closed."""


class FrameTimeout(WireError):
    """The deadline passed before a whole frame was sent or received."""


class FrameTooLarge(WireError):
    """A frame header announces more bytes than the receiver accepts."""


class _Rejected(Exception):
    """A part of the value is not encodable; ``trail`` collects the path from that part up to the root."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.trail: list[str] = []


class _Exceeded(Exception):
    """The value as a whole exceeds a limit."""


def encode(
    value: Any,
    *,
    root: str = "value",
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_items: int = DEFAULT_MAX_ITEMS,
) -> bytes:
    """Encode ``value``; raise ``EncodeError`` naming the part that cannot be sent, with ``root`` as its base.

    ``max_bytes`` (below 4 GiB) bounds the encoded size, ``max_depth`` the nesting of containers and
    ``max_items`` the number of values.

    >>> decode(encode({"a": (1, [2.5])}))
    {'a': (1, [2.5])}
    >>> try:
    ...     encode({"cache": [1, {2}]}, root="result")
    ... except EncodeError as error:
    ...     print(error.path)
    result["cache"][1]
    """
    return b"".join(encoded_parts(value, root=root, max_bytes=max_bytes, max_depth=max_depth, max_items=max_items))


def encoded_parts(
    value: Any,
    *,
    root: str = "value",
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_items: int = DEFAULT_MAX_ITEMS,
) -> list[Any]:
    """``encode(value)`` in pieces, in order: bytes, and after each array's header the C-contiguous numpy array
    whose raw data comes next. ``b"".join`` of them is the encoding."""
    if max_bytes > _MAX_LIMIT_BYTES:
        raise ValueError("max_bytes must be below 4 GiB")
    encoder = _Encoder(max_bytes, max_depth, max_items)
    try:
        encoder.value(value, 0)
    except _Rejected as rejected:
        raise EncodeError(root + "".join(reversed(rejected.trail)), rejected.reason) from None
    except _Exceeded as exceeded:
        raise EncodeError(root, str(exceeded)) from None
    return encoder.parts


class _Encoder:
    """Appends the encoding of values to ``parts`` (bytes and contiguous arrays), enforcing the limits."""

    __slots__ = ("parts", "size", "items", "max_bytes", "max_depth", "max_items", "sent")

    def __init__(self, max_bytes: int, max_depth: int, max_items: int) -> None:
        self.parts: list[Any] = []
        self.sent: dict[int, tuple[Any, int]] = {}
        """``(value, its reference number)`` by ``id`` of each list, tuple, dict and array encoded so far; the
        value is held so that its ``id`` cannot be reused by another object meanwhile."""
        self.size = 0
        self.items = 0
        self.max_bytes = max_bytes
        self.max_depth = max_depth
        self.max_items = max_items

    def check_room(self, size: int) -> None:
        """Raise unless ``size`` more bytes fit within the size limit."""
        if self.size + size > self.max_bytes:
            raise _Exceeded(f"is larger than the {_format_bytes(self.max_bytes)} limit when encoded")

    def put(self, chunk: Any, size: int) -> None:
        self.check_room(size)
        self.size += size
        self.parts.append(chunk)

    def open(self, length: int, depth: int) -> None:
        """Check that a container at ``depth`` holding ``length`` values stays within the limits."""
        if self.items + length > self.max_items:
            raise _Exceeded(f"holds more than {self.max_items} values")
        if depth >= self.max_depth:
            raise _Exceeded(f"is nested more than {self.max_depth} levels deep")

    def value(self, value: Any, depth: int) -> None:
        self.items += 1
        if self.items > self.max_items:
            raise _Exceeded(f"holds more than {self.max_items} values")
        kind = type(value)
        shared = kind in _SHARED_TYPES
        if shared and id(value) in self.sent:
            self.put(b"r" + _U32.pack(self.sent[id(value)][1]), 5)
            return
        encode_one = _ENCODERS.get(kind)
        if encode_one is None:
            value = _plain_container(value)
            encode_one = _ENCODERS[type(value)]
        encode_one(self, value, depth)
        if shared:
            self.sent[id(value)] = (value, len(self.sent))

    def key(self, key: Any, depth: int) -> None:
        kind = type(key)
        if kind is tuple:
            self.open(len(key), depth)
            self.put(b"t" + _U32.pack(len(key)), 5)
            for item in key:
                self.key(item, depth + 1)
        elif kind in _KEY_ENCODERS:
            self.value(key, depth)
        else:
            raise _Rejected(f"has a key that is {_describe(key)}; {_KEY_TYPES}")


def _encode_constant(tag: bytes) -> Callable[[_Encoder, Any, int], None]:
    return lambda encoder, value, depth: encoder.put(tag, 1)


def _encode_bool(encoder: _Encoder, value: bool, depth: int) -> None:
    encoder.put(b"T" if value else b"F", 1)


def _encode_int(encoder: _Encoder, value: int, depth: int) -> None:
    if _INT64_MIN <= value <= _INT64_MAX:
        encoder.put(b"i" + _I64.pack(value), 9)
        return
    length = value.bit_length() // 8 + 1
    raw = value.to_bytes(length, "little", signed=True)
    encoder.put(b"I" + _U32.pack(length) + raw, 5 + length)


def _encode_float(encoder: _Encoder, value: float, depth: int) -> None:
    encoder.put(b"f" + _F64.pack(value), 9)


def _encode_complex(encoder: _Encoder, value: complex, depth: int) -> None:
    encoder.put(b"c" + _C128.pack(value.real, value.imag), 17)


def _encode_str(encoder: _Encoder, value: str, depth: int) -> None:
    raw = value.encode("utf-8", "surrogatepass")
    encoder.put(b"s" + _U32.pack(len(raw)) + raw, 5 + len(raw))


def _encode_sequence(tag: bytes) -> Callable[[_Encoder, Any, int], None]:
    def encode_sequence(encoder: _Encoder, value: list[Any] | tuple[Any, ...], depth: int) -> None:
        encoder.open(len(value), depth)
        encoder.put(tag + _U32.pack(len(value)), 5)
        for index, item in enumerate(value):
            try:
                encoder.value(item, depth + 1)
            except _Rejected as rejected:
                rejected.trail.append(f"[{index}]")
                raise

    return encode_sequence


def _encode_dict(encoder: _Encoder, value: dict[Any, Any], depth: int) -> None:
    encoder.open(len(value), depth)
    encoder.put(b"d" + _U32.pack(len(value)), 5)
    for key, item in value.items():
        encoder.key(key, depth + 1)
        try:
            encoder.value(item, depth + 1)
        except _Rejected as rejected:
            rejected.trail.append(f"[{json.dumps(key, ensure_ascii=False) if type(key) is str else repr(key)}]")
            raise


def _encode_array(encoder: _Encoder, value: np.ndarray[Any, Any], depth: int) -> None:
    code = _DTYPE_CODES.get(value.dtype)
    if code is None:
        raise _Rejected(f"is a numpy array of dtype {value.dtype}; only arrays of numbers and bools can be sent")
    ndim, nbytes = value.ndim, value.nbytes
    header = bytes((97, code, ndim)) + _ARRAY_HEADERS[ndim].pack(*value.shape, nbytes)  # 97: "a"
    encoder.check_room(len(header) + nbytes)  # before a copy: a broadcast view can claim far more than it holds
    encoder.size += len(header) + nbytes
    encoder.parts += (header, value if value.flags.c_contiguous else value.copy(order="C"))


def _encode_scalar(encoder: _Encoder, value: np.generic, depth: int) -> None:
    raw = value.tobytes()
    encoder.put(b"g" + _SCALAR_CODES[type(value)] + raw, 2 + len(raw))


_KEY_ENCODERS: dict[type, Callable[[_Encoder, Any, int], None]] = {
    type(None): _encode_constant(b"N"),
    bool: _encode_bool,
    int: _encode_int,
    float: _encode_float,
    str: _encode_str,
}
_ENCODERS: dict[type, Callable[[_Encoder, Any, int], None]] = {
    **_KEY_ENCODERS,
    complex: _encode_complex,
    list: _encode_sequence(b"l"),
    tuple: _encode_sequence(b"t"),
    dict: _encode_dict,
    np.ndarray: _encode_array,
    **{scalar_type: _encode_scalar for scalar_type in _SCALAR_CODES},
}


_SHARED_TYPES = frozenset({list, tuple, dict, np.ndarray})
"""The types sent once per object, then by reference."""


def _plain_container(value: Any) -> dict[Any, Any] | tuple[Any, ...] | list[Any]:
    """A subclass of dict, tuple or list (an ``OrderedDict``, a named tuple) as its plain base type, holding the
    same items; anything else is rejected."""
    for base in (dict, tuple, list):
        if isinstance(value, base):
            try:
                return base(value)
            except Exception:
                raise _Rejected(f"is {_describe(value)} whose items cannot be read") from None
    raise _Rejected(f"is {_describe(value)}; {_SUPPORTED}")


def _describe(value: Any) -> str:
    """``"a generator"``, ``"a numpy.matrix"``: what ``value`` is, without running any of its code."""
    kind = type(value)
    try:
        module, name = kind.__module__, kind.__qualname__
        suffix = " (a subclass of numpy.ndarray)" if issubclass(kind, np.ndarray) else ""
        label = (name if module == "builtins" else f"{module}.{name}") + suffix
    except Exception:
        label = "object of an unsupported type"
    return f"{'an' if label[:1] in 'aeiouAEIOU' else 'a'} {label}"


def _format_bytes(size: int) -> str:
    return f"{size / 1024**2:g} MiB" if size >= 1024**2 else f"{size} bytes"


def decode(
    data: bytes | bytearray | memoryview,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_items: int = DEFAULT_MAX_ITEMS,
) -> Any:
    """The value ``data`` encodes, with fresh writable arrays; raise ``DecodeError`` for anything malformed."""
    try:
        view = memoryview(data).cast("B")
        if len(view) > max_bytes:
            raise DecodeError(f"the data is larger than the {_format_bytes(max_bytes)} limit")
        decoder = _Decoder(view, max_depth, max_items)
        value = decoder.value(0)
        if decoder.pos != len(view):
            raise DecodeError(f"{len(view) - decoder.pos} bytes follow the value")
        return value
    except DecodeError:
        raise
    except Exception as error:
        raise DecodeError(f"malformed data ({type(error).__name__}: {error})") from None


class _Decoder:
    """Reads one value from ``data`` at ``pos``, checking every length against what is left."""

    __slots__ = ("data", "pos", "items", "max_depth", "max_items", "complete")

    def __init__(self, data: memoryview, max_depth: int, max_items: int) -> None:
        self.data = data
        self.complete: list[Any] = []
        """The lists, tuples, dicts and arrays decoded so far, in the order they ended: what references name."""
        self.pos = 0
        self.items = 0
        self.max_depth = max_depth
        self.max_items = max_items

    def skip(self, size: int) -> int:
        """Move past ``size`` bytes; where they start."""
        start = self.pos
        self.pos = start + size
        if self.pos > len(self.data):
            raise DecodeError("the data ends in the middle of a value")
        return start

    def take(self, size: int) -> memoryview:
        start = self.skip(size)
        return self.data[start : self.pos]

    def byte(self) -> int:
        return self.data[self.skip(1)]

    def unpack(self, layout: struct.Struct) -> Any:
        values = layout.unpack_from(self.data, self.skip(layout.size))
        return values[0] if len(values) == 1 else values

    def count(self, depth: int) -> int:
        """Read a container's length, checking that it fits in what is left and in the limits."""
        length: int = self.unpack(_U32)
        if length > len(self.data) - self.pos:
            raise DecodeError("a container announces more items than the data holds")
        self.items += length
        if self.items > self.max_items:
            raise DecodeError(f"the data holds more than {self.max_items} values")
        if depth >= self.max_depth:
            raise DecodeError(f"the data is nested more than {self.max_depth} levels deep")
        return length

    def value(self, depth: int) -> Any:
        position = self.pos
        if position >= len(self.data):
            raise DecodeError("the data ends in the middle of a value")
        tag = self.data[position]
        self.pos = position + 1
        read = _DECODERS.get(tag)
        if read is None:
            raise DecodeError(f"unknown tag {tag:#04x} at byte {self.pos - 1}")
        return read(self, depth)

    def key(self, depth: int) -> Any:
        tag = self.byte()
        if tag == ord("t"):
            return tuple(self.key(depth + 1) for _ in range(self.count(depth)))
        read = _KEY_DECODERS.get(tag)
        if read is None:
            raise DecodeError(f"tag {tag:#04x} at byte {self.pos - 1} cannot be a dict key")
        return read(self, depth)

    def dtype(self) -> np.dtype[Any]:
        code = self.byte()
        if code >= len(DTYPES):
            raise DecodeError(f"unknown dtype code {code}")
        return DTYPES[code]


def _decode_int(decoder: _Decoder, depth: int) -> int:
    value: int = decoder.unpack(_I64)
    return value


def _decode_big_int(decoder: _Decoder, depth: int) -> int:
    return int.from_bytes(decoder.take(decoder.unpack(_U32)), "little", signed=True)


def _decode_float(decoder: _Decoder, depth: int) -> float:
    value: float = decoder.unpack(_F64)
    return value


def _decode_complex(decoder: _Decoder, depth: int) -> complex:
    real, imag = decoder.unpack(_C128)
    return complex(real, imag)


def _decode_str(decoder: _Decoder, depth: int) -> str:
    return str(decoder.take(decoder.unpack(_U32)), "utf-8", "surrogatepass")


def _decode_list(decoder: _Decoder, depth: int) -> list[Any]:
    value = [decoder.value(depth + 1) for _ in range(decoder.count(depth))]
    decoder.complete.append(value)
    return value


def _decode_tuple(decoder: _Decoder, depth: int) -> tuple[Any, ...]:
    value = tuple(decoder.value(depth + 1) for _ in range(decoder.count(depth)))
    decoder.complete.append(value)
    return value


def _decode_reference(decoder: _Decoder, depth: int) -> Any:
    number: int = decoder.unpack(_U32)
    if number >= len(decoder.complete):
        raise DecodeError(f"a reference to value {number}, of {len(decoder.complete)} complete so far")
    return decoder.complete[number]


def _decode_dict(decoder: _Decoder, depth: int) -> dict[Any, Any]:
    length = decoder.count(depth)
    result = {}
    for _ in range(length):
        key = decoder.key(depth + 1)
        result[key] = decoder.value(depth + 1)
    if len(result) != length:
        raise DecodeError("a dict holds the same key twice")
    decoder.complete.append(result)
    return result


def _decode_scalar(decoder: _Decoder, depth: int) -> np.generic:
    dtype = decoder.dtype()
    value = np.frombuffer(decoder.data, dtype, 1, decoder.skip(dtype.itemsize))
    _check_bools(dtype, value)
    scalar: np.generic = value[0]
    return scalar


def _decode_array(decoder: _Decoder, depth: int) -> np.ndarray[Any, Any]:
    data, start = decoder.data, decoder.pos
    if start + 2 > len(data):
        raise DecodeError("the data ends in the middle of a value")
    code, ndim = data[start], data[start + 1]
    if code >= len(DTYPES):
        raise DecodeError(f"unknown dtype code {code}")
    if ndim > MAX_NDIM:
        raise DecodeError(f"an array has {ndim} dimensions, more than {MAX_NDIM}")
    layout = _ARRAY_HEADERS[ndim]
    decoder.pos = start + 2
    *dimensions, nbytes = layout.unpack_from(data, decoder.skip(layout.size))
    shape = tuple(dimensions)
    dtype = DTYPES[code]
    size = math.prod(shape)
    if size * dtype.itemsize != nbytes:
        raise DecodeError(f"an array of shape {shape} and dtype {dtype} cannot hold {nbytes} bytes")
    flat = np.frombuffer(data, dtype, size, decoder.skip(nbytes))
    if dtype.kind == "b":
        _check_bools(dtype, flat)
    value = flat.reshape(shape).copy()
    decoder.complete.append(value)
    return value


_ARRAY_HEADERS = tuple(struct.Struct(f"<{ndim}QQ") for ndim in range(MAX_NDIM + 1))
"""An array's dimensions and byte count, by its number of dimensions."""


def _check_bools(dtype: np.dtype[Any], values: np.ndarray[Any, Any]) -> None:
    if dtype.kind == "b" and values.size and values.view(np.uint8).max() > 1:
        raise DecodeError("a bool is neither 0 nor 1")


_KEY_DECODERS: dict[int, Callable[[_Decoder, int], Any]] = {
    ord("N"): lambda decoder, depth: None,
    ord("T"): lambda decoder, depth: True,
    ord("F"): lambda decoder, depth: False,
    ord("i"): _decode_int,
    ord("I"): _decode_big_int,
    ord("f"): _decode_float,
    ord("s"): _decode_str,
}
_DECODERS: dict[int, Callable[[_Decoder, int], Any]] = {
    **_KEY_DECODERS,
    ord("c"): _decode_complex,
    ord("l"): _decode_list,
    ord("t"): _decode_tuple,
    ord("d"): _decode_dict,
    ord("g"): _decode_scalar,
    ord("a"): _decode_array,
    ord("r"): _decode_reference,
}


def send_frame(fd: int, payload: bytes, deadline: float | None = None) -> None:
    """Write ``payload`` as one frame.

    Without ``deadline`` (a ``time.monotonic()`` value) the write blocks; with one, ``fd`` must be non-blocking
    and ``FrameTimeout`` is raised when it passes. A closed reader raises ``ConnectionClosed``. POSIX only.
    """
    _send(payload, functools.partial(_write_fd, fd, deadline))


def recv_frame(fd: int, max_bytes: int, deadline: float | None = None) -> bytearray:
    """Read one frame's payload; ``FrameTooLarge`` if it announces more than ``max_bytes``.

    Raises ``ConnectionClosed`` at end of file and, as for ``send_frame``, ``FrameTimeout`` after ``deadline``.
    """
    return _receive(functools.partial(_read_fd, fd, deadline), max_bytes)


def write_frame(stream: io.RawIOBase, payload: bytes) -> None:
    """``send_frame`` on any platform, blocking: to an unbuffered binary stream (a pipe)."""
    _send(payload, functools.partial(_write_stream, stream))


def read_frame(stream: io.RawIOBase, max_bytes: int) -> bytearray:
    """``recv_frame`` on any platform, blocking: from an unbuffered binary stream (a pipe)."""
    return _receive(stream.readinto, max_bytes)


def _send(payload: bytes, write: Callable[[list[memoryview]], int]) -> None:
    """Send the frame of ``payload`` with ``write``, which writes the start of the views it is given and says
    how many bytes it wrote."""
    views = [memoryview(_U64.pack(len(payload))), memoryview(payload).cast("B")]
    while views:
        try:
            written = write(views)
        except BrokenPipeError:
            raise ConnectionClosed("the reading end of the pipe is closed") from None
        while views and written >= len(views[0]):
            written -= len(views.pop(0))
        if written:
            views[0] = views[0][written:]


def _receive(read_into: Callable[[memoryview], int | None], max_bytes: int) -> bytearray:
    """Receive one frame's payload with ``read_into``, which reads into the view it is given and says how many
    bytes it read: 0 at end of file, None when there was nothing yet."""
    (size,) = _U64.unpack(_read_exact(read_into, _U64.size))
    if size > max_bytes:
        raise FrameTooLarge(f"a frame of {size} bytes exceeds the {_format_bytes(max_bytes)} limit")
    return _read_exact(read_into, size)


def _read_exact(read_into: Callable[[memoryview], int | None], size: int) -> bytearray:
    buffer = bytearray(size)
    view = memoryview(buffer)
    filled = 0
    while filled < size:
        count = read_into(view[filled:])
        if count is None:
            continue
        if count == 0:
            raise ConnectionClosed("the writing end of the pipe is closed")
        filled += count
    return buffer


def _write_fd(fd: int, deadline: float | None, views: list[memoryview]) -> int:
    try:
        return os.writev(fd, views)
    except BlockingIOError:
        _wait(fd, select.POLLOUT, deadline)
        return 0


def _read_fd(fd: int, deadline: float | None, view: memoryview) -> int | None:
    try:
        return os.readv(fd, [view])
    except BlockingIOError:
        _wait(fd, select.POLLIN, deadline)
        return None


def _write_stream(stream: io.RawIOBase, views: list[memoryview]) -> int:
    try:
        return stream.write(views[0]) or 0
    except OSError as error:
        if error.errno == errno.EINVAL:  # how Windows reports a pipe whose reader is gone
            raise BrokenPipeError(errno.EPIPE, "the reading end of the pipe is closed") from error
        raise


def _wait(fd: int, events: int, deadline: float | None) -> None:
    """Block until ``fd`` is ready for ``events`` or ``deadline`` passes (``FrameTimeout``)."""
    timeout_ms = None
    if deadline is not None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FrameTimeout("the deadline passed")
        timeout_ms = math.ceil(remaining * 1000)
    poller = select.poll()
    poller.register(fd, events)
    poller.poll(timeout_ms)
