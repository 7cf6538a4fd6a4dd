"""Notebooks as scripts: IPython's syntax made plain Python line for line, cells joined with their lines mapped
back, and files that are not notebooks refused with a reason."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from grader.notebook import NotebookError, Script, is_notebook, notebook_script, read_notebook, strip_magics

NOTEBOOKS = Path(__file__).parent / "submissions" / "notebooks"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("%matplotlib inline\nimport numpy as np", "pass\nimport numpy as np"),
        ("!pip install numpy\nx = 1", "pass\nx = 1"),
        ("files = !ls\nnames, count = !ls | wc -l", "pass\npass"),
        ("timing = %timeit -o f()", "pass"),
        ("np.dot?\nnp.linalg.norm??\n?np.sum\nnp.*load*?", "pass\npass\npass\npass"),
        ("!!ls\n%%time", "pass\npass"),
    ],
    ids=["line-magic", "shell-command", "shell-assignment", "magic-assignment", "help", "doubled-escapes"],
)
def test_magics_shell_commands_and_help_become_pass(source: str, expected: str) -> None:
    assert strip_magics(source) == expected


def test_an_indented_magic_keeps_its_block_valid() -> None:
    source = "for size in (2, 3):\n    %time f(size)\n    if size:\n        !echo $size\n"
    stripped = strip_magics(source)
    assert stripped == "for size in (2, 3):\n    pass\n    if size:\n        pass\n"
    ast.parse(stripped)


@pytest.mark.parametrize(
    "source",
    [
        'note = """\n%s is not a magic\n!nor this\nnp.dot?\n""" % 1',
        "note = '''\n    %time inside a string\n'''",
        "remainder = (10\n% 3)",
        "remainder = 10 \\\n% 3",
        "# %matplotlib inline, in a comment",
        'print("why?")\nx = 1  # really?\nflag = a != b',
        "def f(x):\n    return x % 2",
    ],
    ids=["triple-quoted", "indented-in-string", "modulo-in-brackets", "modulo-after-backslash", "comment",
         "question-marks-in-python", "modulo"],
)
def test_python_is_kept_as_it_is(source: str) -> None:
    assert strip_magics(source) == source


def test_a_magic_continued_with_backslashes_is_dropped_with_its_continuation_lines() -> None:
    assert strip_magics("!pip install \\\n    numpy \\\n    scipy\nx = 1") == "pass\n\n\nx = 1"


def test_a_cell_magic_running_python_keeps_its_code() -> None:
    source = "\n%%time\ndef f(x):\n    %time g(x)\n    return x"
    assert strip_magics(source) == "\n\ndef f(x):\n    pass\n    return x"


@pytest.mark.parametrize("magic", ["%%bash", "%%writefile helper.py", "%%html", "%%javascript"])
def test_a_cell_magic_of_another_language_blanks_its_cell(magic: str) -> None:
    source = f"{magic}\ndef broken(:\n    echo 'not python'\n"
    assert strip_magics(source) == "\n\n\n"


def test_windows_line_endings_count_as_lines() -> None:
    assert strip_magics("%time f()\r\nx = 1\r\n") == "pass\nx = 1\n"


def test_cells_are_joined_and_each_line_maps_back_to_its_cell() -> None:
    script = notebook_script(["import numpy as np\n", "", "%%time\ndef f():\n    return 1", "f()"])
    assert script.text == "import numpy as np\n\n\n\ndef f():\n    return 1\nf()"
    assert script.cell_starts == (1, 3, 4, 7)
    assert script.cells() == ((1, "import numpy as np\n"), (3, ""), (4, "\ndef f():\n    return 1"), (7, "f()"))
    assert [script.locate(line) for line in (1, 2, 3, 4, 6, 7)] == [
        (1, 1), (1, 2), (2, 1), (3, 1), (3, 3), (4, 1)]
    assert script.lines[5 - 1] == "def f():"


def test_a_python_file_is_one_script_without_cells() -> None:
    script = Script("x = 1\r\ny = 2\n")
    assert script.cells() is None and not script.is_notebook
    assert script.lines == ("x = 1", "y = 2", "")
    assert script.locate(2) == (None, 2)


def test_the_notebook_files_are_recognised_by_their_suffix() -> None:
    assert is_notebook(Path("alice.ipynb")) and is_notebook(Path("ALICE.IPYNB"))
    assert not is_notebook(Path("alice.py")) and not is_notebook(Path("alice.ipynb.py"))


def test_a_notebook_is_read_code_cells_only_magics_dropped() -> None:
    script = read_notebook((NOTEBOOKS / "correct.ipynb").read_bytes())
    with (NOTEBOOKS / "correct.ipynb").open(encoding="utf-8") as file:
        cells = json.load(file)["cells"]
    code_cells = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
    assert len(script.cell_starts) == len(code_cells)
    assert "%matplotlib inline" in code_cells[0] and "%matplotlib" not in script.text
    ast.parse(script.text)


def _notebook(**fields: object) -> bytes:
    return json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, **fields}).encode()


CODE_CELL = {"cell_type": "code", "metadata": {}, "source": ["x = 1\n", "y = 2"], "outputs": [], "execution_count": 1}


def test_a_notebook_without_code_cells_loads_nothing() -> None:
    markdown = {"cell_type": "markdown", "metadata": {}, "source": "def f(x): return x"}
    script = read_notebook(_notebook(cells=[markdown]))
    assert script.is_notebook and script.cells() == ()


def test_sources_split_in_lines_are_joined_and_a_bom_is_accepted() -> None:
    markdown = {"cell_type": "markdown", "metadata": {}, "source": "# Title"}
    script = read_notebook(b"\xef\xbb\xbf" + _notebook(cells=[markdown, CODE_CELL]))
    assert script == Script("x = 1\ny = 2", (1,))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"cells": [}', "it is not JSON (Expecting value: line 1 column 12 (char 11))"),
        (b"\xff\xfe{}", "it is not UTF-8 text (byte 1 cannot be decoded)"),
        (b"[1, 2]", "it is JSON but not a Jupyter notebook (it has no nbformat version)"),
        (_notebook(nbformat=3), "it is in notebook format 3, not 4: open it in Jupyter and save it again"),
        (_notebook(nbformat="4"), "it is in notebook format '4', not 4: open it in Jupyter and save it again"),
        (_notebook(cells={"a": 1}), "it is not a valid notebook (it lacks its metadata or its list of cells)"),
        (_notebook(cells=["x = 1"]), "its cell 1 is not a valid cell (an object with metadata)"),
        (_notebook(cells=[{**CODE_CELL, "source": ["x", 1]}]), "its cell 1, a code cell, has no source text"),
        (_notebook(cells=[{**CODE_CELL, "outputs": [1]}]), "the outputs or attachments of its cells"),
        (b"[" * 100_000, "it is not JSON"),
    ],
    ids=["bad-json", "not-utf8", "json-list", "nbformat-3", "version-string", "cells-not-list", "cell-not-object",
         "source-not-text", "bad-outputs", "deeply-nested"],
)
def test_what_is_not_a_notebook_is_refused_with_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(NotebookError) as raised:
        read_notebook(data)
    assert str(raised.value).startswith(reason)
