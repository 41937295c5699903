# TEMPORARY local stand-in, never committed: the real module comes from branch exports2.
import io
import zipfile
from dataclasses import dataclass
from typing import Any

from daemon.codes import InvalidUAI, parse_uai


@dataclass(frozen=True)
class ArchiveLimits:
    max_members: int = 20

    @classmethod
    def from_settings(cls, s: Any) -> "ArchiveLimits":
        return cls()


def check_archive(
    data, filename, *, limits, school_year_start, expected_uai=None, known_uais=None
) -> dict:
    try:
        uai = parse_uai(filename.rsplit(".", 1)[0])
    except InvalidUAI as e:
        return {
            "uai": None,
            "accepted": False,
            "refusal": str(e),
            "members": [],
            "headcount": None,
            "findings": [],
            "pupils": [],
        }
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return {
            "uai": uai,
            "accepted": False,
            "refusal": "pas une archive zip",
            "members": [],
            "headcount": None,
            "findings": [],
            "pupils": [],
        }
    return {
        "uai": uai,
        "accepted": True,
        "refusal": None,
        "members": z.namelist(),
        "headcount": {"total": 5},
        "findings": [],
        "pupils": [],
    }
