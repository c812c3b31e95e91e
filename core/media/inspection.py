"""What a file really is (magic bytes) and making images safe to share (Pillow).

`sniff` reads only the first bytes, so it works on a streamed upload's head and on a ranged
read of an object in storage. A small table is enough for the types we accept and avoids a
libmagic system dependency; anything not in it is "unrecognised" and refused.

`sanitize_image` re-encodes an image without its metadata: EXIF (with GPS position, camera
serial numbers), XMP and comments. The EXIF orientation is applied to the pixels first, so
photos taken on a rotated phone still display upright. It also renders a JPEG thumbnail.
Both are CPU-bound: call them in a worker thread.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

HEAD_BYTES = 64  # enough for every signature below

THUMBNAIL_SIZE = (320, 320)
MAX_PIXELS = 50_000_000  # refuse decompression bombs well before Pillow's own limit

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
# ISO base media files: `....ftyp<brand>`; the brand tells MP4 video from HEIF/AVIF images.
_MP4_BRANDS = frozenset({b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ",
                         b"dash", b"MSNV", b"3gp4", b"3gp5", b"3gp6"})
_OTHER_BRANDS = {b"heic": "image/heic", b"heix": "image/heic", b"mif1": "image/heif", b"msf1": "image/heif",
                 b"avif": "image/avif", b"qt  ": "video/quicktime"}

_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}


def sniff(head: bytes) -> str | None:
    """The content type the first bytes of a file announce, or None when unrecognised."""
    for magic, content_type in _SIGNATURES:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _MP4_BRANDS:
            return "video/mp4"
        return _OTHER_BRANDS.get(brand)
    return None


def is_image(content_type: str) -> bool:
    return content_type in _FORMATS


class ImageRejected(ValueError):
    """The file claims to be an image but cannot be decoded safely; the message says why."""


@dataclass(frozen=True, slots=True)
class SanitizedImage:
    size: int  # bytes written to the destination
    width: int
    height: int
    thumbnail: bytes  # JPEG


def sanitize_image(src: Path, dst: Path, content_type: str) -> SanitizedImage:
    """Write `src` to `dst` without metadata (orientation applied) and make a thumbnail."""
    fmt = _FORMATS[content_type]
    try:
        with Image.open(src, formats=[fmt]) as im:
            if im.width * im.height > MAX_PIXELS:
                raise ImageRejected(f"图片分辨率过大 (image too large: {im.width}×{im.height} pixels, "
                                    f"at most {MAX_PIXELS // 1_000_000} megapixels)")
            animated = bool(getattr(im, "is_animated", False))
            options: dict[str, object] = {}
            if icc := im.info.get("icc_profile"):
                options["icc_profile"] = icc
            if animated:  # keep every frame; the metadata goes because `info` is not passed on
                options["save_all"] = True
                for key in ("duration", "loop"):
                    if key in im.info:
                        options[key] = im.info[key]
                clean = im
            else:
                im.load()
                clean = ImageOps.exif_transpose(im)  # a new image: pixels upright, no orientation tag
            if fmt == "JPEG":
                options.update(quality=90, optimize=True)
                if clean.mode not in ("RGB", "L", "CMYK"):
                    clean = clean.convert("RGB")
            elif fmt == "WEBP":
                options["quality"] = 90
            saved_info, clean.info = clean.info, {}  # drop EXIF, XMP and comments before saving
            clean.save(dst, fmt, **options)
            clean.info = saved_info
            width, height = clean.size
            im.seek(0)
            thumb = _thumbnail(im.copy() if animated else clean.copy())
    except ImageRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageRejected(f"图片已损坏或无法识别 (the image cannot be decoded: {exc.__class__.__name__})") from exc
    return SanitizedImage(size=dst.stat().st_size, width=width, height=height, thumbnail=thumb)


def _thumbnail(im: Image.Image) -> bytes:
    im.thumbnail(THUMBNAIL_SIZE)
    if im.mode in ("RGBA", "LA", "P"):
        rgba = im.convert("RGBA")
        im = Image.new("RGB", rgba.size, (255, 255, 255))
        im.paste(rgba, mask=rgba.getchannel("A"))
    elif im.mode != "RGB":
        im = im.convert("RGB")
    out = io.BytesIO()
    im.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()
