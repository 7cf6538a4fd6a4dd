"""Which sandbox levels this machine allows, and what each one puts in force.

``strict`` needs Linux with Landlock ABI 3 or later (files, truncation included), a way to cut the network (a
network namespace, or at least Landlock's TCP control from ABI 4), a way to keep the submission from signalling
the grader (a PID namespace, or Landlock's signal scoping from ABI 6) and the seccomp filter against Unix
sockets. ``basic`` needs Linux (its fork server and its kill of the process tree do). ``portable`` runs
anywhere Python and numpy do: macOS and Windows included.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass

from grader.sandbox import confine
from grader.sandbox.outcome import Isolation, SandboxLevel


class SandboxUnavailable(RuntimeError):
    """The level required cannot run here (strict on a kernel without what it needs, strict or basic off
    Linux); the message says what is missing."""


_PLATFORM_NAMES = {"darwin": "macOS", "win32": "Windows"}


def on_linux() -> bool:
    """Whether this is Linux, where the strict and basic levels (and their fork servers) can run."""
    return sys.platform.startswith("linux")


@dataclass(frozen=True)
class KernelSupport:
    """What the running kernel offers for confinement."""

    landlock_abi: int | None
    namespaces: bool
    """Unprivileged user and network namespaces can be created."""
    pid_namespace: bool
    """A PID namespace can be created inside them too."""
    seccomp: bool
    """The seccomp filter can be installed (seccomp in the kernel, a known architecture)."""

    @property
    def strict_missing(self) -> str | None:
        """What the strict sandbox lacks here, in words, or None when it is available."""
        abi = self.landlock_abi
        if abi is None:
            return "Landlock is not enabled in this kernel"
        if abi < confine.MIN_LANDLOCK_ABI:
            return f"Landlock ABI {abi} cannot control file truncation (ABI {confine.MIN_LANDLOCK_ABI} needed)"
        if not self.namespaces and abi < confine.TCP_LANDLOCK_ABI:
            return "no way to block the network (no unprivileged user namespaces, Landlock ABI below 4)"
        if not self.pid_namespace and abi < confine.SCOPE_LANDLOCK_ABI:
            return "no way to stop signals to the grader (no PID namespace, Landlock ABI below 6)"
        if not self.seccomp:
            return "no seccomp filter for this kernel or architecture"
        return None


@functools.cache
def kernel_support() -> KernelSupport:
    """Probe the kernel once per process, without confining the caller (the namespaces are tried in a fork).
    Off Linux, nothing is probed (the probes are Linux system calls) and nothing is supported."""
    if not on_linux():
        return KernelSupport(None, namespaces=False, pid_namespace=False, seccomp=False)
    namespaces, pid_namespace = confine.probe_namespaces()
    return KernelSupport(confine.landlock_abi(), namespaces, pid_namespace, confine.seccomp_supported())


def resolve(requested: SandboxLevel | str = "auto") -> SandboxLevel:
    """The level to use: ``requested`` (a ``SandboxLevel`` or its value), or for ``"auto"`` strict where this
    kernel offers it, basic on other Linux kernels, and portable off Linux.

    Raises ``SandboxUnavailable`` when strict is requested and missing, or strict or basic off Linux;
    ``ValueError`` for an unknown level.
    """
    if requested == "auto":
        if not on_linux():
            return SandboxLevel.PORTABLE
        return SandboxLevel.BASIC if kernel_support().strict_missing else SandboxLevel.STRICT
    level = SandboxLevel(requested)
    if level is SandboxLevel.PORTABLE:
        return level
    if not on_linux():
        system = _PLATFORM_NAMES.get(sys.platform, sys.platform)
        raise SandboxUnavailable(f"the {level.value} sandbox is not available here: it needs Linux, and this is "
                                 f"{system}; the portable sandbox runs anywhere")
    missing = kernel_support().strict_missing if level is SandboxLevel.STRICT else None
    if missing is not None:
        raise SandboxUnavailable(f"the strict sandbox is not available here: {missing}")
    return level


def isolation(level: SandboxLevel) -> Isolation:
    """What ``level`` puts in force here (strict must be available: see ``resolve``)."""
    if level is SandboxLevel.PORTABLE:  # Windows has no process groups to kill as one, nor resource limits
        processes = "process" if sys.platform == "win32" else "process-group"
        return Isolation(level, None, network="open", filesystem="open", processes=processes)
    if level is SandboxLevel.BASIC:
        return Isolation(level, None, network="open", filesystem="open", processes="process-group")
    support = kernel_support()
    return Isolation(
        level,
        support.landlock_abi,
        network="blocked" if support.namespaces else "tcp-blocked",
        filesystem="confined",
        processes="pid-namespace" if support.pid_namespace else "process-group",
    )
