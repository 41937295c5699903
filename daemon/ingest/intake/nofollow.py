"""Reaching files beneath a folder without ever following a link.

The drop folder is shared with people: whatever they can put there — a symbolic link to the
signing key, a FIFO, a hard link, a folder swapped for a link after intake — must not make
relance read, serve, overwrite or delete anything outside its own folders. So a file beneath one
of relance's folders (`base`, as configured) is reached one component at a time from that
folder, each opened with O_NOFOLLOW (openat): a link anywhere on the way is refused, and a final
entry that is not a regular file is never opened for reading. Writes create a new file next to
the target (O_EXCL) and rename it into place; deletions unlink the entry itself, never what a
link points to.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
LINK = "lien symbolique refusé : relance ne suit jamais un lien"
NOT_REGULAR = "pas un fichier ordinaire (dossier, FIFO, socket ou périphérique) : refusé"
HARD_LINK = "fichier lié ailleurs (lien physique) : refusé"
MISSING = "fichier introuvable"
OUTSIDE = "fichier hors des dossiers de relance : refusé"


class Refused(Exception):
    """The entry cannot be used safely; `reason` is one French sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parts_beneath(base: Path, path: Path) -> tuple[str, ...]:
    """`path`'s components below `base`, compared as written (no link resolved)."""
    absolute, root = Path(os.path.abspath(path)), Path(os.path.abspath(base))
    if not absolute.is_relative_to(root) or absolute == root:
        raise Refused(OUTSIDE)
    return absolute.relative_to(root).parts


@contextlib.contextmanager
def folder(base: Path, parts: Sequence[str], *, create: bool = False) -> Iterator[int]:
    """A descriptor of the folder `base/parts…`, every component below `base` reached without
    following a link (and made first when `create`)."""
    if create:
        base.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise _refusal(exc) from exc
    try:
        for part in parts:
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o750, dir_fd=fd)
            try:
                child = os.open(part, _DIRECTORY, dir_fd=fd)
            except OSError as exc:
                raise _refusal(exc) from exc
            os.close(fd)
            fd = child
        yield fd
    finally:
        os.close(fd)


def _refusal(exc: OSError) -> Refused:
    if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
        return Refused(LINK)
    if exc.errno == errno.ENOENT:
        return Refused(MISSING)
    return Refused(f"illisible : {exc.strerror}")


def entry_problem(info: os.stat_result) -> str:
    """Why an entry (from lstat) is not a file relance may read, or ''."""
    if stat.S_ISLNK(info.st_mode):
        return LINK
    if not stat.S_ISREG(info.st_mode):
        return NOT_REGULAR
    if info.st_nlink > 1:
        return HARD_LINK
    return ""


def lstat_beneath(base: Path, path: Path) -> os.stat_result:
    parts = parts_beneath(base, path)
    with folder(base, parts[:-1]) as fd:
        try:
            return os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
        except OSError as exc:
            raise _refusal(exc) from exc


def open_beneath(base: Path, path: Path) -> BinaryIO:
    """The regular file at `path` beneath `base`, opened for reading without following a
    link; Refused (link, FIFO, folder, hard link, missing) otherwise."""
    parts = parts_beneath(base, path)
    with folder(base, parts[:-1]) as parent:
        try:
            before = os.stat(parts[-1], dir_fd=parent, follow_symlinks=False)
        except OSError as exc:
            raise _refusal(exc) from exc
        problem = entry_problem(before)
        if problem:
            raise Refused(problem)
        try:
            fd = os.open(parts[-1], _READ, dir_fd=parent)
        except OSError as exc:
            raise _refusal(exc) from exc
    info = os.fstat(fd)
    if (info.st_dev, info.st_ino) != (before.st_dev, before.st_ino) or entry_problem(info):
        os.close(fd)  # swapped between the look and the open
        raise Refused(LINK)
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def write_beneath(base: Path, path: Path, data: bytes) -> None:
    """Write `path` beneath `base` (its folders made): a new file next to it, renamed into
    place, so that a link planted at either name is replaced, never written through."""
    parts = parts_beneath(base, path)
    with folder(base, parts[:-1], create=True) as parent:
        temporary = f".{parts[-1]}.writing"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary, dir_fd=parent)
        fd = os.open(temporary, _CREATE, 0o640, dir_fd=parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, parts[-1], src_dir_fd=parent, dst_dir_fd=parent)


def move_beneath(base: Path, source: Path, target_base: Path, target: Path) -> None:
    """Rename the entry `source` (beneath `base`) to `target` (beneath `target_base`), both
    folders reached without links; the entry moves as it is (a link stays a link)."""
    source_parts = parts_beneath(base, source)
    target_parts = parts_beneath(target_base, target)
    with (
        folder(base, source_parts[:-1]) as from_fd,
        folder(target_base, target_parts[:-1], create=True) as to_fd,
    ):
        try:
            os.rename(source_parts[-1], target_parts[-1], src_dir_fd=from_fd, dst_dir_fd=to_fd)
        except OSError as exc:
            raise _refusal(exc) from exc


def unlink_beneath(base: Path, path: Path) -> bool:
    """Delete the entry at `path` beneath `base` — a link itself, never its target. False
    when it was not there."""
    parts = parts_beneath(base, path)
    try:
        with folder(base, parts[:-1]) as parent:
            os.unlink(parts[-1], dir_fd=parent)
    except (FileNotFoundError, Refused):
        return False
    except IsADirectoryError as exc:
        raise Refused(NOT_REGULAR) from exc
    return True


def names_beneath(base: Path, path: Path) -> frozenset[str]:
    """The names of the entries (of any kind, links included) in the folder at `path` beneath
    `base`, read in one listing; none when the folder does not exist yet."""
    try:
        with folder(base, parts_beneath(base, path)) as fd:
            return frozenset(os.listdir(fd))
    except Refused as refused:
        if refused.reason == MISSING:
            return frozenset()
        raise


def exists_beneath(base: Path, path: Path) -> bool:
    """An entry (of any kind, a link included) is at `path`."""
    try:
        lstat_beneath(base, path)
    except Refused as refused:
        return refused.reason != MISSING
    return True
