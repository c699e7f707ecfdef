"""Files and folders that authgate creates, readable and writable by their owner alone.

The modes are given when a file or folder is created, so no umask (``022`` is common) can
widen them and there is no moment in which another user could open it.
"""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def make_private_folder(folder: Path) -> None:
    """Create ``folder`` and any missing parents, each ``0700``; existing ones stay as they are."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for path in reversed(missing):
        path.mkdir(mode=FOLDER_MODE, exist_ok=True)


def create_private_file(path: Path) -> None:
    """Create an empty ``0600`` file (and its folder) unless it exists."""
    make_private_folder(path.parent)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))


def write_private_file(path: Path, text: str, *, replace: bool = True) -> None:
    """Write ``text`` to a ``0600`` file, creating its folder; without ``replace``, the file
    must not exist yet (``FileExistsError``)."""
    make_private_folder(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if replace else os.O_EXCL)
    fd = os.open(path, flags, FILE_MODE)
    with os.fdopen(fd, "w") as handle:
        os.fchmod(fd, FILE_MODE)  # an existing file keeps its mode on open: narrow it
        handle.write(text)
