"""The entry point of the process that runs a submission: isolate it, then hand over to the runner.

``grader.sandbox.worker`` starts ``main`` in a fresh interpreter with the request and response pipes and the
``confine.Setup`` as JSON. The namespaces, limits and PID namespace come before numpy is imported, so that
the processes forked into the PID namespace copy a small interpreter, not one with numpy loaded; Landlock and
seccomp come after the imports (``runner.main``), as the grader's own files are out of reach once they apply.
"""

from __future__ import annotations

import json
import os

from grader.sandbox import confine


def main(request_fd: int, response_fd: int, setup_json: str) -> None:
    """Isolate this process as the setup says, then run the runner (which reports a failure to the parent)."""
    setup = confine.Setup(**json.loads(setup_json))
    os.set_inheritable(request_fd, False)
    os.set_inheritable(response_fd, False)
    problem = None
    try:
        confine.isolate(setup, request_fd, response_fd)
    except OSError as error:
        problem = str(error)
    from grader.sandbox import runner  # numpy: only now, in the process that will run the submission

    runner.main(request_fd, response_fd, setup, problem)
