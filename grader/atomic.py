"""Writing files so that readers see the old content or the new, never a half-written file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o644


@contextlib.contextmanager
def written_atomically(path: Path) -> Iterator[BinaryIO]:
    """A binary stream to a temporary file beside ``path`` (created at once, so that an unwritable folder fails
    first), flushed to disk and renamed over ``path`` when the block ends; removed if the block raises. The
    folder must exist."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8, byte for byte (no newline translation), to ``path`` (see ``written_atomically``)."""
    with written_atomically(path) as stream:
        stream.write(text.encode("utf-8"))
