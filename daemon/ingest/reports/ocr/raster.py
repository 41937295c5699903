"""A scan's pages as grey images: a PDF rendered by poppler's `pdftoppm`, a photo read by Pillow.

Each page comes with its resolution (dots per inch), so that positions can be turned into points
like a text PDF's. A photo taken sideways keeps its EXIF orientation: it is applied here.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from daemon.ingest.reports.refusal import ReportRefused

RENDER_DPI = 300  # a PDF page is rendered at this resolution (tesseract reads 300 dpi best)
PHOTO_DPI = 300.0  # assumed for a photo that does not say its resolution
MAX_PIXELS = 60_000_000  # a page larger than this is refused (a decompression bomb)
UNREADABLE_IMAGE = "Image illisible ou endommagée"
TOO_LONG = "Lecture par OCR trop longue : abandonnée"

Grey = NDArray[np.uint8]


def grey(array: object) -> Grey:
    """An 8-bit image (OpenCV's results are typed loosely): no copy when it already is one."""
    return np.asarray(array, dtype=np.uint8)


@dataclass
class Page:
    number: int  # from 0
    image: Grey  # 8-bit grey, 255 is white
    dpi: float


def pdf_pages(data: bytes, *, max_pages: int, timeout: float) -> list[Page]:
    """Every page of a PDF rendered in grey at RENDER_DPI."""
    from pdf2image import convert_from_bytes
    from pdf2image.exceptions import PDFPageCountError, PDFPopplerTimeoutError, PDFSyntaxError

    try:
        images = convert_from_bytes(
            data,
            dpi=RENDER_DPI,
            grayscale=True,
            last_page=max_pages,
            timeout=max(1, int(timeout)),
        )
    except (PDFPageCountError, PDFSyntaxError) as exc:
        raise ReportRefused("PDF illisible ou endommagé") from exc
    except PDFPopplerTimeoutError as exc:  # the time budget ran out while rendering
        raise ReportRefused(TOO_LONG) from exc
    return [Page(n, _grey(image), float(RENDER_DPI)) for n, image in enumerate(images)]


def photo_pages(data: bytes, *, max_pages: int) -> list[Page]:
    """A JPEG, PNG or TIFF (a multi-page TIFF gives several pages), turned by its EXIF tag."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    pages: list[Page] = []
    try:
        # Pillow warns about a damaged EXIF block of a file from outside: the page is read, or
        # refused with its reason, either way; the warning would only be noise in the logs.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            with Image.open(io.BytesIO(data)) as image:
                for number in range(min(getattr(image, "n_frames", 1), max_pages)):
                    image.seek(number)
                    upright = ImageOps.exif_transpose(image) or image
                    pages.append(Page(number, _grey(upright), _dpi(image)))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ReportRefused(UNREADABLE_IMAGE) from exc
    return pages


def _dpi(image: Image.Image) -> float:
    """The resolution the image says, when it is believable for a page; else PHOTO_DPI."""
    found = image.info.get("dpi")
    try:
        dpi = float(found[0]) if found else 0.0
    except (TypeError, ValueError, IndexError):
        dpi = 0.0
    return dpi if 70 <= dpi <= 1200 else PHOTO_DPI


def _grey(image: Image.Image) -> Grey:
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image)
    return np.asarray(image.convert("L"), dtype=np.uint8)
