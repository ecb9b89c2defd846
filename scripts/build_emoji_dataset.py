#!/usr/bin/env python3
"""Build the emoji training set for artgen's bundled generator from Noto Color Emoji.

The bundled generator must be trained on images that can be rebuilt offline and
redistributed. Noto Color Emoji (Apache-2.0, Debian package
``fonts-noto-color-emoji``) stores every glyph as a 136x128 PNG in its CBDT table;
this script extracts those PNGs with fontTools (no text rendering, so the result
does not depend on FreeType or Pillow's font support), composites transparency on a
background colour, pads each glyph to a square, resizes it and writes one PNG per
unique glyph into a flat folder::

    apt-get download fonts-noto-color-emoji && dpkg -x fonts-noto-color-emoji_*.deb /tmp/noto
    python scripts/build_emoji_dataset.py --font /tmp/noto/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf

What is kept (each glyph's codepoint sequence is recovered from the font's cmap and
GSUB ligatures):

- kept: every emoji reachable from text: single codepoints and ZWJ sequences
  (families, professions, gendered variants), in their default (yellow) skin tone;
- skipped by default: flags (regional-indicator pairs and tag sequences: near-identical
  rectangles that would pull a small generator towards flags), keycaps (digits in grey
  boxes, and the bare digits, # and * they are built on), skin-tone variants (the same
  drawing five more times in other colours) and the bare skin-tone swatches;
  ``--include`` keeps any of these;
- always skipped: glyphs without a bitmap, and glyphs no text can reach
  (intermediate ligature glyphs), and pixel-identical duplicates after resizing
  (the first in font order wins).

The output is deterministic: files are named after their codepoints
(``u1F600.png``, ``u1F469_200D_1F52C.png``; Noto maps ZWJ sequences in both
directions onto one glyph, and the left-to-right order is taken from rich's emoji
table where it knows the sequence, so a few newer sequences may be named right to
left), glyphs are visited in font order,
and PNGs carry no timestamps. A ``manifest.json`` records the font's SHA-256, the
options and the counts. Every file is written atomically.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from artgen.images import parse_color
from artgen.runs import atomic_path, write_json

DEFAULT_FONTS = (
    Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"),
    Path("/tmp/noto/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"),
)
OPTIONAL_KINDS = ("flags", "keycaps", "skin-tones")

REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)
TAGS = range(0xE0020, 0xE0080)
SKIN_TONES = range(0x1F3FB, 0x1F400)
KEYCAP = 0x20E3
KEYCAP_BASES = frozenset((ord(c),) for c in "0123456789#*")  # bare, they are plain text
VARIATION_SELECTOR = 0xFE0F


@dataclass(frozen=True)
class Glyph:
    name: str
    codepoints: tuple[int, ...]
    png: bytes

    @property
    def filename(self) -> str:
        return "u" + "_".join(f"{cp:04X}" for cp in self.codepoints) + ".png"


def kind(codepoints: tuple[int, ...]) -> str:
    """The category a glyph is filtered by: ``emoji`` or one of OPTIONAL_KINDS."""
    cps = set(codepoints)
    if any(cp in REGIONAL_INDICATORS or cp in TAGS for cp in cps):
        return "flags"
    if KEYCAP in cps or codepoints in KEYCAP_BASES:
        return "keycaps"
    if any(cp in SKIN_TONES for cp in cps):
        return "skin-tones"
    return "emoji"


def read_glyphs(font_path: Path) -> Iterator[Glyph]:
    """Yield every bitmap glyph reachable from text, in font order, with its codepoints."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(font_path), lazy=True)
    if "CBDT" not in font:
        raise SystemExit(f"{font_path} has no CBDT colour bitmaps; is it NotoColorEmoji.ttf?")
    sequences: dict[str, tuple[int, ...]] = {}
    for cp, name in sorted(font.getBestCmap().items()):
        if not _private_use(cp):  # legacy PUA aliases would hide a glyph's real sequence
            sequences.setdefault(name, (cp,))
    ligatures: dict[str, list[list[str]]] = {}
    for lookup in font["GSUB"].table.LookupList.Lookup:
        for sub in lookup.SubTable:
            if type(sub).__name__ != "LigatureSubst":
                continue
            for first, ligs in sub.ligatures.items():
                for lig in ligs:
                    ligatures.setdefault(lig.LigGlyph, []).append([first, *lig.Component])
    known = _known_sequences()

    def expand(name: str, depth: int = 0) -> tuple[int, ...] | None:
        if name in sequences:
            return sequences[name]
        if depth > 8:
            return None
        found = []
        for parts in ligatures.get(name, []):
            expanded = [expand(part, depth + 1) for part in parts]
            if all(part is not None for part in expanded):
                found.append(tuple(cp for part in expanded for cp in part))  # type: ignore[union-attr]
        if not found:
            return None
        # Noto also maps each ZWJ sequence written right to left onto the same glyph;
        # name the file after the left-to-right one.
        return next((seq for seq in found if _strip_vs(seq) in known), found[-1])

    strike = max(font["CBDT"].strikeData, key=len)
    for name in font.getGlyphOrder():
        bitmap = strike.get(name)
        codepoints = expand(name)
        if bitmap is None or codepoints is None:
            continue
        yield Glyph(name, codepoints, bytes(bitmap.imageData))


def _private_use(cp: int) -> bool:
    return 0xE000 <= cp <= 0xF8FF or cp >= 0xF0000


def _strip_vs(codepoints: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(cp for cp in codepoints if cp != VARIATION_SELECTOR)


def _known_sequences() -> set[tuple[int, ...]]:
    """Emoji sequences in their standard order, from rich's emoji table (a dependency already)."""
    try:
        from rich._emoji_codes import EMOJI
    except ImportError:
        return set()
    return {_strip_vs(tuple(ord(c) for c in text)) for text in EMOJI.values()}


def to_square(png: bytes, size: int, background: tuple[int, int, int]) -> Image.Image:
    """Composite on ``background`` and pad to a centred square so no training crop cuts the glyph."""
    im = Image.open(io.BytesIO(png)).convert("RGBA")
    side = max(im.size)
    canvas = Image.new("RGBA", (side, side), (*background, 255))
    canvas.alpha_composite(im, ((side - im.width) // 2, (side - im.height) // 2))
    out = canvas.convert("RGB")
    if size and size != side:
        out = out.resize((size, size), Image.Resampling.LANCZOS, reducing_gap=None)
    return out


def build(font: Path, out: Path, size: int, background: tuple[int, int, int], include: set[str]) -> dict:
    counts: Counter[str] = Counter()
    seen: set[bytes] = set()
    written = []
    for glyph in read_glyphs(font):
        category = kind(glyph.codepoints)
        counts[f"found {category}"] += 1
        if category != "emoji" and category not in include:
            continue
        image = to_square(glyph.png, size, background)
        digest = hashlib.sha256(image.tobytes()).digest()
        if digest in seen:
            counts["duplicates"] += 1
            continue
        seen.add(digest)
        with atomic_path(out / glyph.filename) as tmp:
            image.save(tmp, format="PNG", optimize=True)
        written.append(glyph.filename)
        counts[f"kept {category}"] += 1
    manifest = {
        "source": "Noto Color Emoji (Apache-2.0), https://github.com/googlefonts/noto-emoji",
        "font": font.name,
        "font_sha256": hashlib.sha256(font.read_bytes()).hexdigest(),
        "size": size,
        "background": "#{:02x}{:02x}{:02x}".format(*background),
        "include": sorted(include),
        "counts": dict(sorted(counts.items())),
        "images": len(written),
    }
    write_json(out / "manifest.json", manifest)
    return manifest


def find_font(given: str | None) -> Path:
    candidates = [Path(given)] if given else list(DEFAULT_FONTS)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise SystemExit(
        f"no NotoColorEmoji.ttf at {tried}; `apt-get download fonts-noto-color-emoji` and "
        "`dpkg -x` it, then pass --font"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--font", help="NotoColorEmoji.ttf (default: the system font if installed)")
    parser.add_argument("--out", default=".data/emoji", help="output folder (default: .data/emoji)")
    parser.add_argument("--size", type=int, default=64, help="side in px; 0 keeps the native 136 px")
    parser.add_argument("--background", default="white", help="colour under transparency (default: white)")
    parser.add_argument(
        "--include", default="", help=f"comma-separated extras to keep: {', '.join(OPTIONAL_KINDS)}"
    )
    args = parser.parse_args(argv)
    include = {item.strip() for item in args.include.split(",") if item.strip()}
    unknown = include - set(OPTIONAL_KINDS)
    if unknown:
        choices = ", ".join(OPTIONAL_KINDS)
        parser.error(f"--include: unknown {', '.join(sorted(unknown))}; choose from {choices}")
    if args.size < 0:
        parser.error("--size must be 0 (native) or a positive number of pixels")
    out = Path(args.out)
    if out.exists() and any(p.suffix == ".png" for p in out.iterdir()):
        parser.error(f"{out} already holds PNGs; remove it or choose another --out")
    manifest = build(find_font(args.font), out, args.size, parse_color(args.background), include)
    print(f"wrote {manifest['images']} images to {out}: {manifest['counts']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
