"""An organization's logo: checked and re-encoded before it is kept, served only as PNG.

Only raster images are accepted (PNG, JPEG, WebP, GIF); SVG is refused because it can carry scripts.
Every accepted logo is decoded and written again as a PNG no larger than ``MAX_SIDE`` pixels, so what
is served holds no metadata (a photo's location) and nothing the upload smuggled in.
"""

from __future__ import annotations

import hashlib
import io

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

MAX_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 25_000_000  # larger images are refused before they are decoded (decompression bombs)
MAX_SIDE = 512
FORMATS = {"PNG", "JPEG", "WEBP", "GIF"}


def clean_logo(upload: UploadedFile) -> bytes:
    """The PNG to keep for an uploaded logo, or a ValidationError in the person's language."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if upload.size is None or upload.size > MAX_BYTES:
        raise ValidationError(_("The logo must be smaller than 2 MB."), code="too_big")
    wrong_type = ValidationError(_("Upload the logo as a PNG, JPEG or WebP image."), code="type")
    try:
        with Image.open(upload) as image:
            if image.format not in FORMATS:
                raise wrong_type
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError(_("The logo has too many pixels."), code="too_big")
            image.load()
            picture = ImageOps.exif_transpose(image).convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise wrong_type from exc
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()


def digest(png: bytes) -> str:
    return hashlib.sha256(png).hexdigest()[:16]
