"""Student stubs from reference solutions, and the check that a submission's regions are still unfilled.

A solution marks every part students write with full-line comments, indented like the code between them::

    ### START CODE HERE ###
    ...
    ### END CODE HERE ###

``make_stub`` keeps everything outside the regions byte for byte and replaces the code inside each region by one
``name = None`` line per name the region binds, keeping the instructor's full-line comments. The source is
parsed, never split as text: ``tokenize`` finds the markers and ``ast`` the statements between them.

``python -m grader.stubs`` regenerates the stub of every registered assignment, and the public checks file students
get beside it (``grader.public_checks``); ``--check`` only reports the files that are missing or out of date.
"""

from __future__ import annotations

import ast
import bisect
import functools
import io
import re
import sys
import tokenize
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from grader import public_checks
from grader.assignment import Assignment
from grader.atomic import write_text_atomically
from grader.course import course_root
from grader.reference import AssignmentError

_START = "START"
_END = "END"
_MARKER = re.compile(r"###\s*(START|END) CODE HERE\s*###")

MAX_SOURCE_CHARS = 1_000_000
"""``unfilled_regions`` does not analyse a longer submission (real ones are a few kilobytes)."""

_LAYOUT = frozenset({tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER})
_OPENING, _CLOSING = "([{", ")]}"
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (*_FUNCTIONS, ast.ClassDef, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


class StubError(ValueError):
    """A solution whose markers cannot make a stub: ``line`` is where, ``reason`` what is wrong."""

    def __init__(self, reason: str, line: int, path: Path | None = None) -> None:
        where = f"{path}:{line}" if path else f"line {line}"
        super().__init__(f"{where}: {reason}")
        self.reason = reason
        self.line = line
        self.path = path


@dataclass(frozen=True)
class Region:
    """One START/END CODE HERE region of a solution.

    ``start`` and ``end`` are the markers' lines, ``indent`` the START marker's indentation, ``statements`` the
    statements between the markers, ``block`` every statement of the block they stand in (both empty when the
    region holds no code). ``function`` is the enclosing top-level function, ``None`` outside one.
    """

    function: str | None
    start: int
    end: int
    indent: str
    statements: tuple[ast.stmt, ...]
    block: tuple[ast.stmt, ...]


@dataclass(frozen=True)
class FunctionRegions:
    """A top-level function's regions: ``total`` in the stub, ``unfilled`` (marker line ranges in the
    submission) still holding the stub's code."""

    total: int
    unfilled: tuple[tuple[int, int], ...]

    @property
    def not_implemented(self) -> bool:
        """Whether the function has regions and every one of them is unfilled."""
        return self.total > 0 and len(self.unfilled) == self.total


@dataclass(frozen=True)
class _Marker:
    kind: str
    line: int
    column: int
    indent: str
    in_brackets: bool


@dataclass(frozen=True)
class _Scan:
    """What the tokens of a solution tell: its markers, the lines holding code and the lines of hint comments."""

    markers: tuple[_Marker, ...]
    code_lines: frozenset[int]
    comment_lines: frozenset[int]


def _marker_kind(token: tokenize.TokenInfo) -> str | None:
    """``START`` or ``END`` for a marker comment, ``None`` for any other token."""
    match = _MARKER.match(token.string) if token.type == tokenize.COMMENT else None
    return match.group(1) if match else None


def _is_full_line(token: tokenize.TokenInfo) -> bool:
    return not token.line[: token.start[1]].strip()


def _scan(source: str) -> _Scan:
    markers: list[_Marker] = []
    code_lines: set[int] = set()
    comment_lines: set[int] = set()
    depth = 0
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        kind = _marker_kind(token)
        line, column = token.start
        if kind and not _is_full_line(token):
            raise StubError(f"the {kind} CODE HERE marker must be on a line of its own", line)
        if kind:
            markers.append(_Marker(kind, line, column, token.line[:column], depth > 0))
        elif token.type == tokenize.COMMENT and _is_full_line(token) and depth == 0:
            comment_lines.add(line)
        elif token.type not in _LAYOUT and token.type != tokenize.NEWLINE:
            code_lines.update(range(line, token.end[0] + 1))
            depth += (token.string in _OPENING) - (token.string in _CLOSING)
    return _Scan(tuple(markers), frozenset(code_lines), frozenset(comment_lines))


def _pairs(markers: Iterable[_Marker]) -> Iterator[tuple[_Marker, _Marker]]:
    """START/END pairs in order; raises ``StubError`` on a marker out of sequence."""
    opened: _Marker | None = None
    for marker in markers:
        if marker.kind == _START and opened is not None:
            raise StubError(f"START CODE HERE inside the region opened at line {opened.line}", marker.line)
        if marker.kind == _END and opened is None:
            raise StubError("END CODE HERE without a START CODE HERE before it", marker.line)
        if marker.kind == _END and opened is not None:
            yield opened, marker
        opened = marker if marker.kind == _START else None
    if opened is not None:
        raise StubError("START CODE HERE is never closed by an END CODE HERE", opened.line)


def _first_line(statement: ast.stmt) -> int:
    """The statement's first line, decorators included."""
    decorators: list[ast.expr] = getattr(statement, "decorator_list", [])
    return min([statement.lineno, *(decorator.lineno for decorator in decorators)])


def _child_blocks(statement: ast.stmt) -> Iterator[list[ast.stmt]]:
    for _, value in ast.iter_fields(statement):
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            yield value
        elif isinstance(value, list) and value and isinstance(value[0], (ast.excepthandler, ast.match_case)):
            yield from (clause.body for clause in value)


class _Statements:
    """Every statement of a module, with the statement owning it and the block (statement list) holding it."""

    def __init__(self, tree: ast.Module) -> None:
        self.all: list[ast.stmt] = []
        self._owner: dict[int, ast.stmt | None] = {}
        self._block: dict[int, list[ast.stmt]] = {}
        self._add(tree.body, None)

    def _add(self, block: list[ast.stmt], owner: ast.stmt | None) -> None:
        for statement in block:
            self.all.append(statement)
            self._owner[id(statement)] = owner
            self._block[id(statement)] = block
            for child in _child_blocks(statement):
                self._add(child, statement)

    def owner(self, statement: ast.stmt) -> ast.stmt | None:
        return self._owner[id(statement)]

    def block(self, statement: ast.stmt) -> list[ast.stmt]:
        return self._block[id(statement)]

    def straddling(self, marker: _Marker) -> ast.stmt | None:
        """The innermost statement the marker splits: one whose lines it falls inside while standing in its
        brackets or no deeper than the statement itself."""
        split = [
            statement
            for statement in self.all
            if _first_line(statement) < marker.line <= (statement.end_lineno or 0)
            and (marker.in_brackets or statement.col_offset >= marker.column)
        ]
        return max(split, key=_first_line, default=None)


def _parse(source: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError as error:
        raise StubError(f"the solution does not parse: {error.msg}", error.lineno or 1) from None


def _enclosing_function(tree: ast.Module, line: int, column: int) -> str | None:
    """The top-level function a marker stands in: the last module statement before it, if that is a function
    whose lines hold the marker or whose body the marker is indented into."""
    before = [statement for statement in tree.body if _first_line(statement) < line]
    last = before[-1] if before else None
    if isinstance(last, _FUNCTIONS) and (line <= (last.end_lineno or 0) or column > 0):
        return last.name
    return None


def _check_markers(start: _Marker, end: _Marker, statements: _Statements) -> None:
    if end.indent != start.indent:
        raise StubError(f"END CODE HERE is not indented like the START CODE HERE at line {start.line}", end.line)
    for marker in (start, end):
        split = statements.straddling(marker)
        if split:
            lines = f"{_first_line(split)}-{split.end_lineno}"
            reason = f"the statement at lines {lines} straddles the {marker.kind} CODE HERE marker"
            raise StubError(reason, marker.line)


def _check_block(start: _Marker, end: _Marker, top: list[ast.stmt], statements: _Statements, scan: _Scan) -> None:
    if len({id(statements.block(statement)) for statement in top}) > 1:
        raise StubError(f"the region ending at line {end.line} spans several blocks", start.line)
    if top and top[0].col_offset != start.column:
        reason = f"the code is not indented like the START CODE HERE marker at line {start.line}"
        raise StubError(reason, top[0].lineno)
    span = range(_first_line(top[0]), (top[-1].end_lineno or 0) + 1) if top else range(0)
    stray = sorted(line for line in scan.code_lines if start.line < line < end.line and line not in span)
    if stray:
        raise StubError(
            f"code of another block between the START CODE HERE at line {start.line} "
            f"and the END CODE HERE at line {end.line}",
            stray[0],
        )


def _region(start: _Marker, end: _Marker, tree: ast.Module, statements: _Statements, scan: _Scan) -> Region:
    _check_markers(start, end, statements)
    inside = [statement for statement in statements.all if start.line < _first_line(statement) < end.line]
    inside_ids = {id(statement) for statement in inside}
    top = [statement for statement in inside if id(statements.owner(statement)) not in inside_ids]
    _check_block(start, end, top, statements, scan)
    block = tuple(statements.block(top[0])) if top else ()
    function = _enclosing_function(tree, start.line, start.column)
    return Region(function, start.line, end.line, start.indent, tuple(top), block)


def _analyse(source: str) -> tuple[list[Region], _Scan]:
    tree = _parse(source)
    scan = _scan(source)
    statements = _Statements(tree)
    return [_region(start, end, tree, statements, scan) for start, end in _pairs(scan.markers)], scan


def find_regions(source: str) -> list[Region]:
    """Every START/END CODE HERE region of a solution, in order.

    Raises ``StubError`` (with the line) when the source does not parse or a marker is malformed: not on a line
    of its own, out of sequence (END without START, nested START, unclosed region), splitting a statement, or
    the two markers of a region in different blocks or at different indentation.

    >>> source = "def f(x):\\n    ### START CODE HERE ###\\n    y = x\\n    ### END CODE HERE ###\\n"
    >>> [(region.function, region.start, region.end) for region in find_regions(source + "    return y\\n")]
    [('f', 2, 4)]
    """
    return _analyse(source)[0]


def _bindings(node: ast.AST) -> Iterator[tuple[int, int, str]]:
    """``(line, column, name)`` of every name the node binds in its own scope.

    An augmented assignment's target counts for nothing: it must be bound already, and the stub keeps it so.
    """
    if isinstance(node, ast.AugAssign):
        yield from _bindings(node.value)
        return
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
        yield node.lineno, node.col_offset, node.id
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            if alias.name != "*":
                yield alias.lineno, alias.col_offset, alias.asname or alias.name.partition(".")[0]
    if isinstance(node, (*_FUNCTIONS, ast.ClassDef)):
        yield node.lineno, node.col_offset, node.name
    if not isinstance(node, _SCOPES):
        for child in ast.iter_child_nodes(node):
            yield from _bindings(child)


def bound_names(statements: Iterable[ast.stmt]) -> list[tuple[int, str]]:
    """``(line, name)`` of each name the statements bind, in order of first binding, each name once.

    Names bound only inside nested functions, classes, lambdas and comprehensions do not count; neither do
    subscript and attribute targets, which bind nothing.

    >>> bound_names(ast.parse("a, b[0] = f()\\nfor t in range(3):\\n    a += t").body)
    [(1, 'a'), (2, 't')]
    """
    first: dict[str, int] = {}
    for line, _, name in sorted(binding for statement in statements for binding in _bindings(statement)):
        first.setdefault(name, line)
    return [(line, name) for name, line in first.items()]


def _line_ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :] or "\n"


def _needs_pass(regions: Sequence[Region], placeholders: dict[int, list[tuple[int, str]]]) -> set[int]:
    """START lines of the regions that must hold ``pass``: the first of each block whose statements would all
    be removed."""
    by_block: dict[tuple[ast.stmt, ...], list[Region]] = {}
    for region in regions:
        if region.statements:
            by_block.setdefault(region.block, []).append(region)
    return {
        group[0].start
        for block, group in by_block.items()
        if sum(len(region.statements) for region in group) == len(block)
        and not any(placeholders[region.start] for region in group)
    }


def _stub_lines(
    region: Region, lines: list[str], hint_lines: frozenset[int], names: list[tuple[int, str]], with_pass: bool
) -> list[str]:
    """What replaces the region's inside: placeholders and hint comments in line order, then ``pass`` if
    needed."""
    eol = _line_ending(lines[region.start - 1])
    placeholders = [(line, f"{region.indent}{name} = None{eol}") for line, name in names]
    hints = [(line, lines[line - 1]) for line in range(region.start + 1, region.end) if line in hint_lines]
    body = [text for _, text in sorted(placeholders + hints, key=lambda item: item[0])]
    return body + ([f"{region.indent}pass{eol}"] if with_pass else [])


def make_stub(solution_source: str) -> str:
    """The student stub of a solution: each region's code becomes one ``name = None`` per name it binds.

    The markers, the full-line comments inside regions and everything outside regions are kept byte for byte;
    ``pass`` is added only where a block would otherwise be empty. Raises ``StubError`` like ``find_regions``.

    >>> print(make_stub(
    ...     "def f(x):\\n"
    ...     "    ### START CODE HERE ###\\n"
    ...     "    # double it\\n"
    ...     "    y = 2 * x\\n"
    ...     "    ### END CODE HERE ###\\n"
    ...     "    return y\\n"
    ... ), end="")
    def f(x):
        ### START CODE HERE ###
        # double it
        y = None
        ### END CODE HERE ###
        return y
    """
    regions, scan = _analyse(solution_source)
    lines = io.StringIO(solution_source).readlines()
    placeholders = {region.start: bound_names(region.statements) for region in regions}
    with_pass = _needs_pass(regions, placeholders)
    out: list[str] = []
    kept_from = 0
    for region in regions:
        out += lines[kept_from : region.start]
        names = placeholders[region.start]
        out += _stub_lines(region, lines, scan.comment_lines, names, region.start in with_pass)
        kept_from = region.end - 1
    return "".join(out + lines[kept_from:])


# --- Unfilled regions of a submission: tolerant, token-based, never raising -----------------------------------


@dataclass(frozen=True)
class _FoundRegion:
    start: int
    end: int
    code: tuple[tuple[int, str], ...]
    """The code tokens between the markers, without comments, blank lines or whitespace."""


def _tolerant_tokens(source: str) -> list[tokenize.TokenInfo]:
    """The source's tokens up to the first one ``tokenize`` cannot read."""
    tokens: list[tokenize.TokenInfo] = []
    try:
        tokens.extend(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass
    return tokens


def _top_level_lines(tokens: Sequence[tokenize.TokenInfo]) -> list[tuple[int, str | None]]:
    """``(line, name)`` of each logical line starting at column 0: ``name`` is the function a ``def`` line
    defines, ``None`` for any other top-level statement."""
    found: list[tuple[int, str | None]] = []
    line_start = True
    for index, token in enumerate(tokens):
        if token.type == tokenize.NEWLINE:
            line_start = True
        elif token.type not in _LAYOUT and line_start:
            line_start = False
            if token.start[1] == 0:
                found.append((token.start[0], _def_name(tokens[index : index + 3])))
    return found


def _def_name(tokens: Sequence[tokenize.TokenInfo]) -> str | None:
    words = [token.string if token.type == tokenize.NAME else "" for token in tokens]
    if words[:1] == ["async"]:
        words = words[1:]
    return words[1] if len(words) > 1 and words[0] == "def" and words[1] else None


def _code(tokens: Iterable[tokenize.TokenInfo]) -> tuple[tuple[int, str], ...]:
    return tuple(
        (token.type, "" if token.type == tokenize.NEWLINE else token.string)
        for token in tokens
        if token.type not in _LAYOUT
    )


def _tolerant_regions(tokens: Sequence[tokenize.TokenInfo]) -> Iterator[_FoundRegion]:
    """Each START marker followed by an END marker with no other marker between them."""
    opened: int | None = None
    for index, token in enumerate(tokens):
        kind = _marker_kind(token) if token.type == tokenize.COMMENT and _is_full_line(token) else None
        if kind == _END and opened is not None:
            yield _FoundRegion(tokens[opened].start[0], token.start[0], _code(tokens[opened + 1 : index]))
        if kind:
            opened = index if kind == _START else None


def _regions_by_function(source: str) -> dict[str, list[_FoundRegion]]:
    """The regions of each top-level function (its last definition) that a tolerant scan of the source finds.

    A region counts when it lies inside one function's lines: after its ``def`` line and before the next
    top-level statement.
    """
    if len(source) > MAX_SOURCE_CHARS:
        return {}
    tokens = _tolerant_tokens(source)
    top_level = _top_level_lines(tokens)
    starts = [line for line, _ in top_level]
    per_line: dict[int, list[_FoundRegion]] = {line: [] for line, name in top_level if name}
    for region in _tolerant_regions(tokens):
        owner = bisect.bisect_left(starts, region.start) - 1
        inside = owner >= 0 and bisect.bisect_left(starts, region.end) - 1 == owner
        if inside and starts[owner] in per_line:
            per_line[starts[owner]].append(region)
    return {name: per_line[line] for line, name in top_level if name}


def may_have_unfilled_regions(submission_source: str, stub_source: str) -> bool:
    """False only if ``unfilled_regions`` would find no unfilled region: the code of no stub region appears in
    the submission, comments, line continuations and white space aside. A few string operations, no tokenizing:
    the common case, a filled submission, costs almost nothing.

    >>> stub = "def f(x):\\n    ### START CODE HERE ###\\n    y = None\\n    ### END CODE HERE ###\\n    return y"
    >>> may_have_unfilled_regions(stub.replace("y = None", "y=None  # TODO"), stub)
    True
    >>> may_have_unfilled_regions(stub.replace("y = None", "y = 2 * x"), stub)
    False
    """
    flat = _flatten(submission_source)
    return any(region in flat for region in _stub_region_texts(stub_source))


def _flatten(text: str) -> str:
    """``text`` without line continuations, comments (from a ``#`` to the end of its line, even one inside a
    string, as long as both sides are cut alike) and white space: equal token sequences flatten alike."""
    code = "".join(line.partition("#")[0] for line in text.replace("\\\n", "").split("\n"))
    return "".join(code.split())


@functools.lru_cache(maxsize=16)
def _stub_region_texts(stub_source: str) -> tuple[str, ...]:
    """The flattened code of each region of a stub, between its marker lines."""
    lines = stub_source.splitlines(keepends=True)
    return tuple(
        _flatten("".join(lines[region.start : region.end - 1]))
        for regions in _stub_regions(stub_source).values()
        for region in regions
    )


@functools.lru_cache(maxsize=16)
def _stub_regions(stub_source: str) -> dict[str, list[_FoundRegion]]:
    """``_regions_by_function`` of a stub, kept: every submission is checked against the same few stubs."""
    return _regions_by_function(stub_source)


def _unfilled(submitted: Sequence[_FoundRegion], reference: Sequence[_FoundRegion]) -> tuple[tuple[int, int], ...]:
    """Submitted regions whose code equals the next still unmatched reference region holding the same code."""
    ranges: list[tuple[int, int]] = []
    position = 0
    for region in submitted:
        match = next((i for i in range(position, len(reference)) if reference[i].code == region.code), None)
        if match is not None:
            ranges.append((region.start, region.end))
            position = match + 1
    return tuple(ranges)


def unfilled_regions(submission_source: str, stub_source: str) -> dict[str, FunctionRegions]:
    """For each top-level function in both sources, its regions in the stub and those still unfilled.

    A submitted region is unfilled when its code is the stub's code of a region of the same function, matched
    in order; comments, blank lines and whitespace are ignored. Only text is read: nothing is executed or even
    parsed as a whole, so a syntax error elsewhere does not hide the regions. Never raises: the scan stops at
    the first token that cannot be read, a region whose markers were deleted or moved out of its function is
    not found (so not reported unfilled), and a source longer than ``MAX_SOURCE_CHARS`` yields ``{}``.

    >>> stub = "def f(x):\\n    ### START CODE HERE ###\\n    y = None\\n    ### END CODE HERE ###\\n    return y"
    >>> unfilled_regions(stub.replace("y = None", "y=None  # TODO"), stub)
    {'f': FunctionRegions(total=1, unfilled=((2, 4),))}
    >>> unfilled_regions(stub.replace("y = None", "y = 2 * x"), stub)["f"].not_implemented
    False
    """
    stub = _stub_regions(stub_source)
    submission = _regions_by_function(submission_source)
    return {
        name: FunctionRegions(len(regions), _unfilled(submission[name], regions))
        for name, regions in stub.items()
        if name in submission
    }


# --- Writing the stubs of the registered assignments ---------------------------------------------------------


def registered_assignments() -> list[Assignment]:
    """Every registered assignment, by name."""
    # Imported here: grading a submission uses this module's region analysis, and a student's self-check has
    # the public checks of its assignment but no registered suite.
    from grader.registry import assignment_names, load_assignment

    return [load_assignment(name) for name in assignment_names()]


def expected_stub(assignment: Assignment) -> str:
    """The stub the assignment's solution generates; ``StubError`` names the solution file."""
    try:
        return make_stub(assignment.solution.read_bytes().decode("utf-8"))
    except StubError as error:
        raise StubError(error.reason, error.line, assignment.solution) from None


def _is_current(assignment: Assignment, expected: str) -> bool:
    return assignment.stub.is_file() and assignment.stub.read_bytes() == expected.encode("utf-8")


def outdated_stubs(assignments: Iterable[Assignment] | None = None) -> list[Path]:
    """The stubs (of the registered assignments by default) that are missing or differ from their solution's."""
    chosen = registered_assignments() if assignments is None else assignments
    return [assignment.stub for assignment in chosen if not _is_current(assignment, expected_stub(assignment))]


def write_stubs(assignments: Iterable[Assignment] | None = None) -> list[Path]:
    """Regenerate the stubs (of the registered assignments by default) that are missing or out of date;
    returns the paths written. Every solution is turned into its stub before any file is written."""
    chosen = registered_assignments() if assignments is None else assignments
    expected = [(assignment, expected_stub(assignment)) for assignment in chosen]
    stale = [(assignment.stub, text) for assignment, text in expected if not _is_current(assignment, text)]
    for path, text in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(path, text)
    return [path for path, _ in stale]


def _public_checks_current(assignment: Assignment, fresh: public_checks.PublicChecks) -> bool:
    """Whether the assignment's public checks file holds ``fresh``'s checks (values within tolerance)."""
    try:
        stored = public_checks.load(public_checks.path_for(assignment))
    except public_checks.PublicChecksError:
        return False
    return not public_checks.differences(stored, fresh)


def outdated_public_checks(assignments: Iterable[Assignment] | None = None) -> list[Path]:
    """The public checks files (of the registered assignments by default) that are missing, unreadable or whose
    checks differ from those of their assignment now; those of a missing stub, which they hold, too."""
    chosen = registered_assignments() if assignments is None else assignments
    return [public_checks.path_for(assignment) for assignment in chosen
            if not assignment.stub.is_file() or not _public_checks_current(assignment, public_checks.of(assignment))]


def write_public_checks(assignments: Iterable[Assignment] | None = None) -> list[Path]:
    """Write the public checks files (of the registered assignments by default) that ``outdated_public_checks``
    lists; returns the paths written. Every assignment's checks are prepared before any file is written."""
    chosen = registered_assignments() if assignments is None else assignments
    fresh = [(assignment, public_checks.of(assignment)) for assignment in chosen]
    stale = [(public_checks.path_for(assignment), checks) for assignment, checks in fresh
             if not _public_checks_current(assignment, checks)]
    for path, checks in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(path, public_checks.dumps(checks))
    return [path for path, _ in stale]


def _problem(path: Path) -> str:
    return "out of date" if path.exists() else "missing"


def _shown(path: Path) -> str:
    root = course_root()
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 listing the stubs and public checks files missing or out of date.")
def main(check: bool) -> None:
    """Regenerate the student stub of every registered assignment from its solution, and its public checks."""
    try:
        paths = outdated_stubs() + outdated_public_checks() if check else write_stubs() + write_public_checks()
    except (StubError, AssignmentError, OSError) as error:
        raise click.ClickException(str(error)) from None
    for path in paths:
        click.echo(f"{_problem(path) if check else 'wrote'}: {_shown(path)}")
    if not paths:
        click.echo("all stubs and public checks are up to date")
    if check and paths:
        sys.exit(1)


if __name__ == "__main__":
    main(prog_name="python -m grader.stubs")
