"""The unit files: `systemd-analyze verify` passes and the hardening is there."""

from __future__ import annotations

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
