"""The process of a submission at the portable level (``grader.sandbox.portable``), on any platform: a fresh
interpreter that takes its standard input and output for the protocol, limits itself where it can, and runs
the runner.

It imports nothing that needs Linux, nor ``resource`` where it is missing (Windows): the limits come from
``process_setup``, which applies those the system accepts.
"""

from __future__ import annotations

import functools
import io
import json
import os
import sys

from grader.sandbox import runner, wire
from grader.sandbox.process_setup import Setup, limit_resources


def main(setup_json: str) -> None:
    """Run the submission of ``setup_json`` (a ``Setup`` as JSON): move the protocol off the standard streams,
    apply the resource limits the system accepts, hide the grader's packages, then serve the grader."""
    requests, responses = _protocol_streams()
    setup = Setup(**json.loads(setup_json))
    limit_resources(setup, best_effort=True)
    sys.argv[:] = [setup.submission]
    runner.hide_packages()
    runner.serve(setup, functools.partial(wire.read_frame, requests), functools.partial(wire.write_frame, responses))


def _protocol_streams() -> tuple[io.FileIO, io.FileIO]:
    """The pipes to the grader, on descriptors of their own that no child process inherits; standard input,
    output and error then read and write the null device, so that nothing the submission reads or prints, from
    Python or from C, touches the protocol."""
    requests = io.FileIO(os.dup(0), "rb")
    responses = io.FileIO(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    return requests, responses
