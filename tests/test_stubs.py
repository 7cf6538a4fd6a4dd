"""Tests of ``grader.stubs``: regions, stub generation, the unfilled-region check and the stub command."""

from __future__ import annotations

import ast
import os
import random
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest
from click.testing import CliRunner
from reference_checks import readme_public_check

import grader.stubs
from grader.assignment import Assignment
from grader.public_checks import path_for
from grader.registry import load_assignment
from grader.stubs import (
    MAX_SOURCE_CHARS,
    FunctionRegions,
    StubError,
    bound_names,
    find_regions,
    main,
    make_stub,
    may_have_unfilled_regions,
    outdated_public_checks,
    outdated_stubs,
    registered_assignments,
    unfilled_regions,
    write_stubs,
)

DATA = Path(__file__).parent / "data" / "stubs"
START = "### START CODE HERE ###"
END = "### END CODE HERE ###"


def source(text: str) -> str:
    """A dedented source in which ``START`` and ``END`` stand for the markers."""
    return dedent(text).lstrip("\n").replace("START", START).replace("END", END)


def region_body(stub: str, number: int = 0) -> list[str]:
    """The lines between the markers of the stub's ``number``-th region, stripped of their line endings."""
    region = find_regions(stub)[number]
    return stub.splitlines()[region.start : region.end - 1]


# --- find_regions --------------------------------------------------------------------------------------------


def test_find_regions_reports_function_markers_and_statements() -> None:
    solution = source(
        """
        def f(x):
            START
            y = x
            END
            for t in range(3):
                START
                y += t
                END
            return y

        START
        z = 1
        END
        """
    )
    regions = find_regions(solution)
    assert [(r.function, r.start, r.end, r.indent) for r in regions] == [
        ("f", 2, 4, "    "),
        ("f", 6, 8, "        "),
        (None, 11, 13, ""),
    ]
    assert [ast.unparse(statement) for statement in regions[1].statements] == ["y += t"]
    assert [ast.unparse(statement) for statement in regions[2].block] == [
        ast.unparse(statement) for statement in ast.parse(solution).body
    ]


def test_regions_in_a_class_method_have_no_top_level_function() -> None:
    solution = source(
        """
        class A:
            def f(self):
                START
                self.x = 1
                END
        """
    )
    assert find_regions(solution)[0].function is None


def test_an_empty_region_belongs_to_the_function_it_is_indented_into() -> None:
    solution = source(
        """
        def f():
            return 1
            START
            # nothing to write here
            END
        """
    )
    region = find_regions(solution)[0]
    assert (region.function, region.statements, region.block) == ("f", (), ())


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("def f():\n    x = 1\n    END\n", 3, "END CODE HERE without a START"),
        ("def f():\n    START\n    x = 1\n    START\n    y = 1\n    END\n", 4, "region opened at line 2"),
        ("def f():\n    START\n    x = 1\n", 2, "never closed"),
        ("def f():\n    x = 1  START\n    y = 2\n    END\n", 2, "must be on a line of its own"),
        ("def f():\n    START\n    x = 1\n        END\n", 4, "not indented like the START CODE HERE at line 2"),
        ("def f():\n    x = g(\n    START\n        1)\n    END\n", 3, "lines 2-4 straddles the START"),
        ("def f():\n    START\n    x = g(1,\n    END\n        2)\n", 4, "lines 3-5 straddles the END"),
        ("def f(a,\n    START\n    b):\n    END\n    return a\n", 2, "lines 1-5 straddles the START"),
        (
            "def f(x):\n    START\n    for t in x:\n        y = t\n    END\n        z = t\n",
            5,
            "lines 3-6 straddles the END",
        ),
        (
            "def f(x):\n    for t in x:\n        y = t\n    START\n        z = t\n    END\n",
            4,
            "lines 2-5 straddles the START",
        ),
        (
            "def f(x):\n    if x:\n        START\n        y = 1\n    else:\n        z = 2\n        END\n",
            3,
            "spans several blocks",
        ),
        (
            "def f(x):\n    if x:\n        y = 1\n        START\n    else:\n        END\n        z = 2\n",
            5,
            "code of another block",
        ),
        ("def f(x):\n    for t in x:\n      START\n        y = t\n      END\n", 4, "not indented like the START"),
        ("def f(:\n    pass\n", 1, "does not parse"),
    ],
    ids=[
        "end-without-start",
        "nested-start",
        "unclosed",
        "marker-after-code",
        "different-indentation",
        "inside-brackets",
        "simple-statement-across-end",
        "inside-a-def-header",
        "loop-across-end",
        "loop-across-start",
        "different-blocks",
        "different-blocks-empty-region",
        "markers-not-at-the-code-indentation",
        "syntax-error",
    ],
)
def test_malformed_markers_raise_with_the_line(text: str, line: int, fragment: str) -> None:
    solution = text.replace("START", START).replace("END", END)
    with pytest.raises(StubError, match=fragment) as raised:
        make_stub(solution)
    assert raised.value.line == line
    assert str(raised.value).startswith(f"line {line}: ")


def test_marker_text_inside_a_string_is_not_a_marker() -> None:
    solution = f'TEXT = """\n{START}\n"""\n'
    assert find_regions(solution) == []
    assert make_stub(solution) == solution


# --- bound names and placeholders ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "names"),
    [
        ("a = 1", ["a"]),
        ("a = b = 1", ["a", "b"]),
        ("a += 1", []),
        ("a += (b := 2)", ["b"]),
        ("a: int = 1", ["a"]),
        ("for t in range(3):\n    pass", ["t"]),
        ("for i, (j, k) in pairs:\n    pass", ["i", "j", "k"]),
        ("with open(p) as f, lock as (g, h):\n    pass", ["f", "g", "h"]),
        ("a, (b, *c) = x", ["a", "b", "c"]),
        ("[a, b] = x", ["a", "b"]),
        ("if (n := len(x)) > 1:\n    pass", ["n"]),
        ("import numpy as np, os.path", ["np", "os"]),
        ("from math import tau, pi as PI", ["tau", "PI"]),
        ("def g(y):\n    z = y", ["g"]),
        ("class K:\n    z = 1", ["K"]),
        ("h = lambda y: y\nq = [w for w in x]\nr = {v: v for v in x}", ["h", "q", "r"]),
        ("dx[:, :, t] = 1\nself.x = 2\nd['k'] += 3", []),
        ("b = 1\na = 2\nb = 3\nfor a in x:\n    c = a", ["b", "a", "c"]),
        ("try:\n    a = 1\nexcept E as e:\n    b = e", ["a", "b"]),
    ],
    ids=[
        "assignment",
        "chained",
        "augmented-keeps-its-target",
        "augmented-walrus-value",
        "annotated",
        "for-target",
        "for-tuple-target",
        "with-as",
        "unpacking-starred",
        "list-target",
        "walrus",
        "import",
        "from-import",
        "nested-def",
        "nested-class",
        "lambda-and-comprehensions",
        "subscript-and-attribute",
        "first-binding-order",
        "except-name-unbound-after-handler",
    ],
)
def test_bound_names(code: str, names: list[str]) -> None:
    assert [name for _, name in bound_names(ast.parse(code).body)] == names


def test_each_bound_name_becomes_one_placeholder_at_the_marker_indentation() -> None:
    solution = source(
        """
        def f(x):
            START
            for t in range(3):
                a, b = x, t
                with open(x) as handle:
                    d += 1
            c: int = 3
            END
            return a
        """
    )
    placeholders = [f"    {name} = None" for name in ("t", "a", "b", "handle", "c")]
    assert region_body(make_stub(solution)) == placeholders


def test_hint_comments_are_kept_verbatim_between_the_placeholders() -> None:
    solution = source(
        """
        def f(x):
            START
            # first hint

            y = x  # trailing comments go with their code
            for t in range(3):
                # hint inside the loop
                z = t
            # last hint
            END
            return y
        """
    )
    assert region_body(make_stub(solution)) == [
        "    # first hint",
        "    y = None",
        "    t = None",
        "        # hint inside the loop",
        "    z = None",
        "    # last hint",
    ]


def test_comments_inside_brackets_belong_to_the_code() -> None:
    solution = source(
        """
        def f(x):
            START
            y = g(
                # dropped with the call
                x,
            )
            END
            return y
        """
    )
    assert region_body(make_stub(solution)) == ["    y = None"]


def test_pass_only_where_a_block_would_be_empty() -> None:
    solution = source(
        """
        def only_side_effects(x):
            START
            # append it
            x.append(1)
            END

        def side_effects_then_code(x):
            START
            x.append(1)
            END
            return x

        def two_empty_regions(x):
            START
            x.append(1)
            END
            START
            x.append(2)
            END

        def loop(x):
            for t in range(3):
                START
                x[t] = t
                END
        """
    )
    stub = make_stub(solution)
    assert [region_body(stub, n) for n in range(5)] == [
        ["    # append it", "    pass"],
        [],
        ["    pass"],
        [],
        ["        pass"],
    ]
    ast.parse(stub)


def test_several_regions_and_regions_in_loops() -> None:
    stub = make_stub(source(
        """
        def f(x):
            START
            total = 0
            END
            for t in x:
                START
                total += t
                END
                while total > 10:
                    START
                    total -= 10
                    END
            START
            result = total
            END
            return result
        """
    ))
    assert [region_body(stub, n) for n in range(4)] == [
        ["    total = None"],
        [],
        ["            pass"],
        ["    result = None"],
    ]


def test_everything_outside_regions_is_kept_byte_for_byte() -> None:
    solution = f"x = 1\r\n\r\ndef f():\r\n\t{START}\r\n\ty = 2\r\n\t{END}\r\n\treturn y  # keep\r\n\x0c\r\n"
    stub = make_stub(solution)
    assert stub == solution.replace("\ty = 2\r\n", "\ty = None\r\n")


def test_golden_stub() -> None:
    """The sample solution's stub is the checked-in one: outside text exact, placeholders, hints and pass."""
    solution = (DATA / "solution.py").read_text(encoding="utf-8")
    stub = make_stub(solution)
    assert stub == (DATA / "stub.py").read_text(encoding="utf-8")
    outside = [line for line in solution.splitlines() if line in stub.splitlines()]
    assert len(outside) == len(solution.splitlines()) - 4  # only the four region code lines are replaced


def test_stub_parses_and_imports() -> None:
    stub = make_stub((DATA / "solution.py").read_text(encoding="utf-8"))
    namespace: dict[str, object] = {}
    exec(compile(stub, "stub.py", "exec"), namespace)
    assert callable(namespace["running_mean"])


def test_a_module_level_region_keeps_the_module_importable() -> None:
    stub = make_stub(source(
        """
        START
        import math
        LIMIT = math.pi
        END
        """
    ))
    assert region_body(stub) == ["math = None", "LIMIT = None"]
    exec(compile(stub, "stub.py", "exec"), {})


# --- unfilled_regions ----------------------------------------------------------------------------------------

STUB = source(
    """
    import numpy as np


    def forward(x, w):
        START
        # multiply (≈1 line)
        z = None
        END
        for t in range(3):
            START
            z = None
            END
        return z


    def backward(dz):
        START
        pass
        END
        return dz


    def untouched(x):
        return x
    """
)
# marker line ranges in STUB (and in any submission with the same layout)
FORWARD_1, FORWARD_2, BACKWARD_1 = (5, 8), (10, 12), (17, 19)


def fill(stub: str, old: str, new: str, count: int = 1) -> str:
    assert stub.count(old) >= count
    return stub.replace(old, new, count)


def test_the_stub_itself_is_not_implemented() -> None:
    result = unfilled_regions(STUB, STUB)
    assert result == {
        "forward": FunctionRegions(2, (FORWARD_1, FORWARD_2)),
        "backward": FunctionRegions(1, (BACKWARD_1,)),
        "untouched": FunctionRegions(0, ()),
    }
    assert [name for name, regions in result.items() if regions.not_implemented] == ["forward", "backward"]


def test_partly_filled() -> None:
    submission = fill(STUB, "z = None", "z = x @ w")
    forward = unfilled_regions(submission, STUB)["forward"]
    assert forward == FunctionRegions(2, (FORWARD_2,))
    assert not forward.not_implemented


def test_filled() -> None:
    submission = fill(fill(STUB, "z = None", "z = x @ w", 2), "    pass\n", "    dz = 2 * dz\n")
    assert unfilled_regions(submission, STUB) == {
        "forward": FunctionRegions(2, ()),
        "backward": FunctionRegions(1, ()),
        "untouched": FunctionRegions(0, ()),
    }


def test_reformatted_identical_code_is_unfilled() -> None:
    reformatted = "\n    z   =None    # TODO later\n\n    # hmm\n"
    submission = fill(STUB, "    # multiply (≈1 line)\n    z = None\n", reformatted)
    assert unfilled_regions(submission, STUB)["forward"] == FunctionRegions(2, ((5, 10), (12, 14)))


def test_line_ranges_are_the_submissions() -> None:
    submission = fill(STUB, "def forward(x, w):\n", "def forward(x, w):\n    '''Docstring.'''\n\n")
    assert unfilled_regions(submission, STUB)["forward"].unfilled == ((7, 10), (12, 14))


def test_a_syntax_error_elsewhere_does_not_hide_the_regions() -> None:
    submission = fill(STUB, "    return x\n", "    return x +* )\n")
    submission = fill(submission, "    return dz\n", "    return dz ]][[ 'unterminated\n")
    result = unfilled_regions(submission, STUB)
    assert result["forward"].not_implemented and result["backward"].not_implemented


def test_an_unclosed_bracket_keeps_what_was_read_before_it() -> None:
    submission = fill(STUB, "z = None", "z = np.dot(x, w")
    assert unfilled_regions(submission, STUB)["forward"] == FunctionRegions(2, ())


def test_deleted_markers_hide_only_their_region() -> None:
    first_start = STUB.index(START)
    submission = STUB[:first_start] + STUB[first_start:].replace(START + "\n", "", 1)
    assert unfilled_regions(submission, STUB)["forward"] == FunctionRegions(2, ((9, 11),))
    no_markers = "\n".join(line for line in STUB.splitlines() if "CODE HERE" not in line)
    assert unfilled_regions(no_markers, STUB)["forward"] == FunctionRegions(2, ())


def test_a_region_moved_out_of_its_function_does_not_count() -> None:
    submission = STUB + f"\nresult = 1\n{START}\nz = None\n{END}\n"
    assert unfilled_regions(submission, STUB)["forward"].unfilled == (FORWARD_1, FORWARD_2)


def test_functions_missing_from_the_submission_are_left_out_and_the_last_definition_counts() -> None:
    submission = STUB.replace("def backward(", "def renamed(") + "\n\ndef forward(x, w):\n    return x @ w\n"
    assert unfilled_regions(submission, STUB) == {
        "forward": FunctionRegions(2, ()),
        "untouched": FunctionRegions(0, ()),
    }


def test_async_and_decorated_functions_are_top_level_functions() -> None:
    stub = source(
        """
        @cache
        async def f():
            START
            y = None
            END
        """
    )
    assert unfilled_regions(stub, stub) == {"f": FunctionRegions(1, ((3, 5),))}


@pytest.mark.parametrize(
    "submission",
    [
        "",
        "\x00\x00\x00",
        "'''never closed",
        "def forward(x, w:\n" + "    (" * 10_000,
        "def forward(x, w):\n" + "".join(" " * level + "if x:\n" for level in range(0, 2000)),
        "(" * 100_000 + ")" * 100_000,
        "def forward(x, w):\n\t  \tz = 1\n  \t" + END + "\n\x0c" + START,
        STUB.replace("    ", "\t", 3),
        "x = 1\n" * (MAX_SOURCE_CHARS // 6 + 1),
        "\ufeff\u2028" + STUB + "\r" * 5,
    ],
    ids=[
        "empty", "nul", "unterminated", "deep-brackets", "deep-blocks",
        "many-brackets", "mixed", "tabs", "huge", "odd-chars",
    ],
)
def test_hostile_submissions_never_raise(submission: str) -> None:
    result = unfilled_regions(submission, STUB)
    assert all(len(regions.unfilled) <= regions.total for regions in result.values())


def test_huge_sources_are_not_analysed() -> None:
    padding = "#" * MAX_SOURCE_CHARS + "\n"
    assert unfilled_regions(STUB + padding, STUB) == {}
    assert unfilled_regions(STUB, STUB + padding) == {}


def test_random_mutations_never_raise() -> None:
    generator = random.Random(0)
    alphabet = "()[]{}'\"\\#:\n\t =x" + START
    for _ in range(300):
        text = list(STUB)
        for _ in range(generator.randint(1, 8)):
            position = generator.randrange(len(text) + 1)
            if generator.random() < 0.5 and position < len(text):
                del text[position]
            else:
                text.insert(position, generator.choice(alphabet))
        result = unfilled_regions("".join(text), STUB)
        assert all(len(regions.unfilled) <= regions.total for regions in result.values())


def test_the_quick_test_never_misses_an_unfilled_region() -> None:
    """``may_have_unfilled_regions`` is False only where ``unfilled_regions`` finds nothing unfilled: checked on
    the stub rewritten in many ways (line breaks, spacing, comments, continuations) and randomly mutated."""
    generator = random.Random(1)
    rewrites = [STUB, STUB.replace("= None", "=None  # TODO # later"), STUB.replace("    ", "\t"),
                STUB.replace("= None", "= \\\n        None"), STUB.replace("\n", "\n\n")]
    checked = 0
    for rewrite in rewrites:
        for _ in range(100):
            text = list(rewrite)
            for _ in range(generator.randint(0, 6)):
                position = generator.randrange(len(text) + 1)
                text.insert(position, generator.choice("x =#\n\\"))
            source = "".join(text)
            if any(regions.unfilled for regions in unfilled_regions(source, STUB).values()):
                checked += 1
                assert may_have_unfilled_regions(source, STUB), source
    assert checked > 200
    filled = STUB.replace("= None", "= 2 * x").replace("pass", "dz = 2 * dz")
    assert not may_have_unfilled_regions(filled, STUB)
    assert not any(regions.unfilled for regions in unfilled_regions(filled, STUB).values())


# --- writing and checking stubs ------------------------------------------------------------------------------


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Assignment]:
    """Two assignments in a temporary folder, registered in place of the real ones; no stub written yet."""
    assignments = []
    for name in ("first", "second"):
        solution = tmp_path / "solutions" / f"{name}.py"
        solution.parent.mkdir(exist_ok=True)
        solution.write_bytes((DATA / "solution.py").read_bytes())
        stub = tmp_path / "assignments" / name / f"{name}.py"
        assignments.append(Assignment(name=name, version="1", solution=solution, stub=stub, functions=()))
    monkeypatch.setattr(grader.stubs, "registered_assignments", lambda: assignments)
    return assignments


def test_outdated_stubs_lists_missing_and_stale_stubs(course: list[Assignment]) -> None:
    first, second = course
    assert outdated_stubs(course) == [first.stub, second.stub]
    assert write_stubs(course) == [first.stub, second.stub]
    assert outdated_stubs(course) == []
    assert first.stub.read_bytes() == (DATA / "stub.py").read_bytes()
    second.stub.write_text(second.stub.read_text() + "# edited by hand\n")
    assert outdated_stubs(course) == [second.stub]


def test_write_stubs_writes_only_what_changed_and_leaves_no_temporary_file(course: list[Assignment]) -> None:
    write_stubs(course)
    before = course[0].stub.stat().st_mtime_ns
    assert write_stubs(course) == []
    assert course[0].stub.stat().st_mtime_ns == before
    assert sorted(os.listdir(course[0].stub.parent)) == ["first.py"]


def test_check_command_exits_1_listing_stubs_and_public_checks_then_0_once_written(course: list[Assignment]) -> None:
    files = [assignment.stub for assignment in course] + [path_for(assignment) for assignment in course]
    runner = CliRunner()
    checked = runner.invoke(main, ["--check"])
    assert checked.exit_code == 1
    assert checked.output.splitlines() == [f"missing: {path}" for path in files]
    assert not course[0].stub.exists()

    written = runner.invoke(main, [])
    assert written.exit_code == 0
    assert written.output.splitlines() == [f"wrote: {path}" for path in files]

    course[1].stub.write_text("stale\n")
    checked = runner.invoke(main, ["--check"])
    stale = [course[1].stub, path_for(course[1])]
    assert (checked.exit_code, checked.output) == (1, "".join(f"out of date: {path}\n" for path in stale))

    runner.invoke(main, [])
    path_for(course[0]).write_text("{}")
    checked = runner.invoke(main, ["--check"])
    assert (checked.exit_code, checked.output) == (1, f"out of date: {path_for(course[0])}\n")

    runner.invoke(main, [])
    checked = runner.invoke(main, ["--check"])
    assert (checked.exit_code, checked.output) == (0, "all stubs and public checks are up to date\n")


def test_command_reports_a_malformed_solution_in_one_line(course: list[Assignment]) -> None:
    course[0].solution.write_text(f"def f():\n    {END}\n    return 1\n")
    result = CliRunner().invoke(main, [])
    assert result.exit_code == 1
    assert result.output == f"Error: {course[0].solution}:2: END CODE HERE without a START CODE HERE before it\n"
    assert not course[1].stub.exists()


# --- the registered assignments ------------------------------------------------------------------------------


def test_every_registered_stub_and_public_checks_file_is_up_to_date() -> None:
    assert outdated_stubs() + outdated_public_checks() == [], "run `python -m grader.stubs` to regenerate them"


@pytest.mark.parametrize("assignment", registered_assignments(), ids=lambda assignment: assignment.name)
def test_registered_stub_imports_and_defines_the_graded_functions(assignment: Assignment) -> None:
    names = [function.name for function in assignment.functions]
    script = (
        "import runpy, sys\n"
        "namespace = runpy.run_path(sys.argv[1])\n"
        "print(' '.join(name for name in sys.argv[2:] if callable(namespace.get(name))))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(assignment.stub), *names], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == names


@pytest.mark.parametrize("assignment", registered_assignments(), ids=lambda assignment: assignment.name)
def test_the_registered_stub_is_entirely_unfilled(assignment: Assignment) -> None:
    stub = assignment.stub.read_text(encoding="utf-8")
    result = unfilled_regions(stub, stub)
    assert all(result[function.name].not_implemented for function in assignment.functions)
    solution = assignment.solution.read_text(encoding="utf-8")
    assert not any(regions.unfilled for regions in unfilled_regions(solution, stub).values())


def test_module_runs_as_a_command() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "grader.stubs", "--check"], capture_output=True, text=True, timeout=120
    )
    assert (run.returncode, run.stdout) == (0, "all stubs and public checks are up to date\n"), run.stderr


def test_the_readme_public_check_prints_the_published_values() -> None:
    readme_public_check(load_assignment("rnn_step_by_step"))
