"""Reading and re-encoding product images: the bytes a merchant sends are never stored.

An upload is read by its content with Pillow, not by its name or declared type: a
renamed PDF, an SVG or anything Pillow cannot decode as JPEG, PNG or WebP is refused,
and so is an image whose pixel count would make decoding it a memory bomb (checked
from the header, before any pixel is decoded). What is kept is a fresh JPEG of the
decoded pixels — EXIF and every other metadata chunk dropped, the EXIF orientation
applied first — no larger than ``MAX_EDGE``, and a square thumbnail of ``THUMB_EDGE``
made once, at upload.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from hotwave.exceptions import DomainError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
# 40 megapixels: any real product photo; a 5 MB PNG of flat colour can claim far more.
MAX_PIXELS = 40_000_000
MAX_EDGE = 1600
THUMB_EDGE = 320
JPEG_QUALITY = 85


@dataclass(frozen=True)
class Encoded:
    """The re-encoded image and its thumbnail, JPEG bytes."""

    image: bytes
    thumb: bytes
    width: int
    height: int


def _refuse(message: str, code: str) -> DomainError:
    return DomainError(message, code=f"image.{code}")


def read_upload(data: bytes) -> Image.Image:
    """Decode ``data`` as a JPEG, PNG or WebP. Raises DomainError with a readable reason."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise _refuse(_("图片不能超过 5MB。"), "too_large")
    if not data:
        raise _refuse(_("文件是空的。"), "empty")
    with warnings.catch_warnings():
        # Pillow warns (and past twice the limit raises) on decompression bombs: both refuse.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            probe = Image.open(io.BytesIO(data))
            fmt = probe.format
            width, height = probe.size
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
            OSError,
            ValueError,
        ) as exc:
            if isinstance(exc, Image.DecompressionBombError | Image.DecompressionBombWarning):
                raise _refuse(_("图片像素过多，无法处理。"), "too_many_pixels") from exc
            raise _refuse(_("这不是 JPG、PNG 或 WebP 图片。"), "not_an_image") from exc
        if fmt not in ACCEPTED_FORMATS:
            raise _refuse(_("这不是 JPG、PNG 或 WebP 图片。"), "not_an_image")
        if width * height > MAX_PIXELS:
            raise _refuse(_("图片像素过多，无法处理。"), "too_many_pixels")
        try:
            image = Image.open(io.BytesIO(data))
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _refuse(_("图片像素过多，无法处理。"), "too_many_pixels") from exc
        except (OSError, ValueError, SyntaxError) as exc:
            raise _refuse(_("图片已损坏，无法读取。"), "broken") from exc
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels, transparency composited on white (JPEG has no alpha)."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # No exif=, no icc_profile=: nothing of the original's metadata is written.
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def encode(image: Image.Image) -> Encoded:
    """The stored form of a decoded image: a bounded JPEG and a square thumbnail."""
    rgb = _flatten(image)
    full = rgb.copy()
    full.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
    thumb = ImageOps.fit(rgb, (THUMB_EDGE, THUMB_EDGE), Image.Resampling.LANCZOS)
    return Encoded(image=_jpeg(full), thumb=_jpeg(thumb), width=full.width, height=full.height)


def process_upload(data: bytes) -> Encoded:
    """Check and re-encode an uploaded file's bytes. Raises DomainError (too large, not
    an image, too many pixels, broken)."""
    return encode(read_upload(data))
