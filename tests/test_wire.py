"""The data-only encoding: exact round trips of every supported type, and strict rejection of everything else."""

from __future__ import annotations

import collections
import math
import os
import pickle
import random
import struct
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from grader.sandbox import wire


def round_trip(value: Any) -> Any:
    return wire.decode(wire.encode(value))


def assert_same(got: Any, expected: Any) -> None:
    """Equal, with the same types all the way down (tuple is not list, np.float32 is not float); numpy scalars
    need only the same dtype (``np.longlong`` comes back as the equal ``np.int64``)."""
    if isinstance(expected, np.generic):
        assert isinstance(got, np.generic) and got.dtype == expected.dtype and got.tobytes() == expected.tobytes()
        return
    assert type(got) is type(expected)
    if isinstance(expected, np.ndarray):
        assert got.dtype == expected.dtype and got.shape == expected.shape
        assert got.tobytes() == np.ascontiguousarray(expected).tobytes()
    elif isinstance(expected, (list, tuple)):
        assert len(got) == len(expected)
        for got_item, expected_item in zip(got, expected, strict=True):
            assert_same(got_item, expected_item)
    elif isinstance(expected, dict):
        assert list(got) == list(expected)
        for key in expected:
            assert_same(got[key], expected[key])
    elif isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        -1,
        2**63 - 1,
        -(2**63),
        2**63,
        -(2**200) + 7,
        1.5,
        -0.0,
        math.inf,
        -math.inf,
        1 + 2j,
        complex(math.inf, -1),
        "",
        "héllo \U0001f600",
        "\ud800",
        [],
        (),
        [1, (2, [3, ()])],
        ((1,), [1]),
        {},
        {"b": 1, "a": 2},
    ],
    ids=repr,
)
def test_python_values_round_trip(value: Any) -> None:
    assert_same(round_trip(value), value)


def test_nan_round_trips() -> None:
    assert math.isnan(round_trip(math.nan))
    assert math.isnan(round_trip(complex(math.nan, 0)).real)


def test_dict_keys_keep_their_types_and_order() -> None:
    value = {
        3: "int",
        -2: "negative",
        1.5: "float",
        -0.25: "negative float",
        True: "bool",
        None: "none",
        "s": "str",
        (1, ("a", None), -1.0): "tuple",
        2**70: "big",
    }
    got = round_trip(value)
    assert list(got.items()) == list(value.items())
    assert [type(key) for key in got] == [type(key) for key in value]


@pytest.mark.parametrize(
    "dtype", [np.dtype(char) for char in "?bBhHiIlLqQefdgFDG"] + [np.dtype(">f8"), np.dtype(">i4")], ids=str
)
def test_numpy_scalars_and_arrays_keep_their_dtype(dtype: np.dtype[Any]) -> None:
    array = (np.arange(12) % 2).astype(dtype).reshape(3, 4)
    assert_same(round_trip(array), array)
    scalar = array[1, 1]
    assert_same(round_trip(scalar), scalar)


@pytest.mark.parametrize(
    "array",
    [
        np.array(3.5),
        np.zeros((0,)),
        np.zeros((3, 0, 2), dtype=np.int8),
        np.zeros((0, 2**40)),
        np.arange(24.0).reshape(2, 3, 4).transpose(2, 0, 1),
        np.asfortranarray(np.arange(6).reshape(2, 3)),
        np.arange(20)[::3],
        np.array([np.nan, np.inf, -np.inf, -0.0]),
        np.ones((1,) * 32),
    ],
    ids=lambda array: f"{array.shape}-{'C' if array.flags.c_contiguous else 'strided'}",
)
def test_arrays_of_any_layout_come_back_as_fresh_writable_copies(array: np.ndarray[Any, Any]) -> None:
    got = round_trip(array)
    assert_same(got, array)
    assert got.flags.c_contiguous and got.flags.writeable and got.flags.owndata


def test_arrays_inside_containers() -> None:
    value = {"cache": (np.ones(3), [np.float64(2.0), {"inner": np.eye(2, dtype=np.float32)}]), 1: None}
    assert_same(round_trip(value), value)


class Custom:
    pass


def generator() -> Iterator[int]:
    yield 1


@pytest.mark.parametrize(
    ("value", "path", "what"),
    [
        ({"cache": [0, 1, 2, generator()]}, 'result["cache"][3]', "is a generator"),
        ((1, {2, 3}), "result[1]", "is a set"),
        ([frozenset()], "result[0]", "is a frozenset"),
        ({"f": len}, 'result["f"]', "is a builtin_function_or_method"),
        ({"f": lambda: 1}, 'result["f"]', "is a function"),
        ([Custom()], "result[0]", f"is a {__name__}.Custom"),
        (b"bytes", "result", "is a bytes"),
        (np.eye(2).view(np.matrix), "result", "is a numpy.matrix (a subclass of numpy.ndarray)"),
        ([np.ma.array([1, 2])], "result[0]", "is a numpy.ma.MaskedArray (a subclass of numpy.ndarray)"),
        (np.array([None, 1]), "result", "is a numpy array of dtype object"),
        (np.array(["a"]), "result", "is a numpy array of dtype <U1"),
        (np.zeros(2, dtype=[("x", "f8")]), "result", "is a numpy array of dtype [('x', '<f8')]"),
        (np.str_("a"), "result", "is a numpy.str_"),
        (np.datetime64("2020-01-01"), "result", "is a numpy.datetime64"),
        ({"a": {(1, 2): [3, range(2)]}}, 'result["a"][(1, 2)][1]', "is a range"),
        ({"a": {1.5: Custom}}, 'result["a"][1.5]', "is a type"),
    ],
    ids=lambda item: item if isinstance(item, str) else "",
)
def test_unsupported_values_are_named_by_their_path(value: Any, path: str, what: str) -> None:
    with pytest.raises(wire.EncodeError) as raised:
        wire.encode(value, root="result")
    assert raised.value.path == path
    assert raised.value.reason.startswith(what)
    assert str(raised.value).startswith(f"{path} {what}")


@pytest.mark.parametrize("key", [frozenset({1}), (1, frozenset()), np.float64(1.0), Custom(), 1j, b"k"], ids=repr)
def test_unsupported_dict_keys_are_rejected(key: Any) -> None:
    with pytest.raises(wire.EncodeError, match=r"^gradients\[0\] has a key that is"):
        wire.encode([{"fine": 1, key: 2}], root="gradients")


def test_subclasses_of_containers_travel_as_their_plain_base_type() -> None:
    Point = collections.namedtuple("Point", "x y")
    ordered = collections.OrderedDict([("b", 1), ("a", Point(1, 2))])
    decoded = wire.decode(wire.encode([ordered, collections.defaultdict(list, {"k": [1]})]))
    assert decoded == [{"b": 1, "a": (1, 2)}, {"k": [1]}]
    assert [type(item) for item in decoded] == [dict, dict]
    assert type(decoded[0]["a"]) is tuple


def test_container_subclasses_whose_items_cannot_be_read_are_rejected() -> None:
    class Broken(list):  # type: ignore[type-arg]
        def __iter__(self) -> Iterator[Any]:
            raise RuntimeError("no")

    with pytest.raises(wire.EncodeError, match=r"^result\[0\] is a .*Broken whose items cannot be read"):
        wire.encode([Broken([1])], root="result")


def test_limits_apply_to_encoding() -> None:
    with pytest.raises(wire.EncodeError, match="^value is larger than the 1 MiB limit"):
        wire.encode([np.zeros(100_000), np.zeros(100_000)], max_bytes=1024**2)
    with pytest.raises(wire.EncodeError, match="^value is larger than the 100 bytes limit"):
        wire.encode(2**10_000, max_bytes=100)
    with pytest.raises(wire.EncodeError, match="nested more than 5 levels deep"):
        wire.encode([[[[[[1]]]]]], max_depth=5)
    assert round_trip([[[[[1]]]]]) == [[[[[1]]]]]
    with pytest.raises(wire.EncodeError, match="holds more than 10 values"):
        wire.encode(list(range(20)), max_items=10)


def test_an_object_found_twice_is_sent_once_and_comes_back_shared() -> None:
    parameters = {"Wax": np.arange(6.0).reshape(2, 3), "ba": np.zeros((2, 1))}
    a = np.ones((2, 1))
    caches = [(a, parameters), (np.full((2, 1), 2.0), parameters), (a, parameters)]
    once = wire.encode([(np.ones((2, 1)), dict(parameters))])
    data = wire.encode(caches)
    assert len(data) < 2 * len(once)
    decoded = wire.decode(data)
    assert decoded[0][1] is decoded[1][1] is decoded[2][1] and decoded[0][0] is decoded[2][0]
    assert decoded[0][1] is not parameters and decoded[1][0] is not decoded[0][0]
    np.testing.assert_array_equal(decoded[2][1]["Wax"], parameters["Wax"])
    decoded[0][1]["Wax"][0, 0] = 7.0  # shared, as in the original
    assert decoded[1][1]["Wax"][0, 0] == 7.0 and parameters["Wax"][0, 0] == 0.0


def test_converted_subclasses_are_never_taken_for_one_another() -> None:
    """Each OrderedDict travels as a temporary plain dict, whose id may be reused: none is sent by reference."""
    values = [collections.OrderedDict(key=number) for number in range(50)]
    assert wire.decode(wire.encode(values)) == [{"key": number} for number in range(50)]


@pytest.mark.parametrize(
    "data",
    [b"r" + struct.pack("<I", 0), b"l\x01\x00\x00\x00r\x00\x00\x00\x00",
     b"d\x01\x00\x00\x00r\x00\x00\x00\x00i" + bytes(8), b"l\x02\x00\x00\x00N" + b"r" + struct.pack("<I", 5)],
    ids=["nothing-complete", "list-naming-itself", "reference-as-key", "beyond-the-end"],
)
def test_references_name_only_complete_values(data: bytes) -> None:
    with pytest.raises(wire.DecodeError):
        wire.decode(data)


def test_self_referencing_list_hits_the_depth_limit() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(wire.EncodeError, match="nested more than"):
        wire.encode(loop)


def encoded_array(dtype_code: int, shape: tuple[int, ...], nbytes: int, data: bytes) -> bytes:
    dims = struct.pack(f"<{len(shape)}Q", *shape)
    return b"a" + bytes((dtype_code, len(shape))) + dims + struct.pack("<Q", nbytes) + data


F8 = wire.DTYPES.index(np.dtype("<f8"))
B1 = wire.DTYPES.index(np.dtype("?"))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"Z",
        b"N extra",
        b"i\x01\x02",
        b"s\x05\x00\x00\x00abc",
        b"s\x02\x00\x00\x00\xff\xfe",
        b"l\xff\xff\xff\xff",
        b"l\x02\x00\x00\x00N",
        b"d\x01\x00\x00\x00lNN",
        b"d\x01\x00\x00\x00g\x00\x00N",
        b"d\x02\x00\x00\x00sxNsxN".replace(b"sx", b"s\x01\x00\x00\x00x"),
        b"g\xff\x00",
        b"g" + bytes((B1,)) + b"\x02",
        b"I\x10\x00\x00\x00\x01",
        encoded_array(F8, (2, 3), 48, bytes(40)),
        encoded_array(F8, (2, 3), 40, bytes(40)),
        encoded_array(F8, (2**64 - 1,), 0, b""),
        encoded_array(F8, (2**32, 2**32), 0, b""),
        encoded_array(len(wire.DTYPES), (1,), 8, bytes(8)),
        encoded_array(B1, (2,), 2, b"\x00\x07"),
        b"a" + bytes((F8, 65)) + struct.pack("<65Q", *([1] * 65)) + struct.pack("<Q", 8) + bytes(8),
        pickle.dumps([1, 2]),
        pickle.dumps(np.arange(3)),
        np.arange(3).tobytes(),
        b"l\x01\x00\x00\x00" * 200 + b"N",
    ],
    ids=lambda data: repr(data[:24]),
)
def test_malformed_data_raises_decode_error_only(data: bytes) -> None:
    with pytest.raises(wire.DecodeError):
        wire.decode(data)


def test_decode_enforces_its_limits() -> None:
    data = wire.encode(list(range(100)))
    with pytest.raises(wire.DecodeError, match="larger than"):
        wire.decode(data, max_bytes=len(data) - 1)
    with pytest.raises(wire.DecodeError, match="more than 50 values"):
        wire.decode(data, max_items=50)
    with pytest.raises(wire.DecodeError, match="nested more than 2 levels"):
        wire.decode(wire.encode([[[1]]]), max_depth=2)


def test_truncations_of_valid_data_raise_decode_error() -> None:
    data = wire.encode({"a": [1, 2.5, "x", np.arange(4.0), (None, True)], 7: np.float32(2)})
    for end in range(len(data)):
        with pytest.raises(wire.DecodeError):
            wire.decode(data[:end])


def test_random_bytes_never_raise_anything_but_decode_error() -> None:
    rng = random.Random(1234)
    valid = wire.encode({"a": [1, 2.5, "x", np.arange(4.0), (None, True, 1j)], (1, "k"): np.float32(2)})
    for _ in range(5000):
        if rng.random() < 0.5:
            data = bytes(rng.getrandbits(8) for _ in range(rng.randrange(40)))
        else:
            mutated = bytearray(valid)
            for _ in range(rng.randrange(1, 4)):
                mutated[rng.randrange(len(mutated))] = rng.getrandbits(8)
            data = bytes(mutated)
        try:
            wire.decode(data)
        except wire.DecodeError:
            pass


def test_decode_never_unpickles(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("decode used pickle")

    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "load", forbidden)
    payload = pickle.dumps(Custom())
    with pytest.raises(wire.DecodeError):
        wire.decode(payload)
    assert_same(round_trip([np.arange(3)]), [np.arange(3)])


def test_frames_round_trip_over_a_pipe() -> None:
    read, write = os.pipe()
    try:
        wire.send_frame(write, b"hello")
        wire.send_frame(write, b"")
        assert wire.recv_frame(read, 10) == b"hello"
        assert wire.recv_frame(read, 10) == b""
    finally:
        os.close(read)
        os.close(write)


def test_large_frames_need_a_reader_and_respect_the_deadline() -> None:
    read, write = os.pipe()
    os.set_blocking(write, False)
    try:
        with pytest.raises(wire.FrameTimeout):
            wire.send_frame(write, bytes(4 * 1024**2), deadline=0.0)
    finally:
        os.close(read)
        os.close(write)


def test_recv_frame_rejects_oversized_frames_times_out_and_sees_eof() -> None:
    read, write = os.pipe()
    os.set_blocking(read, False)
    try:
        os.write(write, struct.pack("<Q", 1000))
        with pytest.raises(wire.FrameTooLarge):
            wire.recv_frame(read, 999)
        os.write(write, struct.pack("<Q", 10) + b"half")
        with pytest.raises(wire.FrameTimeout):
            wire.recv_frame(read, 100, deadline=0.0)
        os.close(write)
        with pytest.raises(wire.ConnectionClosed):
            wire.recv_frame(read, 100)
    finally:
        os.close(read)


def test_send_frame_to_a_closed_reader_raises_connection_closed() -> None:
    read, write = os.pipe()
    os.close(read)
    try:
        with pytest.raises(wire.ConnectionClosed):
            wire.send_frame(write, b"x")
    finally:
        os.close(write)
