"""Product images: checked by their content, re-encoded without metadata, kept in the
``assets`` storage (the local disk by default, an S3-compatible bucket in production).

An upload is accepted only if Pillow decodes it as PNG, JPEG, WebP or GIF, whatever its
name or declared type says; SVG, HTML or a script renamed ``.png`` is refused. The pixels
are then written out again by Pillow, so EXIF/XMP/comments (GPS positions, camera serials)
and anything appended after the image data are gone; only the colour profile, transparency
and animation timing survive. The stored name is ours (``<project>/<random>.<ext>``).
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from dreamapi.errors import ApiError
from tenants.ids import random_token
from tenants.models import Project

from ..models import Asset

STORAGE_ALIAS = "assets"

# Pillow format -> (content type, file extension, info keys worth keeping when re-encoding)
FORMATS = {
    "PNG": ("image/png", "png", ("icc_profile", "transparency", "gamma", "duration", "loop", "disposal", "blend")),
    "JPEG": ("image/jpeg", "jpg", ("icc_profile",)),
    "WEBP": ("image/webp", "webp", ("icc_profile", "duration", "loop", "background")),
    "GIF": ("image/gif", "gif", ("transparency", "duration", "loop", "background", "disposal")),
}
CONTENT_TYPES = {ext: content_type for content_type, ext, _ in FORMATS.values()}
MAX_SIDE = 10_000
MAX_PIXELS = 40_000_000  # per frame
MAX_FRAMES = 200


@dataclass(frozen=True)
class EncodedImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def _invalid(message: str) -> ApiError:
    return ApiError(message, code="invalid_image", title="Invalid image")


def image_too_large(limit: int) -> ApiError:
    return ApiError(f"Images may be at most {limit // (1024 * 1024)} MB ({limit} bytes).", code="image_too_large",
                    title="Payload too large", status_code=413)


def image_reencode(data: bytes) -> EncodedImage:
    """Decode ``data`` as one of the allowed formats and write it out again without metadata.

    Raises ApiError (400 ``invalid_image``) for anything that is not such an image, and for
    images too large in pixels (decompression bombs).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(BytesIO(data), formats=list(FORMATS)) as probe:
                image_format = probe.format or ""
                probe.verify()
            with Image.open(BytesIO(data), formats=[image_format]) as image:
                return _reencode(image, image_format)
        except ApiError:
            raise
        except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _invalid("The file is not a PNG, JPEG, WebP or GIF image (or it is too large to decode).") from exc
        except (OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, TypeError) as exc:
            # Truncated or corrupt data: Pillow reports it through any of these.
            raise _invalid(f"The image could not be decoded ({type(exc).__name__}).") from exc


def _reencode(image: Image.Image, image_format: str) -> EncodedImage:
    content_type, extension, keep = FORMATS[image_format]
    width, height = image.size
    frames = getattr(image, "n_frames", 1)
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise _invalid(f"The image is {width}×{height} pixels; at most {MAX_SIDE} per side and "
                       f"{MAX_PIXELS:,} pixels in all.")
    if frames > MAX_FRAMES:
        raise _invalid(f"The animation has {frames} frames; at most {MAX_FRAMES}.")
    image.load()
    # Only what describes the pixels survives: no EXIF, XMP, text chunks or comments.
    image.info = {key: value for key, value in image.info.items() if key in keep}
    out = BytesIO()
    if frames > 1:
        image.save(out, image_format, save_all=True)
    elif image_format == "JPEG":
        upright = ImageOps.exif_transpose(image)  # the orientation lived in the EXIF we drop
        if upright.mode not in ("RGB", "L", "CMYK"):
            upright = upright.convert("RGB")
        upright.info = {key: value for key, value in image.info.items() if key in keep}
        upright.save(out, "JPEG", quality=90, optimize=True)
    else:
        image.save(out, image_format)
    return EncodedImage(data=out.getvalue(), content_type=content_type, extension=extension,
                        width=width, height=height)


def asset_create(*, project: Project, mode: str, upload: UploadedFile) -> Asset:
    """Validate, re-encode and store an uploaded image. The file is written before the row,
    and removed again if the row cannot be saved, so neither exists without the other."""
    limit = settings.STORE_ASSET_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise image_too_large(limit)
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise image_too_large(limit)
    if not data:
        raise _invalid("The file is empty.")
    encoded = image_reencode(data)
    storage = storages[STORAGE_ALIAS]
    key = f"{project.public_id}/{random_token(32)}.{encoded.extension}"
    stored = storage.save(key, ContentFile(encoded.data))
    try:
        with transaction.atomic():
            return Asset.objects.create(
                project=project, mode=mode, key=stored, content_type=encoded.content_type, size=len(encoded.data),
                width=encoded.width, height=encoded.height, sha256=hashlib.sha256(encoded.data).hexdigest(),
            )
    except BaseException:
        storage.delete(stored)
        raise


def asset_delete(*, asset: Asset) -> None:
    """Remove an image no product uses any more (the file once the row is gone)."""
    key = asset.key
    asset.delete()
    transaction.on_commit(lambda: storages[STORAGE_ALIAS].delete(key))
