#!/usr/bin/env python3
"""Build the small emoji dataset bundled with artgen, in class folders (``artgen/bundled/emoji/``).

A newcomer may have no folder of images; the studio's training and classifier
forms start with this one, so both run with one key. It holds, for each class,
the first ``--per-class`` emoji of a few Unicode blocks that each draw one kind
of thing (faces, animals, food, vehicles): a DCGAN learns from all of them
(every image below the folder), the classifier lab tells the classes apart.

Glyphs come from Noto Color Emoji (Debian ``fonts-noto-color-emoji``) exactly as
``scripts/build_emoji_dataset.py`` reads them (single emoji only: no sequences,
flags, keycaps or skin tones), padded to a square on white and resized. The
output is deterministic; ``provenance.json`` records the font's SHA-256, the
blocks and the counts::

    python scripts/build_bundled_dataset.py            # the system font, into artgen/bundled/emoji
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from artgen.runs import atomic_path, write_json

HERE = Path(__file__).resolve().parent
# Unicode blocks (inclusive ranges) of one kind of picture each.
CLASSES = {
    "faces": ((0x1F600, 0x1F64F),),  # Emoticons
    "animals": ((0x1F400, 0x1F43F), (0x1F980, 0x1F9AE)),
    "food": ((0x1F345, 0x1F37F), (0x1F950, 0x1F96F)),
    "vehicles": ((0x1F680, 0x1F6C5),),  # Transport and Map Symbols
}


def _emoji_script():
    """scripts/build_emoji_dataset.py, which reads the font's glyphs (scripts/ is not a package)."""
    sys.path.insert(0, str(HERE))
    import build_emoji_dataset

    return build_emoji_dataset


def class_of(codepoints: tuple[int, ...]) -> str | None:
    """The class of a single emoji (a variation selector aside); None for anything else."""
    bare = tuple(cp for cp in codepoints if cp != 0xFE0F)
    if len(bare) != 1:
        return None
    return next((name for name, blocks in CLASSES.items() if any(a <= bare[0] <= b for a, b in blocks)), None)


def build(font: Path, out: Path, size: int, per_class: int) -> dict:
    emoji = _emoji_script()
    chosen: dict[str, list] = {name: [] for name in CLASSES}
    for glyph in sorted(emoji.read_glyphs(font), key=lambda glyph: glyph.codepoints):
        name = class_of(glyph.codepoints)
        if name is not None and emoji.kind(glyph.codepoints) == "emoji" and len(chosen[name]) < per_class:
            chosen[name].append(glyph)
    seen: set[bytes] = set()
    counts = {}
    for name, glyphs in chosen.items():
        kept = 0
        for glyph in glyphs:
            image = emoji.to_square(glyph.png, size, (255, 255, 255))
            digest = hashlib.sha256(image.tobytes()).digest()
            if digest in seen:
                continue
            seen.add(digest)
            with atomic_path(out / name / glyph.filename) as tmp:
                image.save(tmp, format="PNG", optimize=True)
            kept += 1
        counts[name] = kept
    provenance = {
        "source": "Noto Color Emoji (Apache-2.0), https://github.com/googlefonts/noto-emoji",
        "built_by": "scripts/build_bundled_dataset.py",
        "font": font.name,
        "font_sha256": hashlib.sha256(font.read_bytes()).hexdigest(),
        "size": size,
        "background": "#ffffff",
        "blocks": {name: [f"U+{a:X}-U+{b:X}" for a, b in blocks] for name, blocks in CLASSES.items()},
        "images": counts,
    }
    write_json(out / "provenance.json", provenance)
    return provenance


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--font", help="NotoColorEmoji.ttf (default: the system font if installed)")
    default = HERE.parent / "artgen" / "bundled" / "emoji"
    parser.add_argument("--out", default=str(default), help="output folder (default: artgen/bundled/emoji)")
    parser.add_argument("--size", type=int, default=64, help="side in px (default 64)")
    parser.add_argument("--per-class", type=int, default=64, help="images per class at most (default 64)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if out.exists() and any(out.rglob("*.png")):
        parser.error(f"{out} already holds PNGs; remove it or choose another --out")
    provenance = build(_emoji_script().find_font(args.font), out, args.size, args.per_class)
    print(f"wrote {sum(provenance['images'].values())} images to {out}: {provenance['images']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
