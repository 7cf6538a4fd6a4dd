"""Interruptions held back while something must be done whole: by signal masks where the system has them, by
handlers that defer them elsewhere (Windows); and never taken by the grader's own threads."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading

import pytest

from grader import interrupts


@pytest.mark.parametrize("masks", [True, False], ids=["signal masks", "no signal masks"])
def test_ctrl_c_within_held_takes_effect_when_the_block_is_done(monkeypatch: pytest.MonkeyPatch, masks: bool) -> None:
    if not masks:
        monkeypatch.delattr(signal, "pthread_sigmask")
    done = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts.held():
            signal.raise_signal(signal.SIGINT)
            done.append("the rest of the block")
    assert done == ["the rest of the block"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_without_signal_masks_the_handlers_in_place_come_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(signal, "pthread_sigmask")
    caught: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda number, frame: caught.append(number))
    try:
        with interrupts.held():
            signal.raise_signal(signal.SIGTERM)
            signal.raise_signal(signal.SIGTERM)
            assert caught == []
        assert caught == [signal.SIGTERM, signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, previous)


KEPT_FROM_THREADS = """
import os, signal, threading, time
from grader import interrupts

caught = []
signal.signal(signal.SIGTERM, lambda number, frame: caught.append(number))
with interrupts.kept_from_new_threads():
    threading.Thread(target=time.sleep, args=(5,), daemon=True).start()
with interrupts.held():
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.2)  # time enough for a thread that does not block it to take it
    held = not caught
print(held, caught == [signal.SIGTERM])
"""


def test_a_thread_started_kept_from_interruptions_never_takes_them() -> None:
    done = subprocess.run([sys.executable, "-c", KEPT_FROM_THREADS], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "True True\n"), done.stderr


def test_outside_the_main_thread_nothing_is_held() -> None:
    mask_before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    seen = []

    def inside() -> None:
        with interrupts.held():
            seen.append(signal.pthread_sigmask(signal.SIG_BLOCK, []))

    thread = threading.Thread(target=inside)
    thread.start()
    thread.join()
    assert seen == [mask_before]
