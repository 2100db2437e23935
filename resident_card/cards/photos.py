"""Card photos: only JPEG, PNG or WebP, at most 5 MB, decoded, resized and re-encoded as JPEG.

Re-encoding from the pixels drops every byte of metadata (EXIF with its GPS position and camera,
XMP, ICC, comments) and anything hidden after the image; the orientation EXIF asks for is applied
to the pixels first, so the photo still stands upright.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from resident_card.cards.exceptions import InvalidPhoto, PhotoTooLarge

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000  # refuse decompression bombs before decoding a single pixel
MAX_SIDE = 640  # enough to match a face at a glance
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
MEDIA_TYPE = "image/jpeg"
JPEG_QUALITY = 85


@dataclass(frozen=True)
class PreparedPhoto:
    content: bytes
    media_type: str
    width: int
    height: int

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def too_large() -> PhotoTooLarge:
    return PhotoTooLarge(
        megabytes=MAX_PHOTO_BYTES // (1024 * 1024), megapixels=MAX_PHOTO_PIXELS // 1_000_000
    )


def prepare_photo(data: bytes) -> PreparedPhoto:
    """The upload as a clean JPEG of at most ``MAX_SIDE`` pixels a side; or why not (422)."""
    if len(data) > MAX_PHOTO_BYTES:
        raise too_large()
    if not data:
        raise InvalidPhoto()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
                width, height = image.size
                if width < 1 or height < 1:
                    raise InvalidPhoto()
                if width * height > MAX_PHOTO_PIXELS:
                    raise too_large()
                image.load()
                upright = ImageOps.exif_transpose(image)
                if upright.mode in ("RGBA", "LA", "PA") or (
                    upright.mode == "P" and "transparency" in upright.info
                ):
                    rgba = upright.convert("RGBA")
                    flat = Image.new("RGB", rgba.size, (255, 255, 255))
                    flat.paste(rgba, mask=rgba.getchannel("A"))
                else:
                    flat = upright.convert("RGB")
    except (PhotoTooLarge, InvalidPhoto):
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_large() from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InvalidPhoto() from exc
    flat.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # A new image from the pixels alone: no info, no EXIF, no ICC profile goes with it.
    clean = Image.new("RGB", flat.size)
    clean.paste(flat)
    buffer = io.BytesIO()
    clean.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return PreparedPhoto(buffer.getvalue(), MEDIA_TYPE, clean.width, clean.height)
