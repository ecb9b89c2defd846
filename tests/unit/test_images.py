"""Image folders as users have them: every mode, broken files, caching."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artgen import images
from artgen.errors import InputError
from artgen.events import Progress


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny valid PNG whose header claims other dimensions (a decompression bomb)."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    ihdr = 8 + 4  # signature, then the IHDR chunk's length field
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr : ihdr + 4 + 13]))
    data[ihdr + 4 + 13 : ihdr + 4 + 13 + 4] = struct.pack(">I", crc)
    return bytes(data)


@pytest.fixture
def messy_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "messy"
    (folder / "sub").mkdir(parents=True)
    Image.new("RGB", (64, 48), (200, 10, 10)).save(folder / "good.JPG")
    Image.new("CMYK", (40, 40), (0, 255, 255, 0)).save(folder / "cmyk.jpg")
    Image.fromarray(np.full((40, 40), 32768, dtype=np.uint16)).save(folder / "sub" / "sixteen.png")
    palette = Image.new("P", (40, 40), 0)
    palette.putpalette([0, 0, 0, 0, 255, 0] + [0] * 762)
    palette.paste(1, (0, 0, 20, 40))
    palette.info["transparency"] = 0
    palette.save(folder / "palette.png", transparency=0)
    Image.new("RGB", (40, 40), "blue").save(folder / "first.gif")
    full = io.BytesIO()
    Image.effect_noise((64, 64), 50).convert("RGB").save(full, format="JPEG")
    (folder / "truncated.jpg").write_bytes(full.getvalue()[: len(full.getvalue()) // 2])
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.png").write_text("not an image")
    Image.new("RGB", (1, 1)).save(folder / "dot.png")
    (folder / "bomb.png").write_bytes(_png_claiming(30000, 30000))
    (folder / "readme.txt").write_text("ignored by extension")
    return folder


def test_messy_folder_keeps_good_images_and_names_bad_ones(messy_dir: Path) -> None:
    data = images.load_folder(messy_dir, 32)
    assert data.images.shape == (5, 32, 32, 3) and data.images.dtype == np.uint8
    assert data.found == 10
    reasons = {Path(path).name: reason for path, reason in data.skipped}
    assert set(reasons) == {"truncated.jpg", "empty.jpg", "notes.png", "dot.png", "bomb.png"}
    assert "too large" in reasons["bomb.png"] and "too small" in reasons["dot.png"]
    assert reasons["notes.png"] == "not an image"


def test_modes_become_faithful_rgb(messy_dir: Path) -> None:
    sixteen = np.asarray(images.open_rgb(messy_dir / "sub" / "sixteen.png"))
    assert abs(int(sixteen[0, 0, 0]) - 128) <= 1  # scaled from 16 bits, not clipped to white
    palette = np.asarray(images.open_rgb(messy_dir / "palette.png", background=(10, 20, 30)))
    assert tuple(palette[0, 30]) == (10, 20, 30)  # transparent index shows the background
    assert tuple(palette[0, 5]) == (0, 255, 0)
    cmyk = np.asarray(images.open_rgb(messy_dir / "cmyk.jpg"))
    assert cmyk[..., 0].mean() > 200 and cmyk[..., 1].mean() < 60  # cyan-free magenta+yellow = red


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    Image.new("RGB", (40, 20)).save(tmp_path / "phone.jpg", exif=exif)
    assert images.open_rgb(tmp_path / "phone.jpg").size == (20, 40)


def test_second_load_comes_from_cache_and_changes_rebuild_it(tmp_path: Path, shapes_dir: Path) -> None:
    events: list = []
    first = images.load_folder(shapes_dir, 32, on_event=events.append)
    assert not first.from_cache and any(isinstance(e, Progress) for e in events)
    second = images.load_folder(shapes_dir, 32)
    assert second.from_cache and np.array_equal(first.images, second.images)
    assert not images.load_folder(shapes_dir, 64).from_cache  # another size is another cache

    copy = tmp_path / "copy"
    copy.mkdir()
    for path in sorted(shapes_dir.iterdir())[:10]:
        (copy / path.name).write_bytes(path.read_bytes())
    assert len(images.load_folder(copy, 32).images) == 10
    Image.new("RGB", (40, 40)).save(copy / "new.png")
    rebuilt = images.load_folder(copy, 32)
    assert not rebuilt.from_cache and len(rebuilt.images) == 11


@pytest.mark.parametrize("setup", ["missing", "empty", "only_bad"])
def test_folders_without_usable_images_are_clear_errors(tmp_path: Path, setup: str) -> None:
    folder = tmp_path / "data"
    if setup != "missing":
        folder.mkdir()
    if setup == "only_bad":
        (folder / "a.png").write_text("nope")
    with pytest.raises(InputError, match=str(folder)):
        images.load_folder(folder, 32)


def test_grid_tiles_images_in_order() -> None:
    tiles = np.stack([np.full((4, 4, 3), value, np.uint8) for value in (10, 20, 30)])
    picture = images.grid(tiles, columns=2, padding=1)
    assert picture.shape == (11, 11, 3)
    assert picture[1, 1, 0] == 10 and picture[1, 6, 0] == 20 and picture[6, 1, 0] == 30


def test_skipped_files_are_named_with_their_reasons_the_first_three() -> None:
    skipped = [(f"/data/{name}.png", "truncated") for name in "abcd"]
    assert images.describe_skipped(skipped) == (
        "skipped 4 unusable files: a.png (truncated), b.png (truncated), c.png (truncated) and 1 more"
    )
    assert images.describe_skipped(skipped[:1]) == "skipped 1 unusable files: a.png (truncated)"
