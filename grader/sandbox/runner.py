"""The child side: loads one submission and calls its functions on request, in a process of its own.

``grader.sandbox.child`` starts this module's ``main`` once the process is isolated, or, at the portable level,
``grader.sandbox.portable_child`` its ``serve``. It imports only the standard library, numpy,
``grader.sandbox.wire`` and ``process_setup``, on any platform, and talks to the parent only through two pipes,
one frame of ``wire`` per message; the student's stdout and stderr go to the null device. Messages are a kind
byte and one encoded value:

    child -> parent   READY (nothing: once confined, before any student code runs)
                      or UNCONFINED (why the confinement failed; the process then exits)
    parent -> child   LOAD  (path, preamble, seconds, cells)  CALL   (function, [arguments, ...])
    child -> parent   LOADED (functions, load_errors)  VALUE  result          FAULT  fault

A ``CALL`` asks for one or more calls of a function, answered one ``VALUE`` or ``FAULT`` each, in order. It is
a pickle, as is each call's ``arguments``, ``(args, kwargs, watched)``, unpickled only when its turn comes: what the
grader sends is trusted, and unpickling is quick. Everything the child sends is ``wire``-encoded, the only
format the grader decodes.

``cells`` is None for a Python file, which the child reads itself. For a notebook, it is the code of each code
cell, with the line where the cell starts in the code of all of them joined (the "script"): each cell is compiled
and run on its own, as Jupyter runs it, so that a cell that fails costs only itself; every line reported is a
line of the script, as is every line in a traceback (their file name is ``path``).

``seconds`` is the time the file's top level may take: a statement still running then is stopped, and of the
statements after it only definitions and imports run, so that what the file defines is still graded.
``preamble`` is trusted course code (helpers the course gives students) run in the submission's namespace
before the submission itself. ``load_errors`` are ``(kind, message, line, column, defines)`` and ``fault`` is
``(kind, message, exception_type, line, function)``, mirroring ``grader.sandbox.outcome``.
"""

from __future__ import annotations
import __future__

import _thread
import ast
import contextlib
import errno
import functools
import io
import operator
import os
import pickle
import random
import re
import signal
import site
import sys
import threading
import tokenize
import types
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

import numpy as np
import numpy.random  # imported now rather than within the first call's time limit

from grader.sandbox import wire
from grader.sandbox.process_setup import Setup

KIND_BYTES = 1
"""Every message starts with one byte naming its kind."""
READY = b"R"
UNCONFINED = b"U"
LOAD = b"L"
CALL = b"C"
LOADED = b"L"
VALUE = b"V"
FAULT = b"F"

FAULT_KINDS = ("exception", "memory", "bad_result")
"""The ``FaultKind`` values the child reports; the parent decides every other kind itself."""

MAX_MESSAGE_CHARS = 1000
HIDDEN_PACKAGES = frozenset({"grader", "solutions"})
"""Top-level packages the submission must not import: the grader and the reference solutions."""

LoadErrorTuple = tuple[str, str, int | None, int | None, tuple[str, ...]]
FaultTuple = tuple[str, str, str | None, int | None, str | None]
Unit = ast.stmt | LoadErrorTuple
"""A top-level part of the submission in file order: a statement to run, or why a part cannot run."""


def main(request_fd: int, response_fd: int, setup: Setup, problem: str | None) -> None:
    """Answer requests on the pipes ``request_fd`` and ``response_fd`` (see ``serve``). ``problem`` says why
    confining this process failed, if it did: then tell the parent and exit."""
    if problem is not None:
        wire.send_frame(response_fd, UNCONFINED + wire.encode(problem))
        os._exit(1)
    serve(setup, functools.partial(wire.recv_frame, request_fd), functools.partial(wire.send_frame, response_fd))


def serve(setup: Setup, receive: Callable[[int], bytearray], send: Callable[[bytes], None]) -> None:
    """Say READY, then answer requests, each read by ``receive`` (given the largest size it may have) and each
    response written by ``send``, until the parent closes the request pipe: then exit."""
    session = _Session(setup)
    try:
        send(READY)
        while True:
            request = receive(wire.DEFAULT_MAX_BYTES + KIND_BYTES)
            for response in session.handle(request):
                send(response)
    except wire.ConnectionClosed:
        os._exit(0)


class _HiddenPackages:
    """A meta path finder refusing ``HIDDEN_PACKAGES`` and everything inside them."""

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> None:
        if name.partition(".")[0] in HIDDEN_PACKAGES:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


def hide_packages() -> None:
    """Make the grader and the reference solutions unimportable: forget the grader's modules, drop its source
    tree from ``sys.path`` (and its finder) unless that is a site-packages directory, and refuse the hidden
    names. The fork server does it once, before it forks any submission's process."""
    root = os.path.realpath(os.path.dirname(os.path.dirname(os.path.dirname(wire.__file__))))
    if root not in {os.path.realpath(directory) for directory in site.getsitepackages()}:
        dropped = [entry for entry in sys.path if os.path.realpath(entry or ".") == root]
        sys.path[:] = [entry for entry in sys.path if entry not in dropped]
        for entry in dropped:
            sys.path_importer_cache.pop(entry, None)
    for name in [name for name in sys.modules if name.partition(".")[0] in HIDDEN_PACKAGES]:
        del sys.modules[name]
    sys.meta_path.insert(0, _HiddenPackages)


class _Session:
    """The loaded submission and the requests on it."""

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.max_result_bytes = setup.max_result_bytes
        self.path = ""
        self.namespace: dict[str, Any] = {}

    def handle(self, request: bytearray) -> Iterator[bytes]:
        """The responses to ``request``, each made when asked for."""
        kind, body = bytes(request[:1]), memoryview(request)[1:]
        if kind == LOAD:
            yield self.load(*wire.decode(body))
        elif kind == CALL:
            function, calls = pickle.loads(body)
            for arguments in calls:
                yield self.call(function, *pickle.loads(arguments))
        else:
            raise ValueError(f"unknown request {kind!r}")

    def load(self, path: str, preamble: str, seconds: float, cells: tuple[tuple[int, str], ...] | None) -> bytes:
        """Run ``preamble``, then the submission's top-level statements (of the file at ``path``, or of
        ``cells``) within ``seconds``; answer the callables defined and what failed."""
        module = types.ModuleType("submission")
        module.__file__ = path
        sys.modules["submission"] = module
        self.path, self.namespace = path, module.__dict__
        exec(compile(preamble, "<course helpers>", "exec"), self.namespace)
        clock = _LoadClock(seconds)
        with clock.running():
            if cells is None:
                errors = _run_file(path, self.namespace, clock)
            else:
                errors = _run_cells(cells, path, self.namespace, clock)
        functions = tuple(
            name
            for name, value in self.namespace.items()
            if type(name) is str and not name.startswith("__") and callable(value)
        )
        return LOADED + wire.encode((functions, tuple(errors)))

    def call(
        self, function: str, args: tuple[Any, ...], kwargs: dict[str, Any], watched: tuple[int | str, ...] = ()
    ) -> bytes:
        """Call ``function`` on fresh inputs with numpy and ``random`` seeded; answer its result or fault. With
        ``watched`` (positions in ``args``, names in ``kwargs``), the result is ``(return value, (each watched
        argument after the call, ...))``."""
        target = self.namespace.get(function)
        if not callable(target):
            message = f"NameError: name {function!r} is not defined"
            return FAULT + wire.encode(("exception", message, "NameError", None, None))
        try:
            np.random.seed(0)
            random.seed(0)
            result = target(*args, **kwargs)
        except BaseException as error:
            return FAULT + wire.encode(self.fault(error))
        if watched:
            result = (result, picked(args, kwargs, watched))
        try:
            return VALUE + wire.encode(result, root="result", max_bytes=self.max_result_bytes)
        except wire.EncodeError as error:
            return FAULT + wire.encode(("bad_result", _clip(str(error)), None, None, None))
        except MemoryError:
            message = "MemoryError: ran out of memory while sending the result back"
            return FAULT + wire.encode(("memory", message, "MemoryError", None, None))

    def fault(self, error: BaseException) -> FaultTuple:
        """The fault of the student's code raising ``error``; its message reads ``"Type: message"``, and names
        the limit it hit, if any."""
        kind, exception_type, message = _classify(error)
        line, function = _location(error.__traceback__, self.path)
        if exception_type != "SystemExit":
            message = f"{exception_type}: {message}" if message else exception_type
        suffix = _safe(lambda: _limit_hit(error, self.setup), "")
        return kind, _clip(message, MAX_MESSAGE_CHARS - len(suffix)) + suffix, exception_type, line, function


def picked(args: tuple[Any, ...], kwargs: dict[str, Any], keys: tuple[int | str, ...]) -> tuple[Any, ...]:
    """The arguments of a call that ``keys`` name: positions in ``args``, names in ``kwargs``."""
    return tuple(args[key] if isinstance(key, int) else kwargs[key] for key in keys)


def _classify(error: BaseException) -> tuple[str, str, str]:
    """``(fault kind, exception type, its message)`` of an exception, running the exception's code defensively."""
    if isinstance(error, SystemExit):
        code = "" if error.code is None else _safe(lambda: repr(error.code), "...")
        return "exception", "SystemExit", f"called sys.exit({code})"
    if isinstance(error, MemoryError):
        return "memory", "MemoryError", _safe(lambda: str(error), "")
    return "exception", _safe(lambda: type(error).__name__, "Exception"), _safe(lambda: str(error), "")


def _limit_hit(error: BaseException, setup: Setup) -> str:
    """`` (exceeded the ... limit)`` when ``error`` is how hitting one of ``setup``'s limits shows, else ``""``.

    A full process table shows as ``EAGAIN`` from ``fork`` or a thread that cannot start; it is named only
    where the limit applies.
    """
    mib = 1024**2
    if isinstance(error, MemoryError):
        return f" (over the {setup.memory_bytes / mib:g} MiB memory limit)"
    number = error.errno if isinstance(error, OSError) else None
    if number == errno.EMFILE:
        return f" (exceeded the limit of {setup.open_files} open files)"
    if number == errno.EFBIG:
        return f" (exceeded the {setup.file_size_bytes / mib:g} MiB file size limit)"
    no_thread = isinstance(error, RuntimeError) and str(error) == "can't start new thread"
    if setup.processes_limited and (number == errno.EAGAIN or no_thread):
        return f" (exceeded the limit of {setup.processes} processes)"
    return ""


def _safe(compute: Callable[[], object], fallback: str) -> str:
    """``compute()`` if it gives a str, else ``fallback``: for text that runs the student's code."""
    try:
        text = compute()
    except Exception:
        return fallback
    return text if type(text) is str else fallback


def _location(traceback: TracebackType | None, path: str) -> tuple[int | None, str | None]:
    """Line of the innermost traceback frame in the submission, and its innermost enclosing named function."""
    line = function = None
    while traceback is not None:
        code = traceback.tb_frame.f_code
        if code.co_filename == path:
            line = traceback.tb_lineno
            if code.co_name == "<module>":
                function = None
            elif not code.co_name.startswith("<"):
                function = code.co_name
        traceback = traceback.tb_next
    return line, function


def _clip(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _OutOfTime(BaseException):
    """Raised in the top-level statement running when the time for loading the file is up. Not an
    ``Exception``, so that an ``except Exception`` in the student's code lets it through."""


_QUICK_STATEMENTS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
"""What still runs once the time for loading is up: what defines the functions to grade, quickly."""


class _LoadClock:
    """The time the file's top level has to run, and whether it is up."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._in_submission = False

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """Let the time be up ``seconds`` from now, unless the block has ended: then (an alarm: between
        bytecodes, or when a blocking call is interrupted) ``expired`` turns True and, if the submission's code
        is running (see ``run``), ``_OutOfTime`` is raised in it."""

        def expire(number: int, frame: object) -> None:
            self.expired = True
            if self._in_submission:
                raise _OutOfTime(f"{self.seconds:g} s")

        with _alarm(self.seconds, expire):
            yield

    def run(self, code: types.CodeType, namespace: dict[str, Any]) -> None:
        """``exec(code, namespace)``: the submission's code, which ``_OutOfTime`` stops when the time is up."""
        self._in_submission = True
        try:
            exec(code, namespace)
        finally:
            self._in_submission = False


_Handler = Callable[[int, Any], None]


@contextlib.contextmanager
def _signal_alarm(seconds: float, handler: _Handler) -> Iterator[None]:
    """Have ``handler`` called ``seconds`` from now, unless the block has ended, by ``SIGALRM`` (POSIX)."""
    previous = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _thread_alarm(seconds: float, handler: _Handler) -> Iterator[None]:
    """``_signal_alarm`` where there is no ``SIGALRM`` (Windows): a timer thread simulates ``SIGINT`` in the
    main thread, which runs ``handler`` between bytecodes as for a real signal (a blocking call, unlike with
    ``SIGALRM``, is not interrupted: the grader's own time limit ends it)."""
    previous = signal.signal(signal.SIGINT, handler)
    timer = threading.Timer(seconds, _thread.interrupt_main, (signal.SIGINT,))
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        timer.join()
        signal.signal(signal.SIGINT, previous)  # runs ``handler`` first if the timer fired meanwhile


_alarm = _signal_alarm if hasattr(signal, "setitimer") else _thread_alarm


def _run_file(path: str, namespace: dict[str, Any], clock: _LoadClock) -> list[LoadErrorTuple]:
    """Run each top-level part of the file at ``path`` in ``namespace`` (see ``_run_source``); the errors of the
    parts that fail, and of its bytes that do not decode."""
    try:
        with open(path, "rb") as file:
            raw = file.read()
    except OSError as error:
        return [("OSError", f"cannot read the submission: {error.strerror}", None, None, ())]
    text, errors = _decode_source(raw)
    return errors + _run_source(text, path, namespace, clock)[0]


def _run_cells(
    cells: tuple[tuple[int, str], ...], path: str, namespace: dict[str, Any], clock: _LoadClock
) -> list[LoadErrorTuple]:
    """Run each cell, ``(line where it starts, code)``, in ``namespace`` (see ``_run_source``), compiled with the
    ``__future__`` features the cells before it imported, as Jupyter does; the errors of the parts that fail."""
    errors: list[LoadErrorTuple] = []
    flags = 0
    for first_line, code in cells:
        cell_errors, flags = _run_source("\n" * (first_line - 1) + code, path, namespace, clock, flags)
        errors += cell_errors
    return errors


def _run_source(
    text: str, path: str, namespace: dict[str, Any], clock: _LoadClock, flags: int = 0
) -> tuple[list[LoadErrorTuple], int]:
    """Run each top-level part of ``text`` in ``namespace``, compiled as file ``path`` with the ``__future__``
    ``flags``; the errors of the parts that fail, and the flags with the features ``text`` imports.

    Code that compiles runs as one module, which is quickest; when a statement of it raises, the statements
    after that one run one by one, as they would have. Only code that does not compile, or that comes after the
    time for loading is up, is split up front.
    """
    code = None
    if not clock.expired:
        with contextlib.suppress(*_PARSE_ERRORS):
            code = compile(text, path, "exec", flags, dont_inherit=True)
    if code is None:
        units = _units(text)
        return _run_units(units, path, namespace, clock, flags), flags | _units_flags(units)
    try:
        clock.run(code, namespace)
    except BaseException as error:
        line = _module_line(error.__traceback__, code)
        units = _units(text)
        flags |= _units_flags(units)
        failed = next((index for index, unit in enumerate(units) if isinstance(unit, ast.stmt)
                       and unit.lineno <= (line or 0) <= (unit.end_lineno or unit.lineno)), None)
        if failed is None:  # cannot tell which statement: every part's fate is unknown, report the error alone
            return [_failure(error, None, path)], flags
        statement = units[failed]
        assert isinstance(statement, ast.stmt)
        return ([_failure(error, statement, path)]
                + _run_units(units[failed + 1 :], path, namespace, clock, flags), flags)
    return [], flags | (code.co_flags & _FUTURE_FLAGS)


def _run_units(
    units: list[Unit], path: str, namespace: dict[str, Any], clock: _LoadClock, flags: int = 0
) -> list[LoadErrorTuple]:
    """Run each statement of ``units`` in ``namespace``, compiled with the ``__future__`` flags so far, only
    the quick ones once the ``clock`` has expired; the errors of the parts that fail or cannot run."""
    errors: list[LoadErrorTuple] = []
    for unit in units:
        if isinstance(unit, tuple):
            errors.append(unit)
            continue
        if clock.expired and not isinstance(unit, _QUICK_STATEMENTS):
            defines = tuple(dict.fromkeys(_bound_names(unit)))
            errors.append(("TimeoutError", "not run: the time for loading the file was up", unit.lineno, None,
                           defines))
            continue
        flags |= _future_flags(unit)
        failure = _run_statement(unit, path, namespace, clock, flags)
        if failure is not None:
            errors.append(failure)
    return errors


def _module_line(traceback: TracebackType | None, code: types.CodeType) -> int | None:
    """The line of ``code``, a module's code, that was running when the exception of ``traceback`` left it."""
    while traceback is not None:
        if traceback.tb_frame.f_code is code:
            return traceback.tb_lineno
        traceback = traceback.tb_next
    return None


def _decode_source(raw: bytes) -> tuple[str, list[LoadErrorTuple]]:
    """The text of a source file in its declared encoding (UTF-8 unless a BOM or coding cookie says otherwise).

    Bytes that do not decode are replaced, with a load error naming their line, rather than costing the whole
    file: they are almost always in a comment or a string written by an editor in another encoding.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as error:
        message = f"cannot tell the file's encoding ({error}); read as UTF-8, undecodable bytes replaced"
        return raw.decode("utf-8", "replace"), [("UnicodeDecodeError", message, None, None, ())]
    try:
        return raw.decode(encoding), []
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        message = f"the file is not valid {encoding}: {error.reason}; undecodable bytes were replaced"
        return raw.decode(encoding, "replace"), [("UnicodeDecodeError", message, line, None, ())]


def _run_statement(
    statement: ast.stmt, path: str, namespace: dict[str, Any], clock: _LoadClock, flags: int
) -> LoadErrorTuple | None:
    try:
        code = compile(ast.Module(body=[statement], type_ignores=[]), path, "exec", flags, dont_inherit=True)
    except SyntaxError as error:
        defines = tuple(dict.fromkeys(_bound_names(statement)))
        return ("SyntaxError", _clip(str(error.msg)), error.lineno, error.offset, defines)
    try:
        clock.run(code, namespace)
    except BaseException as error:
        return _failure(error, statement, path)
    return None


def _failure(error: BaseException, statement: ast.stmt | None, path: str) -> LoadErrorTuple:
    """The load error of a top-level ``statement`` that raised ``error``."""
    _, exception_type, message = _classify(error)
    if isinstance(error, _OutOfTime):
        exception_type = "TimeoutError"
        message = f"still running after {error}, the time for loading the file: stopped there"
    line, _ = _location(error.__traceback__, path)
    defines = () if statement is None else tuple(dict.fromkeys(_bound_names(statement)))
    return (exception_type, _clip(message), line or (statement.lineno if statement else None), None, defines)


_FUTURE_FLAGS = functools.reduce(
    operator.or_, (getattr(__future__, name).compiler_flag for name in __future__.all_feature_names))
"""Every ``__future__`` feature's compiler flag: the ones a code object holds in its ``co_flags`` are those
its code imported, or was compiled with."""


def _units_flags(units: list[Unit]) -> int:
    """The ``__future__`` flags of the features ``units`` import."""
    return functools.reduce(operator.or_, (_future_flags(unit) for unit in units if isinstance(unit, ast.stmt)), 0)


def _future_flags(statement: ast.stmt) -> int:
    if not (isinstance(statement, ast.ImportFrom) and statement.module == "__future__"):
        return 0
    flags = 0
    for alias in statement.names:
        feature = getattr(__future__, alias.name, None)
        flags |= getattr(feature, "compiler_flag", 0)
    return flags


def _bound_names(node: ast.AST) -> Iterator[str]:
    """Names ``node`` binds in its scope: definitions, imports and assignment targets outside nested scopes."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield node.name
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        yield from ((alias.asname or alias.name).partition(".")[0] for alias in node.names if alias.name != "*")
    elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
        yield node.id
    elif not isinstance(node, (ast.Lambda, ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.DictComp)):
        for child in ast.iter_child_nodes(node):
            yield from _bound_names(child)


_PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError)


def _units(text: str) -> list[Unit]:
    """The top-level parts of ``text``, a file's or a cell's, in order. When the whole does not parse, each chunk
    (see ``_chunk_starts``) is parsed alone, so that a syntax error costs only the chunk that holds it.

    The text is parsed under a made-up file name, as chunks are (see ``_chunk_units``): a cell's lines are not
    those of its notebook's file."""
    try:
        return list(ast.parse(text, "<submission>").body)
    except _PARSE_ERRORS as whole:
        units = _chunk_units(text)
        if not any(isinstance(unit, tuple) for unit in units):
            units.append(_parse_error(whole, 0, ""))
        return units


def _chunk_units(text: str) -> list[Unit]:
    """Each chunk's statements, with their line numbers in the whole file, or the chunk's ``LoadError``.

    Chunks are parsed under a made-up file name: with the real one, CPython would take a ``SyntaxError``'s
    text from the whole file at the chunk's line number and clip its column to that line."""
    lines = text.split("\n")
    starts = _chunk_starts(lines)
    units: list[Unit] = []
    for begin, end in zip(starts, starts[1:] + [len(lines)], strict=True):
        chunk = "\n".join(lines[begin:end])
        try:
            tree = ast.parse(chunk, "<chunk>")
        except _PARSE_ERRORS as error:
            units.append(_parse_error(error, begin, chunk))
            continue
        units.extend(ast.increment_lineno(tree, begin).body)
    return units


_DEFINITION = re.compile(
    r"^(?:(?:async[ \t]+)?def|class)[ \t]+(\w+)"  # def name / class name
    r"|^(\w+)[ \t]*(?::[^=\n]*)?=(?!=)",  # name = ... / name: type = ...
    re.MULTILINE,
)


def _parse_error(error: Exception, first_line: int, chunk: str) -> LoadErrorTuple:
    """The ``LoadError`` of a chunk starting at 0-based ``first_line`` that does not parse."""
    defines = tuple(dict.fromkeys(name or target for name, target in _DEFINITION.findall(chunk)))
    if isinstance(error, SyntaxError):
        line = None if error.lineno is None else error.lineno + first_line
        return ("SyntaxError", _clip(str(error.msg)), line, error.offset, defines)
    return ("SyntaxError", _clip(f"{type(error).__name__}: {error}"), first_line + 1, None, defines)


_NOT_A_STATEMENT = ("", " ", "\t", "\f", "\r", "#")
_STARTS_DEFINITION = re.compile(r"@|(?:async[ \t]+)?def\b|class\b")
_CONTINUES_BLOCK = re.compile(r"(?:else|elif|except|finally)\b")


def _chunk_starts(lines: list[str]) -> list[int]:
    """0-based lines where a top-level chunk starts: code at column 0 that continues no open bracket, string,
    backslash, decorator or ``else``/``except``-style clause. A ``def``, ``class`` or decorator at column 0
    closes an unbalanced bracket before it, as that is far likelier than a definition inside brackets."""
    starts = [0]
    scanner = LineScanner()
    after_decorator = False
    for number, line in enumerate(lines):
        if line[:1] not in _NOT_A_STATEMENT:
            definition = not scanner.quote and _STARTS_DEFINITION.match(line) is not None
            if definition or not scanner.continues():
                scanner = LineScanner()
                if number and not after_decorator and not _CONTINUES_BLOCK.match(line):
                    starts.append(number)
                after_decorator = line.startswith("@")
        scanner.feed(line)
    return starts


_TOKEN = re.compile(r"\\.?|'''|\"\"\"|['\"#()\[\]{}]")


class LineScanner:
    """Follows brackets, strings and backslash continuations line by line, as far as telling where a statement
    starts needs: here, to split a file into chunks, and in ``grader.notebook``, to find IPython magics."""

    def __init__(self) -> None:
        self.depth = 0
        self.quote = ""
        self.backslash = False

    def continues(self) -> bool:
        """Whether the next line continues the statement of the lines fed so far."""
        return self.depth > 0 or bool(self.quote) or self.backslash

    def feed(self, line: str) -> None:
        comment = False
        for match in _TOKEN.finditer(line):
            token = match.group()
            if self.quote:
                if token.startswith(self.quote):
                    self.quote = ""
            elif token == "#":
                comment = True
                break
            elif token in "([{":
                self.depth += 1
            elif token in ")]}":
                self.depth = max(0, self.depth - 1)
            elif token[0] in "'\"":
                self.quote = token
        continued = not comment and line.rstrip("\r").endswith("\\")
        if len(self.quote) == 1 and not continued:
            self.quote = ""
        self.backslash = continued and not self.quote
