"""The process that runs a submission, forked by the fork server (``grader.sandbox.zygote``): isolate it, then
hand over to the runner.

The limits come first (``confine.isolate``); Landlock and seccomp come last, in ``runner.main``, once nothing
more needs the grader's own files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from grader.sandbox import confine, runner


def main(request_fd: int, response_fd: int, setup: confine.Setup, environment: Mapping[str, str], server: int) -> None:
    """In a process just forked by the fork server ``server``: die with it, lead a session of its own, work in
    the scratch directory with only ``environment``, isolate as ``setup`` says, then run the runner (which
    reports a failure to isolate to the grader and exits)."""
    confine.die_with_parent(server)
    os.setsid()
    os.chdir(setup.scratch)
    os.environ.clear()
    os.environ.update(environment)
    problem = None
    try:
        confine.isolate(setup)
    except OSError as error:
        problem = str(error)
    runner.main(request_fd, response_fd, setup, problem)
