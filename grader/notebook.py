"""A submission's code as it is loaded, a "script", and Jupyter notebooks turned into one.

A Python file's script is its text. A notebook's (``.ipynb``, nbformat 4) is the code of its code cells joined
in order, one line per line of each cell, with IPython's own syntax made plain Python line for line (see
``strip_magics``), and the line where each cell starts: the sandbox loads each cell on its own at that line, so
that a cell that fails costs only itself, and every line it reports maps back to a cell and a line in it.

>>> script = notebook_script(["import numpy as np\\n%matplotlib inline", "def f(x):\\n    return 2 * x"])
>>> print(script.text)
import numpy as np
pass
def f(x):
    return 2 * x
>>> script.cells()
((1, 'import numpy as np\\npass'), (3, 'def f(x):\\n    return 2 * x'))
>>> script.locate(4)
(2, 2)
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox.runner import LineScanner

NOTEBOOK_SUFFIX = ".ipynb"
NBFORMAT = 4
"""The notebook format version read (Jupyter's since 2015)."""
MAX_CODE_CHARS = 8_000_000
"""A notebook whose code cells hold more is refused (real ones hold a few thousand characters)."""
MAX_CODE_CELLS = 10_000

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
"""What ends a line for Python's tokenizer."""


@dataclass(frozen=True)
class Script:
    """The code a submission loads. ``cell_starts`` is None for a Python file; for a notebook it holds the
    1-based line of ``text`` where each code cell starts, in order (cells are joined with one newline)."""

    text: str
    cell_starts: tuple[int, ...] | None = None

    @functools.cached_property
    def lines(self) -> tuple[str, ...]:
        """The lines of ``text``, split where Python splits them."""
        return tuple(_LINE_BREAK.split(self.text))

    @property
    def is_notebook(self) -> bool:
        return self.cell_starts is not None

    def locate(self, line: int) -> tuple[int | None, int]:
        """``(code cell, line in it)`` of a 1-based line of ``text``, both 1-based; ``(None, line)`` for a file.

        >>> Script("a\\nb\\nc", cell_starts=(1, 3)).locate(3), Script("a\\nb").locate(2)
        ((2, 1), (None, 2))
        """
        if not self.cell_starts:
            return None, line
        cell = max(bisect.bisect_right(self.cell_starts, line), 1)
        return cell, line - self.cell_starts[cell - 1] + 1

    def cells(self) -> tuple[tuple[int, str], ...] | None:
        """Each code cell's first line and code, as the sandbox loads a notebook; None for a file (the sandbox
        reads it itself)."""
        if self.cell_starts is None:
            return None
        ends = (*self.cell_starts[1:], len(self.lines) + 1) if self.cell_starts else ()
        return tuple((start, "\n".join(self.lines[start - 1 : end - 1]))
                     for start, end in zip(self.cell_starts, ends, strict=True))


class NotebookError(ValueError):
    """A file that cannot be read as a notebook; the message says why, in words for its author."""


def is_notebook(path: Path) -> bool:
    return path.suffix.lower() == NOTEBOOK_SUFFIX


def read_notebook(data: bytes) -> Script:
    """The script of the notebook whose file holds ``data``: JSON in UTF-8, nbformat 4. Raises
    ``NotebookError`` when it is not one. Beyond what reading needs (the notebook's and each cell's metadata,
    each code cell's source), the notebook schema is not checked, as Jupyter opens notebooks that stray from it."""
    import nbformat  # here, not at the top: only notebooks need it, and it takes a while to import

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise NotebookError(f"it is not UTF-8 text (byte {error.start + 1} cannot be decoded)") from None
    try:
        content = nbformat.reader.parse_json(text)  # type: ignore[no-untyped-call]
    except nbformat.reader.NotJSONError as error:
        raise NotebookError(f"it is not JSON ({error.__cause__})") from None
    except RecursionError:
        raise NotebookError("it is not JSON that a notebook can hold (nested too deeply)") from None
    _check_structure(content)
    try:
        notebook = nbformat.v4.to_notebook_json(content)  # type: ignore[no-untyped-call]
    except (AttributeError, TypeError) as error:
        raise NotebookError(f"the outputs or attachments of its cells are not a notebook's ({error})") from None
    sources = [cell.source for cell in notebook.cells if cell.get("cell_type") == "code"]
    if len(sources) > MAX_CODE_CELLS or sum(map(len, sources)) > MAX_CODE_CHARS:
        raise NotebookError(f"it holds more code than a submission may ({MAX_CODE_CELLS} code cells, "
                            f"{MAX_CODE_CHARS} characters at most)")
    return notebook_script(sources)


def _check_structure(content: object) -> None:
    """Raise ``NotebookError`` unless ``content``, parsed JSON, is an nbformat 4 notebook as far as reading it
    needs: metadata objects, a list of cells, each code cell's source text (a string or a list of strings)."""
    if not isinstance(content, dict) or "nbformat" not in content:
        raise NotebookError("it is JSON but not a Jupyter notebook (it has no nbformat version)")
    version = content["nbformat"]
    if version != NBFORMAT or type(version) is not int:
        raise NotebookError(f"it is in notebook format {version!r}, not {NBFORMAT}: open it in Jupyter and save "
                            "it again")
    cells = content.get("cells")
    if not isinstance(content.get("metadata"), dict) or not isinstance(cells, list):
        raise NotebookError("it is not a valid notebook (it lacks its metadata or its list of cells)")
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or not isinstance(cell.get("metadata"), dict):
            raise NotebookError(f"its cell {number} is not a valid cell (an object with metadata)")
        source = cell.get("source")
        if cell.get("cell_type") == "code" and not (
                isinstance(source, str) or (isinstance(source, list) and all(type(line) is str for line in source))):
            raise NotebookError(f"its cell {number}, a code cell, has no source text")


def notebook_script(sources: Sequence[str]) -> Script:
    """The script of code cells whose sources are ``sources``, in order, each through ``strip_magics``."""
    codes = [strip_magics(source) for source in sources]
    starts, line = [], 1
    for code in codes:
        starts.append(line)
        line += code.count("\n") + 1
    return Script("\n".join(codes), tuple(starts))


_PYTHON_CELL_MAGICS = frozenset({"time", "capture", "prun"})
"""Cell magics that run their cell's code, as Python, in the notebook's namespace."""
_ESCAPES = ("%", "!", "?")
"""What starts a line magic, a shell command or a help request."""
_ASSIGNED_ESCAPE = re.compile(r"[ \t]*[\w.,\[\] \t]+=[ \t]*[!%]")
"""``files = !ls``, ``timing = %timeit -o f()``."""
_HELP = re.compile(r"[ \t]*[\w.*]+[ \t]*\?{1,2}[ \t]*$")
"""``np.dot?``, ``np.dot??``."""


def strip_magics(source: str) -> str:
    """A cell's ``source`` as Python, with one line per line of it (joined with ``\\n``): each IPython magic,
    shell command (``!pip install x``, ``files = !ls``) and help request (``obj?``) becomes ``pass`` at its
    indentation, with the lines it continues onto (a trailing backslash) left blank. The first line of a cell
    magic is left blank: its cell is Python when the magic runs it as such (``%%time``, ``%%capture``), else
    (``%%bash``, ``%%html``, ...) every line is blank. Only lines that start a statement are looked at: a ``%``
    or ``!`` line inside a string or brackets is kept as it is.

    >>> print(strip_magics("%%time\\nfor i in range(2):\\n    !echo $i\\n    x = '''\\n%not a magic\\n'''"))
    <BLANKLINE>
    for i in range(2):
        pass
        x = '''
    %not a magic
    '''
    """
    lines = _LINE_BREAK.split(source)
    first = next((index for index, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].startswith("%%"):
        magic = lines[first][2:].split()
        if magic and magic[0] in _PYTHON_CELL_MAGICS:
            lines[first] = ""
        else:
            return "\n" * (len(lines) - 1)
    scanner = LineScanner()
    in_escape = False
    for index, line in enumerate(lines):
        if in_escape:
            in_escape = line.endswith("\\")
            lines[index] = ""
            continue
        code = line.lstrip(" \t")
        if not scanner.continues() and (code.startswith(_ESCAPES) or _ASSIGNED_ESCAPE.match(line)
                                        or _HELP.match(line)):
            lines[index] = line[: len(line) - len(code)] + "pass"
            in_escape = line.endswith("\\")
            continue
        scanner.feed(line)
    return "\n".join(lines)
