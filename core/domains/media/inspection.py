"""What a file really is (magic bytes) and making images safe to share (Pillow).

`sniff` reads only the first bytes, so it works on a streamed upload's head and on a ranged
read of an object in storage. A small table is enough for the types we accept and avoids a
libmagic system dependency; anything not in it is "unrecognised" and refused. Pillow is only
ever asked to decode the one format the bytes announce (`formats=[...]`), so TIFF, PSD, ICO
and the other formats it could open are never decoded at all.

Images are decoded under a budget, checked from the headers before a single pixel is decoded
(`plan_image`), because a few hundred kilobytes can describe gigabytes of pixels:

- one frame at most `MAX_PIXELS` (Pillow's own `MAX_IMAGE_PIXELS` is set to the same figure,
  so a frame it would consider a decompression bomb is refused while opening);
- at most `MAX_FRAMES` frames, and `MAX_ANIMATION_PIXELS` decoded pixels over all frames
  together (frames × canvas: GIF, APNG and WebP frames are composited onto the full canvas);
- the frame count of a GIF comes from walking its block headers (no decoding, stopping once
  the budget is exceeded), of APNG and WebP from their headers. JPEG (MPO) files keep only
  their first frame.

`sanitize_image` then re-encodes the image without its metadata: EXIF (with GPS position,
camera serial numbers), XMP, comments and application extensions; for animations only each
frame's duration and transparency survive. The EXIF orientation is applied to the pixels
first, so photos taken on a rotated phone still display upright. It also renders a JPEG
thumbnail. Between frames it checks a deadline, and it re-checks the budget on the frames it
actually decodes. Both functions are CPU-bound: run them through `media.workers`.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

HEAD_BYTES = 64  # enough for every signature below

THUMBNAIL_SIZE = (320, 320)
MAX_PIXELS = 50_000_000  # one frame (a 50-megapixel phone photo is 8160×6144 ≈ 50.1 MP: refused)
MAX_FRAMES = 200
MAX_ANIMATION_PIXELS = 25_000_000  # frames × canvas pixels, all frames together
DEADLINE_SECONDS = 20.0  # wall-clock time one image may take, checked between frames

# Pillow warns above MAX_IMAGE_PIXELS and refuses above twice that while opening; every
# frame we accept is below it, so the warning only precedes one of our own refusals.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

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
_ANIMATED_FORMATS = frozenset({"GIF", "PNG", "WEBP"})
_FRAME_INFO = ("duration", "transparency")  # all a frame keeps of its metadata

TOO_LARGE = "IMAGE_TOO_LARGE"
UNREADABLE = "IMAGE_UNREADABLE"
TOO_SLOW = "IMAGE_TOO_SLOW"


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
    """The file claims to be an image but cannot be decoded safely; the message says why.

    `reason` is stable: IMAGE_TOO_LARGE (over the pixel or frame budget), IMAGE_TOO_SLOW
    (over the deadline) or IMAGE_UNREADABLE (corrupt or not what it claims to be).
    """

    def __init__(self, message: str, reason: str = UNREADABLE) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ImagePlan:
    """What decoding an image will cost, read from its headers only."""

    width: int
    height: int
    frames: int  # frames that will be decoded (1 for still images and JPEG/MPO)

    @property
    def pixels(self) -> int:
        """Decoded pixels over all frames: the budget and the lane (`media.workers`) use this."""
        return self.frames * self.width * self.height


@dataclass(frozen=True, slots=True)
class SanitizedImage:
    size: int  # bytes written to the destination
    width: int
    height: int
    thumbnail: bytes  # JPEG
    sha256: str  # of the destination file


def _too_large_frame(width: int, height: int) -> ImageRejected:
    return ImageRejected(f"图片分辨率过大 (image too large: {width}×{height} pixels, at most "
                         f"{MAX_PIXELS // 1_000_000} megapixels)", TOO_LARGE)


def _too_many_frames() -> ImageRejected:
    return ImageRejected(f"动图帧数过多：最多 {MAX_FRAMES} 帧 (too many frames: at most {MAX_FRAMES})", TOO_LARGE)


def _animation_too_large(frames: int, width: int, height: int) -> ImageRejected:
    limit = MAX_ANIMATION_PIXELS // 1_000_000
    return ImageRejected(f"动图过大：{frames} 帧 × {width}×{height} 像素，超过 {limit} 百万像素的处理上限 "
                         f"(animation too large: frames × pixels must stay under {limit} megapixels; "
                         f"use fewer or smaller frames)", TOO_LARGE)


def _over_budget(frames: int, width: int, height: int) -> ImageRejected | None:
    if width * height > MAX_PIXELS:
        return _too_large_frame(width, height)
    if frames > MAX_FRAMES:
        return _too_many_frames()
    if frames > 1 and frames * width * height > MAX_ANIMATION_PIXELS:
        return _animation_too_large(frames, width, height)
    return None


def _unreadable(exc: BaseException) -> ImageRejected:
    return ImageRejected(f"图片已损坏或无法识别 (the image cannot be decoded: {exc.__class__.__name__})")


@contextmanager
def _decoding() -> Iterator[None]:
    """Pillow's errors while opening or decoding, as ImageRejected (ours pass through)."""
    try:
        yield
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(f"图片分辨率过大 (image too large: {exc})", TOO_LARGE) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _unreadable(exc) from exc


def plan_image(src: Path, content_type: str) -> ImagePlan:
    """Read an image's headers and refuse it (ImageRejected) when decoding it would be over budget."""
    fmt = _FORMATS[content_type]
    with _decoding(), Image.open(src, formats=[fmt]) as im:
        width, height = im.size
        if width * height > MAX_PIXELS:
            raise _too_large_frame(width, height)
        frames = 1
        if fmt == "GIF":
            with open(src, "rb") as f:
                frames, width, height = gif_extent(f, MAX_FRAMES)
        elif fmt in _ANIMATED_FORMATS:
            frames = max(1, int(getattr(im, "n_frames", 1)))
    if problem := _over_budget(frames, width, height):
        raise problem
    return ImagePlan(width, height, frames)


def gif_extent(f: BinaryIO, max_frames: int) -> tuple[int, int, int]:
    """(frames, width, height) of a GIF from its block headers alone; stops counting past
    `max_frames` frames or once frames × canvas exceeds the animation budget.

    The canvas grows to cover frames that extend past the logical screen (Pillow does the same).
    """
    head = f.read(13)
    if len(head) < 13:
        raise ImageRejected("图片已损坏或无法识别 (the image cannot be decoded: truncated GIF header)")
    width, height = int.from_bytes(head[6:8], "little"), int.from_bytes(head[8:10], "little")
    if head[10] & 0x80:
        f.seek(3 << ((head[10] & 7) + 1), io.SEEK_CUR)  # global colour table
    frames = 0
    while frames <= max_frames and (frames < 2 or frames * width * height <= MAX_ANIMATION_PIXELS):
        introducer = f.read(1)
        if introducer == b"!":  # extension: label, then sub-blocks
            f.read(1)
            _skip_sub_blocks(f)
        elif introducer == b",":  # image descriptor: left, top, width, height, flags
            desc = f.read(9)
            if len(desc) < 9:
                break
            left, top = int.from_bytes(desc[0:2], "little"), int.from_bytes(desc[2:4], "little")
            w, h = int.from_bytes(desc[4:6], "little"), int.from_bytes(desc[6:8], "little")
            width, height = max(width, left + w), max(height, top + h)
            if desc[8] & 0x80:
                f.seek(3 << ((desc[8] & 7) + 1), io.SEEK_CUR)  # local colour table
            f.read(1)  # LZW minimum code size
            _skip_sub_blocks(f)
            frames += 1
        else:  # trailer, end of file or garbage: Pillow stops there too
            break
    return max(frames, 1), width, height


def _skip_sub_blocks(f: BinaryIO) -> None:
    while (size := f.read(1)) and size[0]:
        f.seek(size[0], io.SEEK_CUR)


def sanitize_image(src: Path, dst: Path, content_type: str, plan: ImagePlan | None = None,
                   deadline: float | None = None) -> SanitizedImage:
    """Write `src` to `dst` without metadata (orientation applied) and make a thumbnail.

    `deadline` is a `time.monotonic()` value (default: DEADLINE_SECONDS from now).
    """
    fmt = _FORMATS[content_type]
    plan = plan or plan_image(src, content_type)
    deadline = time.monotonic() + DEADLINE_SECONDS if deadline is None else deadline
    with _decoding(), Image.open(src, formats=[fmt]) as im:
        options: dict[str, object] = {}
        if icc := im.info.get("icc_profile"):
            options["icc_profile"] = icc
        if plan.frames > 1 and fmt in _ANIMATED_FORMATS:
            frames = _frames(im, deadline)
            first, rest = frames[0], frames[1:]
            options.update(save_all=True, append_images=rest, loop=im.info.get("loop", 0),
                           duration=[fr.info.get("duration", 100) for fr in frames])
            if fmt == "WEBP":
                options["quality"] = 90
            first.save(dst, fmt, **options)
            thumb_source = first.copy()
        else:
            im.load()
            clean = ImageOps.exif_transpose(im)  # a new image: pixels upright, no orientation tag
            if fmt == "JPEG":
                options.update(quality=90, optimize=True)
                if clean.mode not in ("RGB", "L", "CMYK"):
                    clean = clean.convert("RGB")
            elif fmt == "WEBP":
                options["quality"] = 90
            clean.info = {}  # drop EXIF, XMP and comments before saving
            clean.save(dst, fmt, **options)
            thumb_source = clean
        width, height = thumb_source.size
        thumb = _thumbnail(thumb_source.copy())
    return SanitizedImage(size=dst.stat().st_size, width=width, height=height, thumbnail=thumb,
                          sha256=sha256_file(dst))


def _frames(im: Image.Image, deadline: float) -> list[Image.Image]:
    """Every frame as a plain image that keeps only its duration and transparency.

    The budget is checked again on what is really decoded (a header may lie), and the
    deadline between frames.
    """
    out: list[Image.Image] = []
    pixels = 0
    for n, frame in enumerate(ImageSequence.Iterator(im), start=1):
        if time.monotonic() > deadline:
            raise ImageRejected(f"图片处理超时 (image took longer than {DEADLINE_SECONDS:.0f} s to process; "
                                f"use fewer or smaller frames)", TOO_SLOW)
        width, height = frame.size
        if width * height > MAX_PIXELS:
            raise _too_large_frame(width, height)
        pixels += width * height
        if n > MAX_FRAMES:
            raise _too_many_frames()
        if n > 1 and pixels > MAX_ANIMATION_PIXELS:
            raise _animation_too_large(n, width, height)
        copy = frame.copy()
        copy.info = {k: frame.info[k] for k in _FRAME_INFO if k in frame.info}
        out.append(copy)
    return out


def _thumbnail(im: Image.Image) -> bytes:
    im.thumbnail(THUMBNAIL_SIZE)
    if im.mode in ("RGBA", "LA", "P", "PA"):
        rgba = im.convert("RGBA")
        im = Image.new("RGB", rgba.size, (255, 255, 255))
        im.paste(rgba, mask=rgba.getchannel("A"))
    elif im.mode != "RGB":
        im = im.convert("RGB")
    out = io.BytesIO()
    im.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
