"""Where taken files are kept: a free name found from one listing of the folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from daemon.ingest.intake import nofollow
from daemon.ingest.intake.storage import free_path


def test_a_taken_name_gets_the_first_free_number(tmp_path: Path) -> None:
    folder = tmp_path / "files" / "2026-09"
    assert free_path(tmp_path, folder, "cr.pdf") == folder / "cr.pdf"  # the folder is not there yet
    folder.mkdir(parents=True)
    (folder / "cr.pdf").write_bytes(b"x")
    (folder / "cr-1.pdf.reason.txt").write_text("raison")  # a reason alone takes its name
    (folder / "cr-2.pdf").symlink_to("/etc/passwd")  # a link takes its name too
    (folder / "cr-4.pdf").write_bytes(b"x")
    assert free_path(tmp_path, folder, "cr.pdf") == folder / "cr-3.pdf"


def test_a_name_taken_hundreds_of_times_is_found_in_one_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "files" / "2026-09"
    folder.mkdir(parents=True)
    for number in range(300):
        (folder / (f"cr-{number}.pdf" if number else "cr.pdf")).write_bytes(b"x")
    opened: list[object] = []
    real_open = os.open

    def counting_open(*args: object, **kwargs: object) -> int:
        opened.append(args[0])
        return real_open(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", counting_open)
    assert free_path(tmp_path, folder, "cr.pdf") == folder / "cr-300.pdf"
    assert len(opened) <= 3  # the base, `files`, the month: not two looks per name taken


def test_a_link_on_the_way_to_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "files").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(nofollow.Refused):
        free_path(tmp_path, tmp_path / "files" / "2026-09", "cr.pdf")
