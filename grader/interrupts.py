"""Holding interruptions (Ctrl-C, SIGTERM) back while something must be done whole."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

HELD = frozenset({signal.SIGINT, signal.SIGTERM})


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back until the block is done; they then take effect. In the main thread only,
    where Python handles signals; elsewhere, nothing is held back. Where the system has signal masks (POSIX),
    they stay pending, blocked; elsewhere (Windows), handlers note them and raise them again after the block."""
    if threading.current_thread() is not threading.main_thread():
        yield
    elif hasattr(signal, "pthread_sigmask"):
        with _blocked():
            yield
    else:
        with _deferred():
            yield


@contextlib.contextmanager
def kept_from_new_threads() -> Iterator[None]:
    """Threads started within the block never take Ctrl-C or SIGTERM: they start with the calling thread's
    signal mask, here with both blocked, so that the signals reach the main thread, where ``held`` can hold them
    back. Where the system has no signal masks (Windows, where Python takes every signal in the main thread
    anyway), nothing is needed."""
    if hasattr(signal, "pthread_sigmask"):
        with _blocked():
            yield
    else:
        yield


@contextlib.contextmanager
def _blocked() -> Iterator[None]:
    """Ctrl-C and SIGTERM blocked in the calling thread for the block."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextlib.contextmanager
def _deferred() -> Iterator[None]:
    """Ctrl-C and SIGTERM noted by handlers of their own for the block, then raised again, in the order they came,
    once the previous handlers are back (in the main thread)."""
    received: list[int] = []

    def note(number: int, frame: FrameType | None) -> None:
        received.append(number)

    previous = {number: signal.signal(number, note) for number in HELD}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
        for noted in received:
            signal.raise_signal(noted)
