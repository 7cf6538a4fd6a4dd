"""Grading many submissions at once: a pool of processes forked from this one, each grading one at a time.

The processes are forks of the caller, so the ``Grader``'s reference outputs, computed once, are shared with
all of them; each process has its own fork server for the submissions' sandboxes. A pool process that dies
(killed, out of memory) costs only the submission it held, reported as an error, and is replaced. Ctrl-C
stops the pool: each process is terminated, and cleans its sandbox up on the way out.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import ForkProcess
from pathlib import Path

from grader.grading import Grader
from grader.report import Report
from grader.sandbox import confine, levels

Job = tuple[Path, str]
"""A submission to grade: its path and how its report names it."""
Outcome = tuple[str, Report | None, str | None]
"""``(display path, report, None)``, or ``(display path, None, why it could not be graded)``."""

_STOP_TIMEOUT_S = 5.0
"""How long a pool process gets to clean up after SIGTERM before it is killed."""


def grade_in_parallel(grader: Grader, jobs: Sequence[Job], processes: int) -> Iterator[Outcome]:
    """Grade each job, on up to ``processes`` processes (in this one when 1), yielding outcomes as they come.

    An exception of the grader's own, or the death of a pool process, is an outcome with an error; the other
    jobs go on. Closing the iterator early (or an exception in the caller, Ctrl-C included) stops the pool.
    """
    if processes <= 1 or len(jobs) <= 1:
        for path, display_path in jobs:
            yield _grade(grader, path, display_path)
        return
    pool = _Pool(grader, min(processes, len(jobs)))
    try:
        yield from pool.run(jobs)
    finally:
        pool.stop()


def _grade(grader: Grader, path: Path, display_path: str) -> Outcome:
    try:
        return display_path, grader.grade(path, display_path), None
    except Exception as error:  # the grader's own failure on this file: report it, go on with the rest
        return display_path, None, f"{type(error).__name__}: {error}"


@dataclass
class _Member:
    process: ForkProcess
    connection: Connection
    job: Job | None = None


class _Pool:
    def __init__(self, grader: Grader, size: int) -> None:
        self._grader = grader
        self._context = multiprocessing.get_context("fork")
        self._members = [self._start() for _ in range(size)]

    def run(self, jobs: Sequence[Job]) -> Iterator[Outcome]:
        waiting = deque(jobs)
        while True:
            for index, member in enumerate(self._members):
                if member.job is None and waiting:
                    try:
                        member.connection.send(waiting[0])
                    except OSError:  # it died while idle: replace it, and give the job to the next
                        self._members[index] = self._start()
                        continue
                    member.job = waiting.popleft()
            busy = [member for member in self._members if member.job is not None]
            if not busy:
                if waiting:  # every member was found dead while idle: their replacements take the jobs
                    continue
                return
            ready = multiprocessing.connection.wait([member.connection for member in busy])
            for member in busy:
                if member.connection in ready:
                    yield self._receive(member)

    def stop(self) -> None:
        """Terminate every member, let it clean up, kill it if it does not end in time."""
        for member in self._members:
            member.connection.close()
            if member.process.is_alive():
                member.process.terminate()
        for member in self._members:
            member.process.join(_STOP_TIMEOUT_S)
            if member.process.is_alive():
                member.process.kill()
                member.process.join()

    def _receive(self, member: _Member) -> Outcome:
        job = member.job
        assert job is not None
        member.job = None
        try:
            outcome: Outcome = member.connection.recv()
            return outcome
        except (EOFError, OSError):
            member.process.join()
            code = member.process.exitcode
            self._members[self._members.index(member)] = self._start()
            return job[1], None, f"the grading process died (exit status {code}) while grading this submission"

    def _start(self) -> _Member:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(self._grader, theirs, os.getpid()), daemon=True)
        process.start()
        theirs.close()
        return _Member(process, ours)


def _serve(grader: Grader, connection: Connection, parent: int) -> None:
    """A pool process: grade each job received, send back its outcome, until the connection closes."""
    if levels.on_linux():  # elsewhere a pool process outlives a killed parent until its pipe closes
        confine.die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, _exit_on_signal)
    while True:
        try:
            path, display_path = connection.recv()
        except (EOFError, OSError):
            return
        connection.send(_grade(grader, path, display_path))


def _exit_on_signal(number: int, frame: object) -> None:
    """Leave through ``SystemExit``, so that the sandbox being used is closed on the way."""
    sys.exit(128 + number)
