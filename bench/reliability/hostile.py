"""1,000 hostile files for the drop folder, made reproducibly (seeded): mutated PDFs of the test
fixtures, mutated and garbage CSVs, zips (broken, nested, too many members, path traversal, a zip
bomb), zero-byte files, files over `intake.max_file_mb` (sparse), wrong extensions, awkward names,
PDF CPU bombs (a 48 kB page unpacking to 16 MB, and pages just under the content limit that
still take seconds to read), symbolic links (to the installation's secrets, to a folder,
dangling), FIFOs, and junk names the watcher must leave alone. `Plan.expected` says where each
file that is not a file must end: quarantined, with which words in its reason."""

from __future__ import annotations

import hashlib
import io
import os
import random
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from daemon.ingest.intake.storage import is_junk

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "reports" / "files"
UAIS = ("0441234C", "0441235D", "0441236E", "0441237F")  # the schools of the fixtures
BOMB_MB = 300


@dataclass(frozen=True)
class Plan:
    files: int  # files written (symlinks and FIFOs included)
    junk: int  # of which junk names, which the watcher leaves in place by design
    by_kind: dict[str, int]
    bomb_sha256: str
    expected: dict[str, str]  # name → words its quarantine reason must hold (links, FIFOs, bombs)


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One random mutation: flipped bytes, a truncation, an insertion or a repeated chunk."""
    buf = bytearray(data)
    how = rng.choice(("flip", "truncate", "insert", "repeat", "header"))
    if how == "flip" or not buf:
        for _ in range(rng.randint(1, 40)):
            if buf:
                buf[rng.randrange(len(buf))] = rng.randrange(256)
    elif how == "truncate":
        del buf[rng.randrange(len(buf)) :]
    elif how == "insert":
        at = rng.randrange(len(buf))
        buf[at:at] = rng.randbytes(rng.randint(1, 4096))
    elif how == "repeat":
        at = rng.randrange(len(buf))
        buf[at:at] = buf[at : at + rng.randint(1, 20000)] * rng.randint(2, 50)
    else:
        buf[:8] = rng.randbytes(8)
    return bytes(buf)


def make_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def zip_bomb(megabytes: int = BOMB_MB) -> bytes:
    """One member of `megabytes` (BOMB_MB) of zeros, about 300 kB compressed."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("CSVExtraction.csv", "w", force_zip64=True) as member,
    ):
        for _ in range(megabytes):
            member.write(bytes(1024 * 1024))
    return out.getvalue()


def cpu_bomb_pdf(content_kb: int = 16 * 1024) -> bytes:
    """A one-page PDF whose page is `content_kb` kB of text-drawing operators, compressed: the
    default is about 48 kB on disk and 16 MB once unpacked — minutes of CPU for a PDF reader
    that parses it all (pypdf reads about 1 MB of operators a second)."""
    unit = b"BT /F1 9 Tf 1 0 0 1 72 700 Tm (ELEVE) Tj ET\n"
    stream = zlib.compress(unit * (content_kb * 1024 // len(unit)), 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%b\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_of(objects)


def pdf_of(objects: list[bytes]) -> bytes:
    """A PDF file of these objects (numbered from 1, the first the catalog), with its xref."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Root 1 0 R /Size %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def garbage_csv(rng: random.Random) -> bytes:
    columns = rng.randint(1, 40)
    rows = rng.randint(0, 400)
    sep = rng.choice(";,\t|")
    cell = lambda: rng.choice(("", "NOM", "é" * rng.randint(1, 50), str(rng.random()), '"', "\0"))  # noqa: E731
    lines = [sep.join(cell() for _ in range(columns)) for _ in range(rows)]
    return "\n".join(lines).encode(rng.choice(("utf-8", "utf-16", "cp1252")), "replace")


@dataclass(frozen=True)
class Sources:
    pdfs: list[bytes]
    csvs: list[bytes]
    texts: list[bytes]
    bomb: bytes

    @classmethod
    def load(cls, bomb_mb: int) -> Sources:
        read = lambda pattern: [p.read_bytes() for p in sorted(FIXTURES.glob(pattern))]  # noqa: E731
        return cls(read("*.pdf"), read("extraction-*.csv"), read("*.txt"), zip_bomb(bomb_mb))


Maker = Callable[[int, random.Random, Sources], tuple[str, bytes]]
JUNK = ("~${}.pdf", "cr-{}.pdf.part", "cr-{}.pdf.crdownload", ".~lock.cr-{}.pdf#", "{}.tmp", ".x{}")
EXTENSIONS = (".csv", ".zip", ".exe", ".docx", "", ".pdf", ".txt", ".bin")


def uai(n: int) -> str:
    return UAIS[n % len(UAIS)]


def mutated_pdf(n: int, r: random.Random, s: Sources) -> tuple[str, bytes]:
    return f"{uai(n)}-cr-{n}.pdf", mutate(r.choice(s.pdfs), r)


def fixture_pdf(n: int, r: random.Random, s: Sources) -> tuple[str, bytes]:
    return f"{uai(n)}/cr-{n}.pdf", r.choice(s.pdfs)


def mutated_csv(n: int, r: random.Random, s: Sources) -> tuple[str, bytes]:
    return f"{uai(n)}-CSVExtraction-{n}.csv", mutate(r.choice(s.csvs), r)


def junk_csv(n: int, r: random.Random, s: Sources) -> tuple[str, bytes]:
    return f"extraction-{n}.csv", garbage_csv(r)


def mutated_text(n: int, r: random.Random, s: Sources) -> tuple[str, bytes]:
    return f"{uai(n)}-cr-{n}.txt", mutate(r.choice(s.texts), r)


def fixture_zip(n: int, r: random.Random, s: Sources) -> tuple[str, bytes]:
    return f"lot-{n}/{uai(n)}.zip", make_zip({"CSVExtraction.csv": r.choice(s.csvs)})


def mutated_zip(n: int, r: random.Random, s: Sources) -> tuple[str, bytes]:
    return f"zip-casse-{n}/{uai(n)}.zip", mutate(
        make_zip({"CSVExtraction.csv": r.choice(s.csvs)}), r
    )


def bomb_zip(n: int, r: random.Random, s: Sources) -> tuple[str, bytes]:
    return f"bombe-{n}/{uai(n)}.zip", s.bomb


def nested_zip(n: int, r: random.Random, s: Sources) -> tuple[str, bytes]:
    return f"gigogne-{n}/{uai(n)}.zip", make_zip({"in.zip": make_zip({"x.csv": b"a"})})


def crowded_zip(n: int, r: random.Random, s: Sources) -> tuple[str, bytes]:
    return f"membres-{n}/{uai(n)}.zip", make_zip({f"m{i}.csv": b"a" for i in range(500)})


def escaping_zip(n: int, r: random.Random, s: Sources) -> tuple[str, bytes]:
    return f"evasion-{n}/{uai(n)}.zip", make_zip({"../../../etc/cron.d/x": b"* * * * * id"})


def zero_byte(n: int, r: random.Random, s: Sources) -> tuple[str, bytes]:
    return f"vide-{n}" + r.choice(EXTENSIONS), b""


def wrong_extension(n: int, r: random.Random, s: Sources) -> tuple[str, bytes]:
    return f"cr-{n}" + r.choice(EXTENSIONS[:5]), r.choice(s.pdfs + s.csvs)


def random_bytes(n: int, r: random.Random, s: Sources) -> tuple[str, bytes]:
    return f"inconnu-{n}" + r.choice(EXTENSIONS), r.randbytes(r.randint(1, 200_000))


def awkward(n: int, r: random.Random, s: Sources) -> tuple[str, bytes]:
    return awkward_name(n, r), r.choice([*s.pdfs, *s.csvs, b"x"])


def junk_name(n: int, r: random.Random, s: Sources) -> tuple[str, bytes]:
    return r.choice(JUNK).format(n), b"junk"


def cpu_bomb(n: int, r: random.Random, s: Sources) -> tuple[str, bytes]:
    return f"{uai(n)}-bombe-cpu-{n}.pdf", cpu_bomb_pdf(16 * 1024)


def slow_pdf(n: int, r: random.Random, s: Sources) -> tuple[str, bytes]:
    return f"{uai(n)}-lent-{n}.pdf", cpu_bomb_pdf(1900)  # under the content limit


MAKERS: list[tuple[str, int, Maker]] = [
    ("mutated PDF", 296, mutated_pdf),
    ("PDF CPU bomb (48 kB, 16 MB of content)", 5, cpu_bomb),
    ("PDF just under the content limit (seconds of CPU)", 2, slow_pdf),
    ("fixture PDF as is", 40, fixture_pdf),
    ("mutated extraction CSV", 100, mutated_csv),
    ("garbage CSV", 60, junk_csv),
    ("mutated text CR", 40, mutated_text),
    ("zip of a fixture", 40, fixture_zip),
    ("mutated zip", 60, mutated_zip),
    ("zip bomb", 5, bomb_zip),
    ("nested zip", 15, nested_zip),
    ("zip of 500 members", 5, crowded_zip),
    ("zip with ../ members", 10, escaping_zip),
    ("zero-byte", 60, zero_byte),
    ("wrong extension", 120, wrong_extension),
    ("random bytes", 60, random_bytes),
    ("awkward name", 70, awkward),
    ("junk name (left alone)", 60, junk_name),
]


EXPECTED = {
    "PDF CPU bomb (48 kB, 16 MB of content)": "trop lourde à lire",
    "PDF just under the content limit (seconds of CPU)": "lecture interrompue",
}


def plan_files(
    target: Path,
    *,
    count: int = 1000,
    max_file_mb: int,
    seed: int = 8,
    bomb_mb: int = BOMB_MB,
    secrets: tuple[Path, ...] = (),
) -> Plan:
    """Write `count` hostile files under `target` (some in sub-folders), plus junk names (lock
    and partial-download files) that the watcher must leave alone; returns what was made.
    `secrets`: files of the installation that links will point to (the signing key, the
    database), to check they are never read nor deleted."""
    rng, sources = random.Random(seed), Sources.load(bomb_mb)
    by_kind: dict[str, int] = {}
    expected: dict[str, str] = {}
    written = junk = 0
    for kind, how_many, make in MAKERS:
        for _ in range(how_many):
            name, data = make(written, rng, sources)
            path = target / name
            if path.exists():
                raise AssertionError(f"two hostile files named {name!r}")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            written += 1
            junk += is_junk(path.name)
            if kind in EXPECTED:
                expected[path.name] = EXPECTED[kind]
        by_kind[kind] = how_many
    for n in range(3):  # over the size limit, sparse so it costs nothing
        with (target / f"{uai(n)}-enorme-{n}.pdf").open("wb") as handle:
            handle.truncate((max_file_mb + 150) * 1024 * 1024)
    by_kind["over max_file_mb (sparse)"] = 3
    written += 3
    written += _not_files(target, secrets, by_kind, expected)
    if written - junk != count:
        raise AssertionError(f"planned {written - junk} hostile files, not {count}")
    return Plan(written, junk, by_kind, hashlib.sha256(sources.bomb).hexdigest(), expected)


def _not_files(
    target: Path, secrets: tuple[Path, ...], by_kind: dict[str, int], expected: dict[str, str]
) -> int:
    """Symbolic links and FIFOs: never read, never followed, quarantined as they are."""
    pointed = [*secrets, Path("/etc/passwd")]
    links = {f"lien-{n}.pdf": pointed[n % len(pointed)] for n in range(max(4, len(pointed)))}
    links["lien-vers-rien.pdf"] = target / "n-existe-pas.pdf"
    links["lien-dossier"] = Path("/etc")
    for name, where in links.items():
        os.symlink(where, target / name)
        expected[name] = "lien symbolique"
    for n in range(3):
        os.mkfifo(target / f"tube-{n}.pdf")
        expected[f"tube-{n}.pdf"] = "pas un fichier ordinaire"
    by_kind["symlink"], by_kind["FIFO"] = len(links), 3
    return len(links) + 3


def awkward_name(n: int, rng: random.Random) -> str:
    names = (
        f"Compte rendu école n°{n} (copie).pdf",
        f"{n}-" + "très long nom " * 16 + ".pdf",
        f"-{n}-commence-par-un-tiret.csv",
        f"retour\nà la ligne {n}.pdf",
        f"tab\tet espace {n} .csv",
        f"emoji-{n}-📄.pdf",
        f"\u202eRTL-{n}-fdp.exe",
        f"{n}..pdf",
        f"backslash\\{n}.csv",
        f"CR_{n}.PDF",
    )
    return rng.choice(names)
