"""The unit files: `systemd-analyze verify` passes and the hardening is there."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

UNITS = sorted((REPO / "systemd").glob("relance*"))
INSTALLED = "/opt/relance/.venv/bin/relance"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_units_verify(tmp_path: Path) -> None:
    relance = Path(sys.executable).with_name("relance")
    assert relance.exists()
    for unit in UNITS:
        text = unit.read_text(encoding="utf-8").replace(INSTALLED, str(relance))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / u.name) for u in UNITS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def test_service_is_hardened_and_notifies() -> None:
    text = (REPO / "systemd" / "relance.service").read_text(encoding="utf-8")
    for directive in (
        "Type=notify",
        "WatchdogSec=",
        "User=relance",
        "StateDirectory=relance",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "ReadWritePaths=/var/lib/relance",
        "LoadCredential=smtp.password:",
        "LoadCredential=mailbox.password:",
        "StandardOutput=journal",
    ):
        assert directive in text, directive
    assert "Password" not in text and "password =" not in text


EXPOSURE = re.compile(r"Overall exposure level for (\S+): (\d+\.\d+)")


def _exposure(unit: Path, folder: Path) -> float:
    """`systemd-analyze security --offline=yes` of a unit file (its relance path made real, so
    that the unit is judged as installed)."""
    relance = Path(sys.executable).with_name("relance")
    copy = folder / unit.name
    copy.write_text(unit.read_text(encoding="utf-8").replace(INSTALLED, str(relance)), "utf-8")
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", "--no-pager", str(copy)],
        capture_output=True,
        text=True,
        check=False,
        cwd=folder,
    )
    if "offline" in result.stderr and "unrecognized option" in result.stderr:
        pytest.skip("systemd-analyze too old for --offline (systemd < 250)")
    found = EXPOSURE.search(result.stdout + result.stderr)
    assert found, result.stdout + result.stderr
    return float(found.group(2))


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
@pytest.mark.parametrize("unit", sorted((REPO / "systemd").glob("*.service")), ids=lambda u: u.name)
def test_every_service_exposure_is_at_most_2_5(unit: Path, tmp_path: Path) -> None:
    exposure = _exposure(unit, tmp_path)
    assert exposure <= 2.5, f"{unit.name}: exposure {exposure} (systemd-analyze security)"
