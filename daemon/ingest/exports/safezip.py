"""Opening an untrusted zip in memory, refusing what is dangerous before and while reading.

Nothing is ever extracted to disk. The headers are checked first (member count, paths,
encryption, announced sizes and ratios); then every read goes through a counting stream that
stops as soon as a member expands past what its header announced, the ratio or the total.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from daemon.codes import printable

MB = 1024 * 1024
CHUNK = 64 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
# What a corrupt or hostile zip can raise from the standard library while being read.
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    KeyError,
    IndexError,
    OverflowError,
    UnicodeDecodeError,
)


class ArchiveRefused(Exception):
    """An archive refused; `reason` is one French sentence."""

    def __init__(self, reason: str, members: list[str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.members = members or []  # the archive's member names, when it could be opened


@dataclass(frozen=True)
class ZipLimits:
    max_members: int = 20
    max_total_bytes: int = 100 * MB
    max_ratio: int = 100


def unsafe_path(name: str) -> bool:
    """An absolute path, a drive letter or a `..` part: never acceptable in a member name."""
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return True
    return any(part == ".." for part in re.split(r"[/\\]", name))


class _Counted:
    """A member's decompressed bytes, counted and cut off past the limits."""

    def __init__(self, archive: SafeZip, info: zipfile.ZipInfo) -> None:
        self.archive = archive
        self.info = info
        try:
            self.inner = archive.zip.open(info)
        except ZIP_ERRORS as exc:
            raise ArchiveRefused(
                f"le fichier {printable(info.filename, 100)} de l'archive est abîmé "
                "et ne peut pas être lu"
            ) from exc
        self.count = 0

    def __enter__(self) -> _Counted:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def read(self, size: int = CHUNK) -> bytes:
        """At most `size` (≤ CHUNK) more bytes; b"" at the end."""
        try:
            chunk = self.inner.read(min(size, CHUNK))
        except ZIP_ERRORS as exc:
            raise ArchiveRefused(
                f"le fichier {self._name} de l'archive est abîmé et ne peut pas être lu"
            ) from exc
        n = len(chunk)
        self.count += n
        self.archive.spent += n
        if self.count > self.info.file_size:
            raise ArchiveRefused(
                f"le fichier {self._name} est plus gros que ce qu'annonce l'archive"
            )
        if self.count > self.archive.limits.max_ratio * max(self.info.compress_size, 1):
            raise ArchiveRefused(
                f"le fichier {self._name} se décompresse au-delà du taux autorisé "
                f"({self.archive.limits.max_ratio}:1) : archive piégée (bombe zip)"
            )
        if self.archive.spent > self.archive.limits.max_total_bytes:
            raise ArchiveRefused(
                "l'archive se décompresse au-delà de la taille autorisée "
                f"({self.archive.limits.max_total_bytes // MB} Mo) : archive piégée (bombe zip)"
            )
        return chunk

    @property
    def _name(self) -> str:
        return printable(self.info.filename, 100)

    def close(self) -> None:
        self.inner.close()


class SafeZip:
    """A zip held in memory whose headers passed the checks; members are read as CSV rows."""

    def __init__(self, data: bytes, limits: ZipLimits) -> None:
        self.limits = limits
        self.spent = 0
        if not data.startswith(b"PK"):
            raise ArchiveRefused("le fichier n'est pas une archive zip")
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except ZIP_ERRORS as exc:
            raise ArchiveRefused("le fichier n'est pas une archive zip lisible") from exc
        self.infos = [i for i in infos if not i.is_dir()]
        try:
            self._check_headers(infos)
        except ArchiveRefused as refused:
            raise ArchiveRefused(refused.reason, self.names[:100]) from None

    def _check_headers(self, infos: list[zipfile.ZipInfo]) -> None:
        if len(infos) > self.limits.max_members:
            raise ArchiveRefused(
                f"l'archive contient {len(infos)} fichiers, plus que les "
                f"{self.limits.max_members} autorisés"
            )
        total = 0
        for info in infos:
            if unsafe_path(info.filename):
                raise ArchiveRefused(
                    f"l'archive contient un chemin interdit (absolu ou avec « .. ») : "
                    f"{printable(info.filename, 100)}"
                )
            if info.flag_bits & 0x1:
                raise ArchiveRefused(
                    f"le fichier {printable(info.filename, 100)} de l'archive est chiffré : "
                    "déposez l'archive sans mot de passe"
                )
            if info.file_size > self.limits.max_ratio * max(info.compress_size, 1):
                raise ArchiveRefused(
                    f"le fichier {printable(info.filename, 100)} se décompresserait "
                    f"au-delà du taux autorisé ({self.limits.max_ratio}:1) : "
                    "archive piégée (bombe zip)"
                )
            total += info.file_size
        if total > self.limits.max_total_bytes:
            raise ArchiveRefused(
                "l'archive se décompresserait au-delà de la taille autorisée "
                f"({self.limits.max_total_bytes // MB} Mo) : archive piégée (bombe zip)"
            )

    @property
    def names(self) -> list[str]:
        return [printable(i.filename, 200) for i in self.infos]

    def rows(self, info: zipfile.ZipInfo) -> Iterator[list[str]]:
        """The member's `;`-separated rows, read as a stream: UTF-8 (with or without BOM), and
        any byte that is not UTF-8 read as cp1252 (files saved by Windows software)."""
        blocks = _blocks(_Counted(self, info))
        return csv.reader(itertools.chain.from_iterable(blocks), delimiter=";")


def _blocks(raw: _Counted) -> Iterator[io.StringIO]:
    """The decoded text in blocks of whole lines (cut after a `\n`), each iterable by line."""
    with raw:
        yield from _decoded(raw)


def _decoded(raw: _Counted) -> Iterator[io.StringIO]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors=FALLBACK)
    pending = ""
    while True:
        chunk = raw.read(CHUNK)
        n = len(chunk)
        text = pending + decoder.decode(chunk, n == 0)
        if n == 0:
            if text:
                yield io.StringIO(text, newline="")
            return
        cut = text.rfind("\n") + 1
        if cut:
            yield io.StringIO(text[:cut], newline="")
        pending = text[cut:]


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return bytes(bad).decode("cp1252", errors="replace"), error.end


FALLBACK = "relance-cp1252"
codecs.register_error(FALLBACK, _cp1252_fallback)
