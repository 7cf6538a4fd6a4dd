"""A fresh Python for installing a wheel of the grader in the tests without downloading anything: a virtual
environment that sees this environment's installed packages, the grader's own files aside."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import sysconfig
from pathlib import Path


def link_dependencies(folder: Path) -> Path:
    """Fill ``folder`` with links to this environment's installed packages, but the grader's own files (and the
    ``.pth`` files, an editable install's among them); returns ``folder``."""
    site_packages = Path(sysconfig.get_path("purelib"))
    try:
        own = {Path(str(file)).parts[0] for file in importlib.metadata.distribution("numpy-grader").files or []}
    except importlib.metadata.PackageNotFoundError:
        own = set()
    for entry in site_packages.iterdir():
        if entry.name not in own and entry.suffix != ".pth":
            (folder / entry.name).symlink_to(entry)
    return folder


def fresh_python(folder: Path, dependencies: Path) -> Path:
    """A virtual environment in ``folder`` whose site-packages points at ``dependencies`` too (see
    ``link_dependencies``); returns its ``bin`` folder."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "test-dependencies.pth").write_text(f"{dependencies}\n", encoding="utf-8")
    return python.parent

