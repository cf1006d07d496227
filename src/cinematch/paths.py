"""Files that hold people's data: the data directory and its files are private to the server's
user from the moment they exist (password hashes and every diary live there)."""

from __future__ import annotations

import os
from pathlib import Path


def private_dir(path: Path) -> None:
    """The data directory: created 0700, and tightened to it when it exists looser
    (it holds password hashes and every diary)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        path.chmod(mode & 0o700)


def private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 when it does not exist yet (never readable by
    others, not even for an instant), and tighten an existing one."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
