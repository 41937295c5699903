"""Opening untrusted zips: refused from the headers, or cut off while streaming."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from daemon.ingest.exports.safezip import ArchiveRefused, SafeZip, ZipLimits, unsafe_path
from tests.archives import to_zip


def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def refusal(data: bytes, limits: ZipLimits | None = None) -> str:
    with pytest.raises(ArchiveRefused) as caught:
        archive = SafeZip(data, limits or ZipLimits())
        for info in archive.infos:
            list(archive.rows(info))
    return caught.value.reason


@pytest.mark.parametrize(
    ("name", "unsafe"),
    [
        ("eleves.csv", False),
        ("dossier/eleves.csv", False),
        ("/etc/passwd", True),
        ("\\windows\\x.csv", True),
        ("C:/x.csv", True),
        ("../eleves.csv", True),
        ("a/../../eleves.csv", True),
        ("a\\..\\b.csv", True),
        ("..eleves.csv", False),
    ],
)
def test_absolute_and_parent_paths_are_unsafe(name: str, unsafe: bool) -> None:
    assert unsafe_path(name) is unsafe


def test_not_a_zip_is_refused() -> None:
    assert "pas une archive zip" in refusal(b"%PDF-1.4 nothing")
    assert "zip" in refusal(b"PK\x03\x04 broken")


def test_a_member_with_a_parent_path_is_refused() -> None:
    assert "chemin interdit" in refusal(zip_of({"../../etc/cron.d/x": b"a"}))


def test_too_many_members_are_refused() -> None:
    data = zip_of({f"f{i}.csv": b"a" for i in range(5)})
    assert "5 fichiers" in refusal(data, ZipLimits(max_members=4))


def test_an_encrypted_member_is_refused() -> None:
    data = bytearray(zip_of({"eleves.csv": b"a;b\n"}, zipfile.ZIP_STORED))
    # set the "encrypted" flag in the local header and the central directory
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        flags = struct.unpack_from("<H", data, at + offset)[0]
        struct.pack_into("<H", data, at + offset, flags | 1)
    assert "chiffré" in refusal(bytes(data))


def test_a_zip_bomb_is_refused_from_its_headers() -> None:
    data = zip_of({"eleves.csv": b"0" * 2_000_000})
    assert "bombe zip" in refusal(data, ZipLimits(max_ratio=100))
    assert "bombe zip" in refusal(data, ZipLimits(max_ratio=10_000, max_total_bytes=1_000_000))


def test_a_bomb_lying_about_its_size_is_cut_off_while_streaming() -> None:
    data = bytearray(zip_of({"eleves.csv": b"0" * 2_000_000}))
    # the headers now announce 1,000 bytes: the headers pass, the stream must not
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        struct.pack_into("<I", data, at + offset, 1000)
    archive = SafeZip(bytes(data), ZipLimits(max_ratio=1000))
    with pytest.raises(ArchiveRefused, match="abîmé"):
        list(archive.rows(archive.infos[0]))
    assert archive.spent <= 1000  # never more than announced was decompressed


def test_the_total_is_enforced_while_streaming() -> None:
    members = {f"m{i}.csv": b"x;y\n" * 50_000 for i in range(3)}  # 200 kB each
    archive = SafeZip(zip_of(members), ZipLimits(max_total_bytes=10**9, max_ratio=10**6))
    object.__setattr__(archive, "limits", ZipLimits(max_total_bytes=500_000, max_ratio=10**6))
    with pytest.raises(ArchiveRefused, match="taille autorisée"):
        for info in archive.infos:
            list(archive.rows(info))


def test_rows_are_read_in_utf8_with_bom_and_in_cp1252() -> None:
    rows = {"a.csv": [["nom", "prenom"], ["LEFÈVRE", "Zoé"]]}
    for encoding in ("utf-8", "utf-8-sig", "cp1252"):
        archive = SafeZip(to_zip(rows, encoding=encoding), ZipLimits())
        assert list(archive.rows(archive.infos[0])) == rows["a.csv"], encoding


def test_cp1252_after_a_long_ascii_start_is_read_correctly() -> None:
    lines = [["x" * 50, "y"]] * 3000 + [["ÉCOLE", "Noël"]]
    data = to_zip({"a.csv": lines}, encoding="cp1252", compression=zipfile.ZIP_STORED)
    archive = SafeZip(data, ZipLimits())
    assert list(archive.rows(archive.infos[0]))[-1] == ["ÉCOLE", "Noël"]
