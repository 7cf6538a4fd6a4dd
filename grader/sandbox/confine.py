"""Confinement of the process that runs a submission, with the kernel's unprivileged features (Linux).

The process that runs a submission imports this module first, before numpy, so it uses only the standard
library and ctypes; importing it works on any platform (the grader imports it everywhere), confining only on
Linux. The probes (``landlock_abi``, ``probe_namespaces``, ``seccomp_supported``) leave the caller as it was;
everything else confines the calling process for good:

- ``isolate``: what ``Setup`` asks for before the runner starts: namespaces,
  resource limits, the PID namespace (or else become the subreaper of orphaned descendants);
- ``enter_namespaces``: a user namespace mapping the caller's uid and gid to themselves, a network namespace
  (no interface but a down loopback: no TCP, UDP or abstract Unix socket reaches out) and, optionally, a PID
  namespace for the caller's children;
- ``restrict``: ``PR_SET_NO_NEW_PRIVS``; a seccomp filter refusing Unix sockets (a socket file outside the
  sandbox is reachable whatever the network namespace, and Landlock does not cover ``connect``), changes of
  file metadata (Landlock does not cover ``chmod``, ``utime``, xattrs) and io_uring; then a Landlock domain:
  read-only access to what Python needs, read-only access to the given files, full access to a scratch
  directory and nothing else; TCP bind and connect refused (ABI 4+); no signals to, nor abstract sockets of,
  processes outside the domain (ABI 6+);
- ``enter_namespaces`` is also how the fork server (``grader.sandbox.zygote``) puts itself, and so every
  submission it forks, in user, network and PID namespaces of its own, where it is the init.
"""

from __future__ import annotations

import ctypes
import functools
import os
import signal
import site
import stat
import struct
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from grader.sandbox.process_setup import Setup, limit_resources

_SYS_LANDLOCK_CREATE_RULESET = 444
_SYS_LANDLOCK_ADD_RULE = 445
_SYS_LANDLOCK_RESTRICT_SELF = 446
"""The same on every architecture (the generic syscall table)."""
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1

_FS_EXECUTE = 1 << 0
_FS_WRITE_FILE = 1 << 1
_FS_READ_FILE = 1 << 2
_FS_READ_DIR = 1 << 3
_FS_MAKE_CHAR = 1 << 6
_FS_MAKE_BLOCK = 1 << 11
_FS_ABI_1 = (1 << 13) - 1
"""Execute, write, read, read dir, remove dir and file, make char, dir, regular, socket, fifo, block, symlink."""
_FS_REFER = 1 << 13
_FS_TRUNCATE = 1 << 14
_FS_IOCTL_DEV = 1 << 15
_FS_FILE_ONLY = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV
"""The rights a rule on a file, rather than a directory, may grant."""
_FS_READ_ONLY = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
_NET_TCP = 0b11
"""Bind and connect TCP (ABI 4)."""
_SCOPE_ALL = 0b11
"""Abstract Unix sockets and signals (ABI 6)."""

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWNET = 0x40000000
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_PR_GET_SECCOMP = 21
_PR_SET_SECCOMP = 22
_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_MODE_FILTER = 2

MIN_LANDLOCK_ABI = 3
"""The first ABI that also controls truncation: before it, any file the user owns can be truncated."""
TCP_LANDLOCK_ABI = 4
SCOPE_LANDLOCK_ABI = 6

SYSTEM_PATHS = ("/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/share/zoneinfo", "/etc/ld.so.cache")
"""Readable beside Python's own directories: shared libraries, time zones, the dynamic linker's cache."""
DEVICES = {"/dev/null": _FS_READ_FILE | _FS_WRITE_FILE | _FS_TRUNCATE, "/dev/zero": _FS_READ_FILE,
           "/dev/urandom": _FS_READ_FILE}


@functools.cache
def _libc() -> ctypes.CDLL:
    """The C library, loaded at first use: importing this module must work everywhere (Windows has no
    ``CDLL(None)``), although confining works only on Linux."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def isolate(setup: Setup) -> None:
    """Everything ``setup`` asks for before the runner starts, in this order: the namespaces (the process limit
    must count in the new user namespace), the resource limits, and, outside a PID namespace, becoming the
    subreaper of orphaned descendants. ``restrict`` comes last (``grader.sandbox.child``)."""
    if setup.enter_namespaces:
        enter_namespaces(pid_namespace=False)
    limit_resources(setup)
    if not setup.pid_namespace:
        become_subreaper()


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _call(function: str, *arguments: object) -> int:
    """``libc.function(*arguments)``, raising ``OSError`` when it fails."""
    result: int = getattr(_libc(), function)(*arguments)
    if result < 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{function}: {os.strerror(number)}")
    return result


def _syscall(number: int, *arguments: int | ctypes.c_void_p | None) -> int:
    """The raw system call ``number``, its integer arguments passed as C longs."""
    return _call("syscall", ctypes.c_long(number), *(
        ctypes.c_long(argument) if isinstance(argument, int) else argument for argument in arguments))


def landlock_abi() -> int | None:
    """The Landlock ABI version the kernel offers, or None when Landlock is missing or disabled."""
    try:
        return _syscall(_SYS_LANDLOCK_CREATE_RULESET, None, 0, _LANDLOCK_CREATE_RULESET_VERSION)
    except OSError:
        return None


@dataclass(frozen=True)
class _Syscalls:
    """What the seccomp filter needs to know of one architecture."""

    audit_arch: int
    sockets: tuple[int, ...]
    """``socket`` and ``socketpair``: refused for ``AF_UNIX``."""
    refused: tuple[int, ...]
    """Refused outright: changes of metadata (mode, owner, times, extended attributes), which Landlock does not
    control; ``io_uring_setup``, whose requests would bypass the filter; and changes of scheduling priority,
    policy or CPU affinity, which the user may make to any of its processes, the fork server included, whose
    next submissions would inherit them."""
    x32: bool
    """Whether the x32 ABI shares the architecture and must be refused by the syscall number's bit 30."""


_SECCOMP_ARCHES = {
    "x86_64": _Syscalls(
        0xC000003E, sockets=(41, 53), x32=True,
        # chmod fchmod chown fchown lchown utime setxattr lsetxattr fsetxattr removexattr lremovexattr
        # fremovexattr utimes fchownat futimesat fchmodat utimensat io_uring_setup fchmodat2 setxattrat
        # removexattrat; setpriority sched_setparam sched_setscheduler sched_setaffinity ioprio_set
        # sched_setattr
        refused=(90, 91, 92, 93, 94, 132, 188, 189, 190, 197, 198, 199, 235, 260, 261, 268, 280, 425, 452, 463,
                 466, 141, 142, 144, 203, 251, 314),
    ),
    "aarch64": _Syscalls(
        0xC00000B7, sockets=(198, 199), x32=False,
        # setxattr lsetxattr fsetxattr removexattr lremovexattr fremovexattr fchmod fchmodat fchownat fchown
        # utimensat io_uring_setup fchmodat2 setxattrat removexattrat; setpriority sched_setparam
        # sched_setscheduler sched_setaffinity ioprio_set sched_setattr
        refused=(5, 6, 7, 14, 15, 16, 52, 53, 54, 55, 88, 425, 452, 463, 466, 140, 118, 119, 122, 30, 274),
    ),
}


def seccomp_supported() -> bool:
    """Whether ``restrict`` can install its seccomp filter: a known architecture and seccomp in the kernel."""
    try:
        _call("prctl", _PR_GET_SECCOMP, 0, 0, 0, 0)
    except OSError:
        return False
    return os.uname().machine in _SECCOMP_ARCHES


def probe_namespaces() -> tuple[bool, bool]:
    """``(user and network namespaces work, a PID namespace works too)``, tried in a short-lived fork."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            enter_namespaces(pid_namespace=True)
            code = 1
            child = os.fork()
            if child == 0:
                os._exit(0)
            code = 3 if os.waitpid(child, 0)[1] == 0 else 1
        finally:
            os._exit(code)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    return code in (1, 3), code == 3


def enter_namespaces(pid_namespace: bool) -> None:
    """Enter new user and network namespaces, and a PID namespace for the children to come if asked; map the
    caller's uid and gid to themselves. Must run single-threaded."""
    uid, gid = os.getuid(), os.getgid()
    _call("unshare", _CLONE_NEWUSER | _CLONE_NEWNET | (_CLONE_NEWPID if pid_namespace else 0))
    for name, text in (("uid_map", f"{uid} {uid} 1"), ("setgroups", "deny"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as file:
            file.write(text)


def restrict(abi: int, scratch: str, readable_files: Sequence[str]) -> None:
    """Forbid gaining privileges, install the seccomp filter (Unix sockets, metadata changes, io_uring), and
    enter a Landlock domain that allows only what the module docstring lists; ``readable_files`` can be read
    too."""
    _call("prctl", _PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    _install_seccomp_filter()
    handled = _handled_fs(abi)
    rules = [(path, _FS_READ_ONLY) for path in readable_paths()]
    rules += [(path, _FS_READ_FILE) for path in readable_files]
    rules += [(path, rights) for path, rights in DEVICES.items()]
    rules.append((scratch, handled & ~(_FS_MAKE_CHAR | _FS_MAKE_BLOCK)))
    attr = _RulesetAttr(handled, _NET_TCP if abi >= TCP_LANDLOCK_ABI else 0,
                        _SCOPE_ALL if abi >= SCOPE_LANDLOCK_ABI else 0)
    size = 8 if abi < TCP_LANDLOCK_ABI else 16 if abi < SCOPE_LANDLOCK_ABI else 24
    ruleset = _syscall(_SYS_LANDLOCK_CREATE_RULESET, ctypes.cast(ctypes.byref(attr), ctypes.c_void_p), size, 0)
    try:
        for path, rights in rules:
            _add_rule(ruleset, path, rights & handled)
        _syscall(_SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0)
    finally:
        os.close(ruleset)


def _handled_fs(abi: int) -> int:
    """Every filesystem right the ABI knows."""
    handled = _FS_ABI_1
    for version, right in ((2, _FS_REFER), (3, _FS_TRUNCATE), (5, _FS_IOCTL_DEV)):
        if abi >= version:
            handled |= right
    return handled


def _add_rule(ruleset: int, path: str, rights: int) -> None:
    """Allow ``rights`` beneath ``path`` (only the file rights when it is not a directory); skip a missing path."""
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            rights &= _FS_FILE_ONLY
        attr = _PathBeneathAttr(rights, fd)
        _syscall(_SYS_LANDLOCK_ADD_RULE, ruleset, _LANDLOCK_RULE_PATH_BENEATH,
                 ctypes.cast(ctypes.byref(attr), ctypes.c_void_p), 0)
    finally:
        os.close(fd)


@functools.cache
def readable_paths() -> tuple[str, ...]:
    """What Python needs to read: its prefixes, its ``sys.path`` and the system's libraries, except the
    grader's own files (the source tree it runs from, or its package and metadata in site-packages). Computed
    once per process: the fork server computes it for every process it forks."""
    hidden = _grader_paths()
    candidates = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *sys.path, *SYSTEM_PATHS]
    found: dict[str, None] = {}
    for candidate in candidates:
        if candidate and os.path.exists(candidate):
            found.update(dict.fromkeys(_outside(os.path.realpath(candidate), hidden)))
    return tuple(found)


def _grader_paths() -> list[str]:
    """The grader's own files: each directory holding a ``grader`` package on ``sys.path`` or this one (a
    checkout, an editable install's source tree), or, in a site-packages directory, just the package and its
    distribution metadata."""
    sites = {os.path.realpath(directory) for directory in site.getsitepackages()}
    own = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
    hidden = []
    for root in dict.fromkeys([own, *(os.path.realpath(entry) for entry in sys.path if entry)]):
        if not os.path.isfile(os.path.join(root, "grader", "__init__.py")):
            continue
        if root not in sites:
            hidden.append(root)
            continue
        hidden.append(os.path.join(root, "grader"))
        hidden += [os.path.join(root, name) for name in os.listdir(root)
                   if name.startswith("numpy_grader-") and name.endswith(".dist-info")]
    return hidden


def _outside(path: str, hidden: Sequence[str]) -> Iterator[str]:
    """``path`` if no hidden path lies within it, else its entries recursively, without the hidden ones."""
    if path in hidden:
        return
    if not any(entry.startswith(path.rstrip("/") + "/") for entry in hidden):
        yield path
        return
    for entry in os.scandir(path):
        yield from _outside(os.path.realpath(entry.path), hidden)


_BPF_LOAD = 0x20
"""``BPF_LD | BPF_W | BPF_ABS``: load a 32-bit word of ``struct seccomp_data``."""
_BPF_JUMP_EQUAL = 0x15
_BPF_JUMP_SET = 0x45
_BPF_RETURN = 0x06
_SECCOMP_ALLOW = 0x7FFF0000
_SECCOMP_EACCES = 0x00050000 | 13
_X32_BIT = 0x40000000
_AF_UNIX = 1


def _install_seccomp_filter() -> None:
    """Refuse with EACCES: ``socket`` and ``socketpair`` for ``AF_UNIX``, the ``refused`` syscalls of
    ``_Syscalls``, and every syscall of another ABI (x32, 32-bit compatibility)."""
    syscalls = _SECCOMP_ARCHES[os.uname().machine]
    # Instructions (code, jump target if true, if false, operand) and the labels jumps name; "" is the next
    # instruction. BPF only jumps forward.
    program: list[str | tuple[int, str, str, int]] = [
        (_BPF_LOAD, "", "", 4),  # seccomp_data.arch
        (_BPF_JUMP_EQUAL, "", "deny", syscalls.audit_arch),
        (_BPF_LOAD, "", "", 0),  # seccomp_data.nr
        *([(_BPF_JUMP_SET, "deny", "", _X32_BIT)] if syscalls.x32 else []),
        *((_BPF_JUMP_EQUAL, "family", "", number) for number in syscalls.sockets),
        *((_BPF_JUMP_EQUAL, "deny", "", number) for number in syscalls.refused),
        (_BPF_RETURN, "", "", _SECCOMP_ALLOW),
        "family",
        (_BPF_LOAD, "", "", 16),  # the low half of seccomp_data.args[0], the address family
        (_BPF_JUMP_EQUAL, "deny", "", _AF_UNIX),
        (_BPF_RETURN, "", "", _SECCOMP_ALLOW),
        "deny",
        (_BPF_RETURN, "", "", _SECCOMP_EACCES),
    ]
    labels: dict[str, int] = {}
    instructions: list[tuple[int, str, str, int]] = []
    for item in program:
        if isinstance(item, str):
            labels[item] = len(instructions)
        else:
            instructions.append(item)

    def offset(index: int, target: str) -> int:
        return labels[target] - index - 1 if target else 0

    code = b"".join(struct.pack("=HBBI", op, offset(index, true), offset(index, false), k)
                    for index, (op, true, false, k) in enumerate(instructions))
    compiled = ctypes.create_string_buffer(code, len(code))
    fprog = struct.pack("@HP", len(instructions), ctypes.addressof(compiled))
    buffer = ctypes.create_string_buffer(fprog, len(fprog))
    _call("prctl", _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.c_void_p(ctypes.addressof(buffer)), 0, 0)


def become_subreaper() -> None:
    """Adopt the caller's orphaned descendants, rather than the system's init."""
    _call("prctl", _PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def die_with_parent(parent: int | None) -> None:
    """Have the kernel SIGKILL the caller when its parent ends; exit at once if the parent is no longer
    ``parent`` (it ended before this could be arranged), when given."""
    _call("prctl", _PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def end_as(status: int) -> None:
    """Exit with the exit code, or die of the signal, that wait status ``status`` reports."""
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        if -code not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code & 0xFF)
