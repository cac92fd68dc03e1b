"""The console's own folders and files are readable by their user only (POSIX: folders 0700,
files 0600).

The settings file holds service URLs (which can carry credentials in their query or user-info)
and account metadata; the log and the activity history name accounts, calls and URLs. With the
usual umask they would be created 0644 in 0755 folders, readable by every local user. So the
start-up calls `secure_app_files` before anything is written: it creates the folders 0700, creates
a missing settings file empty and 0600 (Qt keeps the mode of an existing settings file when it
rewrites it), and tightens whatever an older version left behind (SQLite's -wal/-shm files
included). New files made later are private too: `private_file` for the log, `open_private_text`
for exports and the self-test's report, and the activity history creates its database 0600
(SQLite gives -wal/-shm the database's mode).

Symbolic links are never followed or changed. On Windows the user's profile folders are already
private to the user, so nothing is done there.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

_log = logging.getLogger(__name__)
DIR_MODE = 0o700
FILE_MODE = 0o600
POSIX = os.name == "posix"


def _tighten(path: Path, mode: int, changed: list[Path]) -> None:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode) or stat.S_IMODE(info.st_mode) == mode:
        return
    try:
        os.chmod(path, mode)
    except OSError as exc:  # not ours (another user's file): say so, do not stop the start-up
        _log.warning("could not make %s private: %s", path, exc.strerror or exc)
        return
    changed.append(path)


def private_dir(path: Path, changed: list[Path] | None = None) -> Path:
    """Create `path` (and missing parents) and make it 0700. Parents that already existed keep
    their mode: they may be shared folders such as ~/.config."""
    changed = [] if changed is None else changed
    path.mkdir(parents=True, exist_ok=True)
    if POSIX:
        _tighten(path, DIR_MODE, changed)
    return path


def private_file(path: Path, changed: list[Path] | None = None) -> Path:
    """Create `path` empty with mode 0600 if it is missing (never truncating it), or make an
    existing file 0600."""
    changed = [] if changed is None else changed
    if not POSIX:
        return path
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    except FileExistsError:
        _tighten(path, FILE_MODE, changed)
        return path
    os.close(fd)
    _tighten(path, FILE_MODE, changed)  # the umask cannot add bits, but be exact
    return path


def open_private_text(path: Path) -> TextIO:
    """`path` opened to write UTF-8 text (no newline translation: the csv module writes its own),
    created or emptied with mode 0600: an export or a report holds callback parameters, URLs and
    account names, like the log. A symbolic link at `path` is refused (ELOOP), never followed:
    in a shared folder it could point the write at another file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, FILE_MODE)
    try:
        if POSIX:
            os.fchmod(fd, FILE_MODE)  # an existing file would keep its mode otherwise
        return open(fd, "w", encoding="utf-8", newline="")
    except BaseException:
        os.close(fd)
        raise


def private_tree(root: Path, changed: list[Path] | None = None) -> list[Path]:
    """Make `root` and every folder and file below it private; returns what was changed."""
    changed = [] if changed is None else changed
    private_dir(root, changed)
    if not POSIX:
        return changed
    for folder, dirs, files in os.walk(root):  # os.walk does not descend into linked folders
        base = Path(folder)
        for name in dirs:
            _tighten(base / name, DIR_MODE, changed)
        for name in files:
            _tighten(base / name, FILE_MODE, changed)
    return changed


def secure_app_files(
    *, data_dir: Path, log_dir: Path, settings_file: Path, owned_parents: Iterable[str] = ()
) -> list[Path]:
    """The start-up step: data and log folders (and everything in them) and the settings file's
    folder private, the settings file created 0600 if missing. A parent folder whose name is in
    `owned_parents` (the organisation folder Qt puts the app's folders in) is made 0700 too.
    Returns the paths whose mode was changed."""
    changed: list[Path] = []
    owned = set(owned_parents)
    for folder in (data_dir, settings_file.parent):
        if folder.parent.name in owned:
            private_dir(folder.parent, changed)
    private_tree(data_dir, changed)
    private_tree(log_dir, changed)
    private_dir(settings_file.parent, changed)
    private_file(settings_file, changed)
    return changed
