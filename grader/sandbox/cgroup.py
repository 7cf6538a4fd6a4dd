"""A pids cgroup capping the submission's processes where ``RLIMIT_NPROC`` cannot: when the grader runs as root.

The kernel never applies ``RLIMIT_NPROC`` to root, whatever the user namespace. Root can instead create a
cgroup with the pids controller (cgroup v1 or v2) and set its ``pids.max``; the fork server runs in one, so
every process it forks, with all its descendants, threads included, counts against it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

_V1 = Path("/sys/fs/cgroup/pids")
_V2 = Path("/sys/fs/cgroup")
_REMOVE_TIMEOUT_S = 1.0


def create(limit: int) -> Path | None:
    """A new cgroup allowing ``limit`` tasks, or None when not root or no pids hierarchy is writable."""
    if os.geteuid() != 0:
        return None
    for hierarchy in _pids_hierarchies():
        path: Path | None = None
        try:
            path = Path(tempfile.mkdtemp(prefix="grade-", dir=hierarchy))
            set_limit(path, limit)
            return path
        except OSError:
            if path is not None:
                remove(path)
    return None


def _pids_hierarchies() -> list[Path]:
    """The cgroup hierarchies mounted here where the pids controller can limit a new child cgroup."""
    found = [_V1] if (_V1 / "cgroup.procs").is_file() else []
    with contextlib.suppress(OSError):
        if "pids" in (_V2 / "cgroup.subtree_control").read_text().split():
            found.append(_V2)
    return found


def set_limit(path: Path, limit: int) -> None:
    """Allow ``limit`` tasks in the cgroup at ``path`` (already there: they stay)."""
    (path / "pids.max").write_text(str(limit))


def add(path: Path, pid: int) -> None:
    """Move process ``pid`` (and its threads) into the cgroup at ``path``."""
    (path / "cgroup.procs").write_text(str(pid))


def remove(path: Path) -> None:
    """Remove the cgroup at ``path`` once the last of its (killed) processes is gone; give up after a second."""
    deadline = time.monotonic() + _REMOVE_TIMEOUT_S
    while True:
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.001)
