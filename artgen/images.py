"""Reading images from disk into arrays, the same way for every engine.

Real folders are messy: phone photos lie on their side (EXIF), PNGs carry
transparency or 16-bit samples, scans are CMYK, and a few files are always
truncated or not images at all. Every engine goes through :func:`open_rgb`,
so they all agree on what an image looks like, and training folders go
through :func:`load_folder`, which decodes once and caches the result.

Every image artgen reads is opened by :func:`open_image`, with Pillow's
decoders for the formats artgen names and no others: a PostScript or PDF
file named ``poster.png`` is "not an image", never handed to Ghostscript.
Videos go to ffmpeg only, with their container's demuxer named
(:func:`video_input`); a file with an image suffix never reaches it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from artgen import environment, runs, stored
from artgen.configs import MAX_PIXELS
from artgen.errors import ArtgenError, InputError, os_error_reason
from artgen.events import OnEvent, Progress, Ticker, ignore_events
from artgen.files import open_regular, regular_file

__all__ = [
    "IMAGE_EXTENSIONS",
    "IMAGE_FORMATS",
    "VIDEO_SUFFIXES",
    "max_pixels",
    "limit_pixels",
    "Background",
    "FolderData",
    "UnusableImage",
    "describe_skipped",
    "parse_color",
    "list_images",
    "image_files",
    "check_image",
    "open_image",
    "open_rgb",
    "video_input",
    "square_resize",
    "load_folder",
    "save_png",
    "to_uint8",
    "grid",
]

# open_rgb checks every image's header against max_pixels() before decoding it; Pillow's own,
# fixed check would refuse what --max-pixels allows, and photos that JPEG draft mode shrinks.
# The limit is the process's: set from the config of the engine it runs (limit_pixels).
Image.MAX_IMAGE_PIXELS = None

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"})
# The only Pillow decoders artgen uses, whatever a file's name or first bytes claim; none of them
# calls out to another program (EPS and PDF would start Ghostscript). A camera's MPO opens as a JPEG.
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF")
# A video's suffix names the one ffmpeg demuxer that reads it: ffmpeg never guesses a format from the
# contents, so a playlist or script saved as clip.mp4 is not followed to the files it names.
VIDEO_DEMUXERS = {
    ".mp4": "mov",
    ".mov": "mov",
    ".m4v": "mov",
    ".webm": "matroska",
    ".mkv": "matroska",
    ".avi": "avi",
}
VIDEO_SUFFIXES = frozenset(VIDEO_DEMUXERS)
MIN_SIDE = 8
CACHE_FORMAT = 1

Background = tuple[int, int, int]


class UnusableImage(Exception):
    """Why one file cannot be used; folders skip it, single-file commands refuse it."""


@dataclass
class FolderData:
    """A decoded training folder: ``images`` is (N, size, size, 3) uint8."""

    images: np.ndarray
    found: int
    skipped: list[tuple[str, str]] = field(default_factory=list)
    from_cache: bool = False


def describe_skipped(skipped: list[tuple[str, str]]) -> str:
    """The warning for a folder's unusable files: how many, and the first few with their reasons."""
    names = ", ".join(f"{Path(path).name} ({reason})" for path, reason in skipped[:3])
    more = f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""
    return f"skipped {len(skipped)} unusable files: {names}{more}"


def parse_color(text: str) -> Background:
    """``#rrggbb``, ``rrggbb`` or a name Pillow knows, as an RGB triple."""
    from PIL import ImageColor

    value = text if text.startswith("#") or not _is_hex(text) else f"#{text}"
    try:
        rgb = ImageColor.getrgb(value)
    except ValueError:
        raise InputError(f"unknown colour {text!r}; use #rrggbb or a name like white") from None
    return (rgb[0], rgb[1], rgb[2])


def _is_hex(text: str) -> bool:
    return len(text) == 6 and all(c in "0123456789abcdefABCDEF" for c in text)


def list_images(folder: str | os.PathLike[str]) -> list[Path]:
    """Image files below ``folder`` by extension (any case), hidden ones left out."""
    root = Path(folder)
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and Path(name).suffix.lower() in IMAGE_EXTENSIONS:
                found.append(Path(dirpath) / name)
    return found


def image_files(folder: str | os.PathLike[str]) -> list[Path]:
    """:func:`list_images` of a folder that must hold some: missing, a file, or none is one line."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"{root} is not a folder" if root.exists() else f"{root} does not exist")
    files = list_images(root)
    if not files:
        raise InputError(f"{root} has no images (looked for {', '.join(sorted(IMAGE_EXTENSIONS))})")
    return files


_max_pixels = MAX_PIXELS  # this process's limit, as its engine's config says


def limit_pixels(limit: int) -> None:
    """Set the largest image this process decodes (a config's ``max_pixels``, ``--max-pixels``).

    Set once by the process that runs an engine, from the engine's config, before
    any image is read; :func:`open_rgb` and :func:`check_image` hold every picture
    to it, so no reader deep inside an engine needs it passed down.
    """
    global _max_pixels
    _max_pixels = limit


def max_pixels() -> int:
    """The largest image decoded, in pixels: what :func:`limit_pixels` set, else 64 million."""
    return _max_pixels


def _too_large(width: int, height: int, limit: int) -> UnusableImage:
    return UnusableImage(
        f"too large: {width}x{height} px is {width * height / 1e6:.3g} megapixels, above the "
        f"{limit / 1e6:.3g}-megapixel limit that guards against decompression bombs; "
        f"raise it with --max-pixels {width * height}"
    )


@contextlib.contextmanager
def open_image(path: str | os.PathLike[str]) -> Iterator[Image.Image]:
    """``path`` opened by one of the :data:`IMAGE_FORMATS` decoders, for the ``with`` block only.

    The one way artgen opens an image. Only a regular file is opened (see
    :mod:`artgen.files`), and only those decoders may claim it. Pillow
    decodes lazily, inside the block, so any exception raised there is the
    decoder's: it becomes an :class:`UnusableImage` with a one-line reason,
    whatever its type, and a folder skips the file instead of stopping.
    """
    if Path(path).suffix.lower() in VIDEO_SUFFIXES:
        raise UnusableImage("a video, not a picture")
    try:
        handle = open_regular(path)
    except OSError as exc:
        raise UnusableImage(os_error_reason(exc)[1]) from None
    with handle:
        try:
            with Image.open(handle, formats=IMAGE_FORMATS) as im:
                yield im
        except (UnusableImage, ArtgenError):
            raise
        except UnidentifiedImageError:
            raise UnusableImage("not an image") from None
        except Exception as exc:  # noqa: BLE001  a damaged file can make a decoder raise anything
            raise UnusableImage(f"unreadable ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0][:200] if lines else type(exc).__name__


def video_input(path: str | os.PathLike[str]) -> tuple[str, list[str]]:
    """The resolved file and the ffmpeg input options that read the video at ``path``.

    Only a regular file with a video suffix, read by that suffix's demuxer
    from the local file alone. Raises ``OSError`` for a file that is not
    regular, :class:`InputError` for a suffix that is not a video's.
    """
    demuxer = VIDEO_DEMUXERS.get(Path(path).suffix.lower())
    if demuxer is None:
        raise InputError(f"{path} is not a video ({', '.join(sorted(VIDEO_SUFFIXES))})")
    source = os.path.realpath(regular_file(path))
    return source, ["-f", demuxer, "-protocol_whitelist", "file"]


def open_rgb(
    path: str | os.PathLike[str],
    background: Background = (255, 255, 255),
    draft_size: int | None = None,
    fit: int | None = None,
) -> Image.Image:
    """Open any supported image as an upright 8-bit RGB image.

    Transparency is composited onto ``background``; 16-bit and float samples
    are scaled, not clipped; animated files give their first frame.
    ``draft_size`` lets JPEG decode at a reduced scale when only a small
    image is needed, which is several times faster for camera photos.
    ``fit`` (the long side the caller will resize to) applies that reduction
    only to a photo above :func:`max_pixels`, so it is read instead of refused.
    Raises :class:`UnusableImage` with a short reason.
    """
    with open_image(path) as im:
        _sized(im, draft_size, fit)
        im.load()
        return _to_rgb(ImageOps.exif_transpose(im), background)


def check_image(path: str | os.PathLike[str], fit: int | None = None) -> None:
    """What :func:`open_rgb` refuses that the file's header shows (missing, not an image, too small or
    too large), found without decoding it: for a command to refuse a typo before a slow start-up."""
    with open_image(path) as im:
        _sized(im, None, fit)


def _sized(im: Image.Image, draft_size: int | None, fit: int | None) -> None:
    """Refuse ``im`` if too small or, after any JPEG draft reduction, above :func:`max_pixels`."""
    limit = max_pixels()
    width, height = im.size
    if min(width, height) < MIN_SIDE:
        raise UnusableImage(f"too small ({width}x{height} px)")
    side = draft_size or (fit if width * height > limit else None)
    if side and im.format == "JPEG":
        im.draft("RGB", (side, side))  # decodes at 1/2, 1/4 or 1/8 scale, at least side x side
    if im.size[0] * im.size[1] > limit:
        raise _too_large(width, height, limit)


def _to_rgb(im: Image.Image, background: Background) -> Image.Image:
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        samples = np.asarray(im, dtype=np.float64)
        peak = 65535.0 if im.mode.startswith("I;16") or samples.max() > 255 else 255.0
        grey = np.clip(samples / peak * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(grey, "L").convert("RGB")
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = im.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (*background, 255))
        return Image.alpha_composite(canvas, rgba).convert("RGB")
    if im.mode == "1":
        im = im.convert("L")
    return im if im.mode == "RGB" else im.convert("RGB")


def square_resize(im: Image.Image, size: int) -> Image.Image:
    """Centre-crop to a square, then resize to ``size`` x ``size``."""
    width, height = im.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    im = im.crop((left, top, left + side, top + side))
    if side == size:
        return im
    return im.resize((size, size), Image.Resampling.LANCZOS, reducing_gap=3.0)


def _decode(path: Path, size: int, background: Background) -> np.ndarray:
    return np.asarray(square_resize(open_rgb(path, background, draft_size=size), size))


def cache_dir() -> Path:
    """Where decoded folders are kept: ``$ARTGEN_CACHE_DIR`` or the user cache."""
    if folder := environment.read("ARTGEN_CACHE_DIR"):
        return folder
    return (environment.read("XDG_CACHE_HOME") or Path.home() / ".cache") / "artgen" / "datasets"


def _cache_key(
    root: Path, files: list[Path], size: int, background: Background, tick: Callable[[int], None]
) -> str:
    digest = hashlib.sha256(f"{CACHE_FORMAT}|{size}|{background}|{max_pixels()}|{root.resolve()}".encode())
    for done, path in enumerate(files, 1):
        tick(done)
        digest.update(f"|{path.relative_to(root)}|{_stamp(path)}".encode())
    return digest.hexdigest()[:32]


def _stamp(path: Path) -> str:
    """What changes when the file does; a dangling link or a loop is stamped, and skipped when decoded."""
    try:
        stat = path.stat()
    except OSError as exc:
        return f"unreadable {exc.errno}"
    return f"{stat.st_mode}|{stat.st_size}|{stat.st_mtime_ns}"


def load_folder(
    folder: str | os.PathLike[str],
    size: int,
    background: Background = (255, 255, 255),
    on_event: OnEvent = ignore_events,
    use_cache: bool = True,
) -> FolderData:
    """Decode every usable image below ``folder`` to (N, size, size, 3) uint8.

    The result is cached per (folder contents, size, background): a second
    run on the same folder starts at once, and adding, removing or touching
    a file rebuilds it. Unusable files are skipped and listed with reasons.
    Raises :class:`InputError` when the folder is missing or has no usable image.
    """
    root = Path(folder)
    files = image_files(root)
    key = _cache_key(
        root, files, size, background, Ticker(on_event, len(files), "file", "reading the folder")
    )
    array_path = cache_dir() / f"{key}.npy"
    report_path = cache_dir() / f"{key}.json"
    if use_cache and (cached := _read_cache(array_path, report_path, len(files), size)) is not None:
        return cached

    decoded = _decode_all(files, size, background, on_event)
    kept = [array for array in decoded if isinstance(array, np.ndarray)]
    skipped = [
        (str(path), reason) for path, reason in zip(files, decoded, strict=False) if isinstance(reason, str)
    ]
    if not kept:
        first = "; ".join(f"{Path(p).name}: {r}" for p, r in skipped[:3])
        raise InputError(f"{root} has no usable images ({len(files)} unreadable: {first})")
    images = np.stack(kept)
    if use_cache:
        _write_cache(array_path, report_path, images, len(files), skipped)
    return FolderData(images, len(files), skipped)


def _decode_all(
    files: list[Path], size: int, background: Background, on_event: OnEvent
) -> list[np.ndarray | str]:
    def decode(path: Path) -> np.ndarray | str:
        try:
            return _decode(path, size, background)
        except UnusableImage as exc:
            return str(exc)

    results: list[np.ndarray | str] = []
    every = max(1, len(files) // 100)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for index, result in enumerate(pool.map(decode, files), start=1):
            results.append(result)
            if index % every == 0 or index == len(files):
                on_event(Progress(index, len(files), unit="image", stage="decoding images"))
    return results


@dataclass(frozen=True)
class _CacheReport:
    """The ``.json`` beside a cached folder's ``.npy``: how many files there were, which were skipped."""

    found: int
    skipped: list[tuple[str, str]]  # (path, reason)


def _read_cache(array_path: Path, report_path: Path, found: int, size: int) -> FolderData | None:
    """The cached decode of a folder of ``found`` files; None when missing or damaged (then it is rebuilt)."""
    if not (array_path.is_file() and report_path.is_file()):
        return None
    try:
        report = stored.read_record(_CacheReport, report_path)
    except ArtgenError:
        return None
    kept = report.found - len(report.skipped)
    if report.found != found or kept < 1:
        return None
    images = stored.cached_array(array_path, (kept, size, size, 3), np.uint8)
    if images is None:
        return None
    skipped = [(str(name), str(reason)) for name, reason in report.skipped]
    return FolderData(images, found, skipped, from_cache=True)


def _write_cache(array_path: Path, report_path: Path, images: np.ndarray, found: int, skipped: list) -> None:
    try:
        with runs.atomic_path(array_path) as tmp:
            np.save(tmp, images, allow_pickle=False)
        runs.write_json(report_path, {"found": found, "skipped": skipped})
    except (OSError, ArtgenError):
        pass  # caching is an optimisation; a read-only or full cache dir must not stop training


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Map model output in [-1, 1] to displayable uint8."""
    return np.clip((np.asarray(images, dtype=np.float32) + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)


def grid(images: np.ndarray, columns: int | None = None, padding: int = 2) -> np.ndarray:
    """Tile (N, H, W, 3) uint8 images into one picture, as square as possible."""
    count, height, width, channels = images.shape
    columns = columns or int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / columns))
    canvas = np.full(
        (rows * (height + padding) + padding, columns * (width + padding) + padding, channels),
        255,
        dtype=np.uint8,
    )
    for index, image in enumerate(images):
        row, col = divmod(index, columns)
        top, left = padding + row * (height + padding), padding + col * (width + padding)
        canvas[top : top + height, left : left + width] = image
    return canvas


def save_png(path: str | os.PathLike[str], image: np.ndarray | Image.Image, compress_level: int = 6) -> None:
    """Write a PNG atomically; ``compress_level`` 0-9 is zlib's (6, Pillow's default; 1 for a preview)."""
    picture = image if isinstance(image, Image.Image) else Image.fromarray(image)
    with runs.atomic_path(path, suffix=".png") as tmp:
        picture.save(tmp, format="PNG", compress_level=compress_level)
