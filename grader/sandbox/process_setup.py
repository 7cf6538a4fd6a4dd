"""How the process that runs a submission is set up (``Setup``), and its resource limits.

Both sides import this module, at every sandbox level and on every platform: it uses only the standard library,
and ``resource`` only where it exists (not on Windows, which has no resource limits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

try:
    import resource
except ImportError:  # Windows
    HAS_RESOURCE_LIMITS = False
else:
    HAS_RESOURCE_LIMITS = True


@dataclass(frozen=True)
class Setup:
    """How the parent has the process that runs a submission confined and limited; sent as JSON, to the fork
    server or on the command line of the portable level's process."""

    memory_bytes: int
    max_result_bytes: int
    cpu_time_s: float
    file_size_bytes: int
    open_files: int
    processes: int
    scratch: str
    """The only directory the submission may write to (strict), and its working directory."""
    submission: str
    """The only file outside Python's own that the submission may read (strict)."""
    landlock_abi: int | None
    """The Landlock ABI to confine the filesystem with; None for no confinement (basic, portable)."""
    namespaces: bool
    """The process runs in user and network namespaces of its own (so ``processes`` counts only the
    submission's own processes): entered by the fork server, or by the process itself (``enter_namespaces``)."""
    pid_namespace: bool
    """The process runs in the fork server's PID namespace, whose init is the server: it ends every process of
    a submission, and reaps them."""
    enter_namespaces: bool = False
    """The process must enter the user and network namespaces itself: the kernel offers no PID namespace, so
    the fork server has none."""
    process_cgroup: bool = False
    """The process starts in a pids cgroup capping ``processes`` (the fork server's, for root, whom
    ``RLIMIT_NPROC`` does not bind)."""

    @property
    def processes_limited(self) -> bool:
        """Whether ``processes`` is enforced: ``RLIMIT_NPROC`` in a user namespace, or the cgroup."""
        return self.namespaces or self.process_cgroup


def limit_resources(setup: Setup, best_effort: bool = False) -> None:
    """Cap address space, core files, written file sizes, open files and CPU time (and processes, counted in
    the submission's own user namespace), soft and hard, so that the submission cannot lift them. The CPU
    limit's hard value is a second later, so that SIGXCPU, not SIGKILL, reports it.

    A limit the system refuses raises ``ValueError`` or ``OSError``, unless ``best_effort``: then it is left
    as it is (macOS refuses an address-space limit). Without the ``resource`` module (Windows), nothing is
    limited."""
    if not HAS_RESOURCE_LIMITS:
        return
    cpu = math.ceil(setup.cpu_time_s)
    limits = [
        (resource.RLIMIT_AS, setup.memory_bytes, setup.memory_bytes),
        (resource.RLIMIT_CORE, 0, 0),
        (resource.RLIMIT_FSIZE, setup.file_size_bytes, setup.file_size_bytes),
        (resource.RLIMIT_NOFILE, setup.open_files, setup.open_files),
        (resource.RLIMIT_CPU, cpu, cpu + 1),
    ]
    if setup.namespaces:  # in the fork server's PID namespace, the server is one of the user's processes
        processes = setup.processes + (1 if setup.pid_namespace else 0)
        limits.append((resource.RLIMIT_NPROC, processes, processes))
    for limit, soft, hard in limits:
        try:
            current = resource.getrlimit(limit)[1]
            if current != resource.RLIM_INFINITY:
                soft, hard = min(soft, current), min(hard, current)
            resource.setrlimit(limit, (soft, hard))
        except (ValueError, OSError):
            if not best_effort:
                raise
