"""Files waiting for their confirmation: capped per school and in total, oldest out first."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from daemon.ingest.intake.staging import Staging, StagingRefused

KB = 1024


def waiting_bytes(root: Path, uai: str = "*") -> int:
    return sum(p.stat().st_size for p in root.glob(f"web-uploads/{uai}/*.bin"))


def age(staging: Staging, uai: str, staged: str, seconds: float) -> None:
    path = staging.root / uai / f"{staged}.bin"
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


def test_a_school_cannot_keep_more_than_its_quota_waiting(tmp_path: Path) -> None:
    staging = Staging(tmp_path, per_school_mb=1, total_mb=10)
    ids = []
    for n in range(5):
        ids.append(staging.stage("0441234C", f"f{n}.pdf", b"x" * (300 * KB), at="t"))
        age(staging, "0441234C", ids[-1], 100 - n)  # f0 the oldest
    assert waiting_bytes(tmp_path, "0441234C") <= 1024 * KB
    assert staging.take("0441234C", ids[0]) is None  # the oldest went first
    assert staging.take("0441234C", ids[-1]) == ("f4.pdf", b"x" * (300 * KB))


def test_all_schools_together_stay_within_the_total(tmp_path: Path) -> None:
    staging = Staging(tmp_path, per_school_mb=1, total_mb=2)
    for n in range(12):
        uai = f"044{1234 + n}X"
        staged = staging.stage(uai, "f.pdf", b"x" * (400 * KB), at="t")
        age(staging, uai, staged, 100 - n)
    assert waiting_bytes(tmp_path) <= 2048 * KB


def test_a_file_larger_than_a_quota_is_refused(tmp_path: Path) -> None:
    staging = Staging(tmp_path, per_school_mb=1, total_mb=2)
    with pytest.raises(StagingRefused, match="trop gros"):
        staging.stage("0441234C", "f.pdf", b"x" * (1100 * KB), at="t")


def test_an_id_is_taken_once_and_never_read_outside_the_school_folder(tmp_path: Path) -> None:
    staging = Staging(tmp_path, per_school_mb=1, total_mb=2)
    staged = staging.stage("0441234C", "f.pdf", b"abc", at="t")
    assert staging.take("0441235D", staged) is None  # another school's page
    assert staging.take("0441234C", "../0441234C/" + staged) is None
    assert staging.take("0441234C", staged) == ("f.pdf", b"abc")
    assert staging.take("0441234C", staged) is None
