"""Only the decoders artgen names ever read a file, and a damaged file is skipped, never the run.

A file's name and first bytes are the sender's choice: a PostScript file
named ``poster.png`` must not reach Ghostscript, a playlist named
``clip.mp4`` must not lead ffmpeg to the files it lists, and no decoder's
exception, whatever its type, may stop a folder. Every program started while
a case runs is recorded (a Python audit hook sees each spawn, and fake
``gs``, ``convert``... first on ``PATH`` leave a mark), so a regression fails
by name instead of running something.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import shutil
import struct
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from corpus import TINY, hashes, refused, unchanged
from PIL import EpsImagePlugin, Image, ImageDraw, ImageFile

from artgen import images

# What Pillow (or a library beside it) could start to read or show a picture.
FAKE_PROGRAMS = (
    "gs",
    "gsc",
    "gswin32c",
    "gswin64c",
    "ps2pdf",
    "convert",
    "magick",
    "identify",
    "djpeg",
    "cjpeg",
    "ppmquant",
    "ppmtogif",
    "ffmpeg",
    "ffprobe",
    "xdg-open",
    "display",
    "eog",
    "feh",
    "xv",
    "xclip",
    "wl-paste",
    "gnome-screenshot",
)
SPAWN_EVENTS = {"subprocess.Popen", "os.posix_spawn", "os.exec", "os.spawn", "os.system"}
# The formats Pillow's open would claim by their first bytes alone, written by hand where Pillow
# cannot write them: each is refused by name, whatever its suffix.
HAND_MADE = {
    "postscript": b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 40 40\nshowpage\n",
    "dds-cut": b"DDS |\x00\x00\x00\x07\x10\x00\x00\x28\x00\x00\x00\x28\x00\x00\x00",
    "bufr": b"BUFR" + bytes(60),
    "grib": b"GRIB" + bytes(60),
    "hdf5": b"\x89HDF\r\n\x1a\n" + bytes(60),
    "wmf": b"\xd7\xcd\xc6\x9a" + bytes(60),
    "fits": b"SIMPLE  =                    T".ljust(80) + b"BITPIX  =                    8".ljust(80),
    "psd": b"8BPS\x00\x01" + bytes(6) + b"\x00\x03\x00\x00\x00\x28\x00\x00\x00\x28\x00\x08\x00\x03",
    "xpm": b'/* XPM */\nstatic char *x[] = {\n"8 8 1 1",\n". c #ffffff",\n' + b'"........",\n' * 8,
}
USABLE = {"PNG", "JPEG", "MPO", "GIF", "BMP", "WEBP"}  # MPO: a camera's JPEG, read by the JPEG decoder


@dataclass
class Spawns:
    """Programs started while watching: argv lists seen by the audit hook, names of fakes that ran."""

    marks: Path
    argvs: list[list[str]] = field(default_factory=list)

    @property
    def fakes(self) -> list[str]:
        return sorted(p.name for p in self.marks.iterdir())


_watching: list[Spawns] = []


def _audit(event: str, args: tuple) -> None:
    if _watching and event in SPAWN_EVENTS:
        argv = {"os.system": args[:1], "os.spawn": args[2:3]}.get(event, args[1])  # Popen, posix_spawn, exec
        _watching[-1].argvs.append([str(arg) for arg in argv])


sys.addaudithook(_audit)  # a hook cannot be removed: it records only while a case watches


@pytest.fixture
def spawns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Spawns]:
    """Fake programs first on ``PATH``, each leaving a mark when run, and every spawn recorded."""
    import keras  # noqa: F401  the backend's own start-up (it asks uname for the processor) is not a case

    fakes, marks = tmp_path / "fake-bin", tmp_path / "ran"
    fakes.mkdir()
    marks.mkdir()
    for name in FAKE_PROGRAMS:
        script = fakes / name
        script.write_text(f"#!/bin/sh\ntouch '{marks}/{name}'\nexit 1\n")
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fakes}:{os.environ.get('PATH', '')}")
    monkeypatch.setattr(EpsImagePlugin, "gs_binary", None)  # Pillow looks for gs once a process: again
    watch = Spawns(marks)
    _watching.append(watch)
    try:
        yield watch
    finally:
        _watching.remove(watch)


def _every_pillow_format() -> dict[str, bytes]:
    """A 32x32 picture in every format Pillow can write (in the first mode each accepts)."""
    Image.init()
    written = {}
    for name in sorted(Image.SAVE):
        for mode in ("RGB", "L", "1", "P"):
            buffer = io.BytesIO()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)  # IM: still written, still to refuse
                    Image.new(mode, (32, 32), 90).save(buffer, format=name)
            except (OSError, ValueError, KeyError):
                continue  # a format without a writer here (BUFR, GRIB, HDF5, WMF): made by hand above
            written[name] = buffer.getvalue()
            break
    return written


@pytest.mark.slow
def test_every_format_under_image_names_starts_no_program_and_only_foreign_ones_are_skipped(
    artgen, spawns: Spawns, tmp_path: Path
) -> None:
    formats = _every_pillow_format()
    assert {"EPS", "PDF", "TIFF", "DDS", "JPEG2000", "ICO", *USABLE} <= set(formats), sorted(formats)
    folder = tmp_path / "mixed"
    folder.mkdir()
    usable = 0
    for name, data in {**formats, **{key.upper(): value for key, value in HAND_MADE.items()}}.items():
        for suffix in sorted(images.IMAGE_EXTENSIONS):
            (folder / f"{name.lower()}{suffix}").write_bytes(data)
            usable += name in USABLE
    (folder / "poster.png").write_bytes(HAND_MADE["postscript"])  # the report's own case
    found = len(list(folder.iterdir()))
    before = hashes(folder)

    outcome = artgen("train", folder, *TINY, "--steps", "2", "--run-dir", tmp_path / "run")

    assert outcome.status == 0 and "Traceback" not in outcome.err, outcome.err
    assert spawns.argvs == [] and spawns.fakes == [], (spawns.argvs, spawns.fakes)
    text = outcome.err.replace("\n", " ")
    assert f"{usable} images at 32px" in text, text
    assert f"skipped {found - usable} unusable files: " in text, text
    skipped = images.load_folder(folder, 32).skipped  # the run's own report, from its cache
    assert {reason for _, reason in skipped} == {"not an image"}, skipped
    unchanged(before)


@pytest.fixture
def painting(tmp_path: Path) -> Path:
    path = tmp_path / "painting.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (48, 48, 3), np.uint8)).save(path)
    return path


def _video(path: Path, frames: int = 3) -> None:
    import imageio.v3 as iio

    pictures = np.stack([np.full((32, 32, 3), 40 * index, np.uint8) for index in range(frames)])
    iio.imwrite(path, pictures, plugin="FFMPEG", fps=8, macro_block_size=1)


def _pinned(argv: list[str]) -> bool:
    """Whether an ffmpeg command reads its input with one named demuxer from the local file alone."""
    import imageio_ffmpeg

    if "-i" not in argv:  # imageio-ffmpeg's version probe of the bundled binary
        return argv[0] == imageio_ffmpeg.get_ffmpeg_exe()
    options = argv[: argv.index("-i")]
    return (
        argv[0] == imageio_ffmpeg.get_ffmpeg_exe()
        and options[options.index("-f") + 1] in set(images.VIDEO_DEMUXERS.values())
        and options[options.index("-protocol_whitelist") + 1] == "file"
    )


def test_a_video_goes_to_ffmpeg_by_its_suffix_alone_and_only_with_its_demuxer(
    artgen, spawns: Spawns, tmp_path: Path, painting: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _watching.remove(spawns)  # writing the test's own video starts ffmpeg: not a case
    _video(tmp_path / "clip.mp4")
    _watching.append(spawns)
    (tmp_path / "video.gif").write_bytes((tmp_path / "clip.mp4").read_bytes())
    (tmp_path / "still.mp4").write_bytes(painting.read_bytes())
    secret = tmp_path / "secret.png"
    secret.write_bytes(painting.read_bytes())
    playlist = f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n{secret}\n#EXT-X-ENDLIST\n"
    (tmp_path / "playlist.mp4").write_text(playlist)
    before = hashes(tmp_path)

    refused(artgen("style", tmp_path / "video.gif", painting), 2, "video.gif: not an image")
    refused(artgen("style", painting, tmp_path / "still.mp4"), 2, "still.mp4: a video, not a picture")
    assert spawns.argvs == []  # neither an image name nor an image's place ever reaches ffmpeg

    refused(artgen("style", tmp_path / "playlist.mp4", painting), 2, "playlist.mp4: unreadable video")
    from artgen.style.clips import open_clip

    clip = open_clip(tmp_path / "clip.mp4")
    assert clip is not None and clip.count == 3 and clip.size == (32, 32)
    assert [frame.shape for frame in clip.frames()] == [(32, 32, 3)] * 3
    assert spawns.argvs and all(_pinned(argv) for argv in spawns.argvs), spawns.argvs
    assert spawns.fakes == []
    unchanged(before)


# -- a decoder fuzz: seeded mutations of every kind artgen reads -------------------------------------


def _originals() -> dict[str, bytes]:
    """One file per decoder path worth reaching: plain, transparent, 16-bit, interlaced, animated, EXIF."""
    rng = np.random.default_rng(7)
    picture = Image.fromarray(rng.integers(0, 255, (40, 48, 3), np.uint8))
    ImageDraw.Draw(picture).ellipse([6, 6, 30, 30], fill=(250, 20, 20))
    frames = [picture.rotate(angle) for angle in (0, 90, 180)]
    exif = Image.Exif()
    exif[0x0112] = 6  # turned on its side, as phones write it
    variants = {
        "rgb.png": (picture, {"format": "PNG"}),
        "alpha.png": (picture.convert("RGBA"), {"format": "PNG"}),
        "palette.png": (picture.convert("P"), {"format": "PNG", "transparency": 0}),
        "deep.png": (picture.convert("I;16"), {"format": "PNG"}),
        "interlaced.png": (picture, {"format": "PNG", "interlace": 1}),
        "photo.jpg": (picture, {"format": "JPEG", "quality": 80, "exif": exif}),
        "progressive.jpeg": (picture, {"format": "JPEG", "progressive": True}),
        "grey.jpg": (picture.convert("L"), {"format": "JPEG"}),
        "still.gif": (picture.convert("P"), {"format": "GIF"}),
        "lossy.webp": (picture, {"format": "WEBP", "quality": 60}),
        "lossless.webp": (picture.convert("RGBA"), {"format": "WEBP", "lossless": True}),
        "rgb.bmp": (picture, {"format": "BMP"}),
        "palette.bmp": (picture.convert("P"), {"format": "BMP"}),
    }
    made = {}
    for name, (image, options) in variants.items():
        buffer = io.BytesIO()
        image.save(buffer, **options)
        made[name] = buffer.getvalue()
    for name, fmt in (("moving.gif", "GIF"), ("moving.webp", "WEBP")):
        buffer = io.BytesIO()
        frames[0].save(buffer, format=fmt, save_all=True, append_images=frames[1:], duration=80, loop=0)
        made[name] = buffer.getvalue()
    return made


def _mutate(data: bytes, rng: np.random.Generator) -> bytes:
    """One to three of: flipped bytes, a cut, an inserted chunk of noise, a copied span, a zeroed span."""
    buffer = bytearray(data)
    for _ in range(int(rng.integers(1, 4))):
        kind, at = int(rng.integers(5)), int(rng.integers(len(buffer)))
        if kind == 0:
            for spot in rng.integers(len(buffer), size=int(rng.integers(1, 9))):
                buffer[spot] ^= int(rng.integers(1, 256))
        elif kind == 1:
            del buffer[max(1, at) :]
        elif kind == 2:
            buffer[at:at] = rng.integers(0, 256, int(rng.integers(1, 65)), np.uint8).tobytes()
        elif kind == 3:
            start = int(rng.integers(len(buffer)))
            buffer[at:at] = buffer[start : start + int(rng.integers(1, 129))]
        else:
            end = at + int(rng.integers(1, 33))
            buffer[at:end] = bytes(len(buffer[at:end]))
    return bytes(buffer)


def _mutated_folder(folder: Path, count: int, seed: int) -> Path:
    originals = _originals()
    rng = np.random.default_rng(seed)
    folder.mkdir()
    names = sorted(originals)
    for index in range(count):
        name = names[index % len(names)]
        (folder / f"{index:04d}-{name}").write_bytes(_mutate(originals[name], rng))
    return folder


@pytest.mark.filterwarnings(r"ignore::UserWarning:PIL\.")  # a decoder note the CLI silences
def test_fuzzed_files_are_each_decoded_or_skipped_with_a_one_line_reason(tmp_path: Path) -> None:
    folder = _mutated_folder(tmp_path / "fuzz", count=390, seed=1)
    for name, data in _originals().items():
        (folder / f"original-{name}").write_bytes(data)
    started = time.process_time()

    data = images.load_folder(folder, 32, use_cache=False)

    assert time.process_time() - started < 20
    assert data.found == 390 + len(_originals())
    assert len(data.images) + len(data.skipped) == data.found
    assert len(data.images) >= len(_originals()) and data.skipped  # the originals read; some mutants do not
    assert data.images.shape[1:] == (32, 32, 3) and data.images.dtype == np.uint8
    for path, reason in data.skipped:
        assert reason and "\n" not in reason and len(reason) < 300, (path, reason)
        assert not reason.startswith("unreadable (Traceback"), reason
    assert {reason.split(" (")[0].split(":")[0] for _, reason in data.skipped} <= {
        "not an image",
        "unreadable",
        "too small",
        "too large",
    }


@pytest.mark.slow
def test_a_tiny_run_over_mutated_files_skips_them_and_trains(
    artgen, tmp_path: Path, shapes_dir: Path, spawns: Spawns
) -> None:
    folder = _mutated_folder(tmp_path / "data", count=15, seed=2)
    for path in sorted(shapes_dir.iterdir())[:8]:
        shutil.copy(path, folder / path.name)
    # a photo whose EXIF points past the file's end: read, and the decoder's note on it is no line
    ifd = struct.pack("<IHHHIII", 8, 1, 274, 3, 1000, 5000, 0)
    Image.new("RGB", (40, 40), (10, 200, 10)).save(folder / "noted.jpg", exif=b"Exif\0\0II*\0" + ifd)
    before = hashes(folder)

    with warnings.catch_warnings(record=True) as caught:  # what would print, under pytest's capture
        outcome = artgen("train", folder, *TINY, "--steps", "2", "--run-dir", tmp_path / "run")

    assert outcome.status == 0 and "Traceback" not in outcome.err, outcome.err
    assert [str(w.message) for w in caught if "PIL" in w.filename] == []
    kept = re.search(r"(\d+) images at 32px", outcome.err)
    skipped = re.search(r"skipped (\d+) unusable files", outcome.err.replace("\n", " "))
    assert kept and int(kept[1]) >= 8, outcome.err
    assert int(kept[1]) + (int(skipped[1]) if skipped else 0) == 24, outcome.err
    assert (tmp_path / "run" / "generator.keras").is_file()
    assert spawns.argvs == [] and spawns.fakes == []
    unchanged(before)


@pytest.fixture
def odd_decoder(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """Decoding a 41x41 picture raises, in turn, exceptions no list of "decoder errors" would name."""
    odd = [
        NotImplementedError("DXT5 with a cut header"),
        KeyError("tile"),
        TypeError("unsupported operand"),
        struct.error("unpack requires a buffer of 4 bytes"),
        ZeroDivisionError("division by zero"),
        IndexError("tuple index out of range"),
        AssertionError("bad tile"),
        RecursionError("maximum recursion depth exceeded"),
    ]
    turn = itertools.count()
    real_load = ImageFile.ImageFile.load

    def load(self: ImageFile.ImageFile):
        if self.size == (41, 41):
            raise odd[next(turn) % len(odd)]
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return odd


@pytest.mark.slow
def test_any_exception_a_decoder_raises_skips_that_file_or_refuses_it_alone(
    artgen, odd_decoder: list[BaseException], tmp_path: Path, shapes_dir: Path, painting: Path
) -> None:
    folder = tmp_path / "data"
    shutil.copytree(shapes_dir, folder)
    for index, suffix in enumerate(sorted(images.IMAGE_EXTENSIONS) * 2 + [".png"] * 2):
        Image.new("RGB", (41, 41), (index * 9, 0, 0)).save(folder / f"odd-{index:02d}{suffix}")
    before = hashes(tmp_path)

    data = images.load_folder(folder, 32, use_cache=False)
    assert len(data.images) == 24 and len(data.skipped) == len(odd_decoder) + 6
    assert {reason for _, reason in data.skipped} == {f"unreadable ({exc})" for exc in odd_decoder}

    outcome = artgen("train", folder, *TINY, "--steps", "1", "--run-dir", tmp_path / "run")
    assert outcome.status == 0 and "Traceback" not in outcome.err, outcome.err
    assert f"skipped {len(odd_decoder) + 6} unusable files" in outcome.err.replace("\n", " ")

    line = refused(artgen("style", folder / "odd-00.bmp", painting), 2, "odd-00.bmp: unreadable (")
    assert "internal error" not in line
    unchanged(before)
