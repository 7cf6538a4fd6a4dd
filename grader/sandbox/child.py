"""The process that runs a submission, forked by the fork server (``grader.sandbox.zygote``): isolate it, then
hand over to the runner.

The limits come first (``confine.isolate``); Landlock and seccomp come last (``confine.restrict``), once nothing
more needs the grader's own files: the fork server imported everything before it forked this process.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from grader.sandbox import confine, runner
from grader.sandbox.process_setup import Setup


def main(request_fd: int, response_fd: int, setup: Setup, environment: Mapping[str, str], server: int) -> None:
    """In a process just forked by the fork server ``server``: die with it, lead a session of its own, work in
    the scratch directory with only ``environment``, isolate and restrict as ``setup`` says, then run the runner
    (which reports a failure to isolate to the grader and exits)."""
    confine.die_with_parent(server)
    os.setsid()
    os.chdir(setup.scratch)
    os.environ.clear()
    os.environ.update(environment)
    problem = None
    try:
        confine.isolate(setup)
        if setup.landlock_abi is not None:
            confine.restrict(setup.landlock_abi, setup.scratch, [setup.submission])
    except OSError as error:
        problem = str(error)
    runner.main(request_fd, response_fd, setup, problem)
