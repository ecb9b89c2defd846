"""Bad input, command by command: exit 2, one line that says what to change, nothing on disk touched.

Each case names the files it points at by role (``{data}``, ``{file}``,
``{png}``...), laid out fresh in a scratch world for every case; the whole
world is hashed before and after, and no new folder may appear in it.
"""

from __future__ import annotations

import io
import shutil
import wave
import zipfile
from pathlib import Path

import numpy as np
import pytest
from corpus import hashes, refused, unchanged
from PIL import Image

from artgen import runs


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shapes_dir: Path) -> dict[str, str]:
    """Paths every case may use; the working directory is the world, so default outputs land in it."""
    root = tmp_path / "world"
    root.mkdir()
    monkeypatch.chdir(root)
    shutil.copytree(shapes_dir, root / "data")
    (root / "empty").mkdir()
    (root / "file.txt").write_text("a user's notes\n")
    (root / "notes.png").write_text("not really a png\n")
    Image.fromarray(np.full((48, 64, 3), 200, np.uint8)).save(root / "photo.png")
    Image.fromarray(np.full((48, 48, 3), 90, np.uint8)).save(root / "painting.png")
    (root / "existing.png").write_bytes((root / "photo.png").read_bytes())
    (root / "existing.gif").write_bytes(b"GIF89a a user's animation")
    (root / "full").mkdir()
    (root / "full" / "keep.txt").write_text("mine\n")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config.json", "{}" * 400)
        archive.writestr("model.weights.h5", b"\1" * 4000)
    (root / "cut.keras").write_bytes(buffer.getvalue()[:1500])  # a copy cut short
    (root / "bad").mkdir()  # a folder of images that are all broken, each its own way
    (root / "bad" / "empty.png").write_bytes(b"")
    (root / "bad" / "text.jpg").write_text("not a photo\n")
    (root / "bad" / "cut.png").write_bytes((root / "photo.png").read_bytes()[:60])
    (root / "bad" / "dot.png").write_bytes(_png(2, 2))
    big = Image.new("RGB", (1600, 1200), (120, 30, 200))
    big.save(root / "big.png")
    big.save(root / "big.jpg", quality=80)
    (root / "notes.wav").write_text("not really a track\n")
    (root / "nothing.wav").write_bytes(b"")
    _wav(root / "silent.wav", 0)
    _wav(root / "blip.wav", 1000)  # 23 ms: less than a frame
    _wav(root / "track.wav", 22050)
    from artgen.generators.latents_file import write_latents
    from artgen.generators.locate import DEFAULT_GENERATOR

    write_latents(root / "keys.npz", np.ones((2, 100), np.float32), DEFAULT_GENERATOR, ["a", "b"])
    write_latents(root / "other.npz", np.ones((2, 100), np.float32), root / "file.txt", ["a", "b"])
    write_latents(root / "narrow.npz", np.ones((2, 8), np.float32), DEFAULT_GENERATOR, ["a", "b"])
    names = ("data", "empty", "file.txt", "notes.png", "photo.png", "painting.png", "existing.png")
    paths = {name.split(".")[0]: str(root / name) for name in names}
    paths.update(
        bad=str(root / "bad"),
        cutpng=str(root / "bad" / "cut.png"),
        root=str(root),
        gif=str(root / "existing.gif"),
        full=str(root / "full"),
        keras=str(root / "cut.keras"),
        notaudio=str(root / "notes.wav"),
        **{name: str(root / f"{name}.wav") for name in ("nothing", "silent", "blip", "track")},
        bigpng=str(root / "big.png"),
        missing=str(root / "missing"),
        out=str(root / "new.png"),
        file=str(root / "file.txt"),
        latents=str(root / "keys.npz"),
        otherlatents=str(root / "other.npz"),
        narrowlatents=str(root / "narrow.npz"),
    )
    return paths


def _wav(path: Path, samples: int) -> None:
    """A 44.1 kHz mono WAV of a quiet tone, ``samples`` long (0: a header and no sound)."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(44100)
        out.writeframes((np.sin(np.arange(samples) / 7) * 3000).astype("<i2").tobytes())


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height)).save(buffer, format="PNG")
    return buffer.getvalue()


CASES = {
    # train
    "train-nothing": (["train"], "give a folder of images"),
    "train-missing-folder": (["train", "{missing}"], "does not exist"),
    "train-empty-folder": (["train", "{empty}"], "has no images"),
    "train-file-as-folder": (["train", "{file}"], "is not a folder"),
    "train-size-not-offered": (
        ["train", "{data}", "--size", "48"],
        "--size: 48 is not one of 32, 64, 128; see artgen train --help",
    ),
    "train-epochs-0": (["train", "{data}", "--epochs", "0"], "--epochs must be between 1"),
    "train-lr-nan": (["train", "{data}", "--lr", "nan"], "more than 0"),
    "train-lr-huge": (["train", "{data}", "--lr", "1e308"], "at most 1"),
    "train-seed-negative": (["train", "{data}", "--seed", "-1"], "--seed must be between 0"),
    "train-seed-huge": (["train", "{data}", "--seed", str(2**70)], "--seed must be between 0"),
    "train-beta1": (["train", "{data}", "--beta1", "1.5"], "--beta1 must be at least 0 and less than 1"),
    "train-smoothing-0": (["train", "{data}", "--label-smoothing", "0"], "--label-smoothing"),
    "train-batch-huge": (
        ["train", "{data}", "--batch-size", "10000000"],
        "--batch-size must be between 1 and 65536",
    ),
    "train-width-huge": (["train", "{data}", "--width", "100000"], "--width must be between 1 and 1024"),
    "train-augment-unknown": (["train", "{data}", "--augment", "blur"], "unknown blur"),
    "train-background": (["train", "{data}", "--background", "plaid"], "unknown colour"),
    "train-data-without-resume": (["train", "{data}", "--data", "{data}"], "--data only"),
    "train-dir-and-resume": (["train", "{data}", "--resume", "{empty}"], "not both"),
    "train-resume-not-a-run": (["train", "--resume", "{empty}"], "not an artgen training run"),
    "train-run-dir-is-file": (["train", "{data}", "--run-dir", "{file}"], "is a file, not a folder"),
    "train-runs-root-is-file": (["train", "{data}", "--runs-root", "{file}"], "is a file, not a folder"),
    "train-run-dir-not-a-run": (["train", "{data}", "--run-dir", "{full}"], "is not an artgen run"),
    "train-no-images": (["train", "{full}"], "has no images"),
    "train-only-broken-images": (["train", "{bad}"], "has no usable images (4 unreadable"),
    "train-max-pixels-low": (["train", "{data}", "--max-pixels", "5"], "between 1000000"),
    # sample
    "sample-nothing": (["sample"], "give OUT.png"),
    "sample-not-png": (["sample", "out.jpg"], "must end in .png"),
    "sample-existing": (["sample", "{existing}"], "exists; pass --overwrite"),
    "sample-count-0": (["sample", "-n", "0", "{out}"], "-n must be between 1"),
    "sample-select-0": (["sample", "--select", "0", "{out}"], "--select must be between 0.25 and 1"),
    "sample-select-bundled": (["sample", "--select", "0.5", "{out}"], "has none: pass --model RUN_DIR"),
    "sample-seed-negative": (["sample", "--seed", "-5", "{out}"], "--seed must be between 0"),
    "sample-model-missing": (["sample", "--model", "{missing}", "{out}"], "does not exist"),
    "sample-model-not-a-model": (["sample", "--model", "{file}", "{out}"], "is not a model file"),
    "sample-model-cut-short": (["sample", "--model", "{keras}", "{out}"], "not a readable Keras file"),
    "sample-model-empty-run": (["sample", "--model", "{empty}", "{out}"], "no generator.keras"),
    "sample-separate-is-file": (["sample", "-n", "2", "--separate", "{file}"], "is a file, not a folder"),
    "sample-out-in-a-file": (["sample", "-n", "2", "{file}/grid.png"], "is a file, not a folder"),
    "sample-count-huge": (["sample", "-n", "100000000", "{out}"], "-n must be between 1 and 10000"),
    "sample-columns-over-count": (["sample", "-n", "4", "--columns", "9", "{out}"], "more than the 4 images"),
    "sample-latents-other": (["sample", "--latents", "{otherlatents}", "{out}"], "another generator"),
    "sample-latents-not-npz": (["sample", "--latents", "{file}", "{out}"], "not an artgen latents file"),
    "sample-latents-select": (
        ["sample", "--latents", "{latents}", "--select", "0.5", "{out}"],
        "leave it out with --latents",
    ),
    "sample-latents-narrow": (["sample", "--latents", "{narrowlatents}", "{out}"], "the generator takes 100"),
    # walk
    "walk-extension": (["walk", "w.txt"], "unknown extension"),
    "walk-fps-tiny": (["walk", "--fps", "0.001", "w.gif"], "--fps must be between 0.1 and 240"),
    "walk-fps-inf": (["walk", "--fps", "inf", "w.webp"], "--fps must be between"),
    "walk-fps-gif": (["walk", "--fps", "60", "w.gif"], "above 50"),
    "walk-frames-1": (["walk", "--frames", "1", "w.gif"], "--frames must be between 2"),
    "walk-frames-huge": (["walk", "--frames", "100000000", "w.gif"], "--frames must be between 2"),
    "walk-keyframes-1": (["walk", "--keyframes", "1", "w.gif"], "--keyframes"),
    "walk-grid-text": (["walk", "--grid", "axb", "w.gif"], "ROWSxCOLUMNS"),
    "walk-grid-memory": (["walk", "--grid", "16x16", "--size", "4096", "w.gif"], "GiB of memory"),
    "walk-side-webp": (["walk", "--grid", "1x40", "--size", "512", "w.webp"], "at most 16383 px"),
    "walk-size-small": (["walk", "--size", "5", "w.gif"], "--size must be between 8"),
    "walk-seed-negative": (["walk", "--seed", "-1", "w.gif"], "--seed must be between 0"),
    "walk-existing": (["walk", "{gif}"], "exists; pass --overwrite"),
    "walk-frames-into-files": (["walk", "--frames", "4", "{full}"], "already has files"),
    "walk-model-cut-short": (["walk", "--model", "{keras}", "w.gif"], "not a readable Keras file"),
    "walk-audio-missing": (["walk", "--audio", "{missing}.wav", "w.mp4"], "missing.wav: no such file"),
    "walk-audio-not-audio": (
        ["walk", "--audio", "{notaudio}", "w.mp4"],
        "notes.wav: not a readable WAV track",
    ),
    "walk-audio-empty-file": (["walk", "--audio", "{nothing}", "w.mp4"], "nothing.wav: the file is empty"),
    "walk-audio-no-sound": (["walk", "--audio", "{silent}", "w.mp4"], "silent.wav: the track is empty"),
    "walk-audio-too-short": (["walk", "--audio", "{blip}", "w.mp4"], "a walk needs at least 2"),
    "walk-audio-suffix": (["walk", "--audio", "{file}", "w.mp4"], "file.txt is not an audio file"),
    "walk-audio-folder": (["walk", "--audio", "{empty}", "w.mp4"], "is not an audio file"),
    "walk-audio-gif": (["walk", "--audio", "{track}", "w.gif"], "--audio plays only in an .mp4"),
    "walk-audio-frames": (["walk", "--audio", "{track}", "frames/"], "--audio plays only in an .mp4"),
    "walk-audio-reactivity": (
        ["walk", "--audio", "{track}", "--reactivity", "2", "w.mp4"],
        "between 0 and 1",
    ),
    "walk-audio-release": (["walk", "--audio", "{track}", "--release", "-1", "w.mp4"], "--release must be"),
    "walk-keyframes-other": (
        ["walk", "w.gif", "--keyframes", "{otherlatents}"],
        "made with another generator",
    ),
    "walk-keyframes-not-npz": (["walk", "w.gif", "--keyframes", "{file}"], "not an artgen latents file"),
    "walk-keyframes-missing": (["walk", "w.gif", "--keyframes", "{missing}"], "no such file"),
    "walk-keyframes-narrow": (["walk", "w.gif", "--keyframes", "{narrowlatents}"], "the generator takes 100"),
    "walk-keyframes-grid": (["walk", "w.gif", "--grid", "1x2", "--keyframes", "{latents}"], "for 2 walks"),
    "walk-keyframe-images-not-image": (
        ["walk", "w.gif", "--keyframe-images", "{photo}", "{notes}"],
        "--keyframe-images ",
    ),
    "walk-keyframe-images-one": (["walk", "w.gif", "--keyframe-images", "{photo}"], "needs at least 2"),
    "walk-keyframes-and-images": (
        ["walk", "w.gif", "--keyframes", "{latents}", "--keyframe-images", "{photo}", "{photo}"],
        "leave out --keyframes",
    ),
    "walk-save-latents-not-npz": (["walk", "w.gif", "--save-latents", "k.txt"], "ends in .npz"),
    "walk-save-latents-exists": (
        ["walk", "w.gif", "--save-latents", "{latents}"],
        "exists; pass --overwrite",
    ),
    # project
    "project-nothing": (["project"], "give IMAGE"),
    "project-image-missing": (["project", "{missing}"], "no such file"),
    "project-image-not-image": (["project", "{notes}"], "not an image"),
    "project-image-cut-short": (["project", "{cutpng}"], "unreadable"),
    "project-out-not-npz": (["project", "{photo}", "-o", "x.png"], "must end in .npz"),
    "project-out-exists": (["project", "{photo}", "-o", "{latents}"], "exists; pass --overwrite"),
    "project-picture-exists": (["project", "{photo}", "-o", "existing.npz"], "existing.png exists"),
    "project-steps-0": (["project", "{photo}", "--steps", "0"], "--steps must be between 1"),
    "project-candidates-few": (
        ["project", "{photo}", "--restarts", "8", "--candidates", "4"],
        "must be at least --restarts",
    ),
    "project-model-missing": (["project", "{photo}", "--model", "{missing}"], "does not exist"),
    # toy
    "toy-mean-1e9": (["toy", "--mean", "1e9"], "--mean must be between -1000 and 1000"),
    "toy-mean-1e308": (["toy", "--mean", "1e308"], "--mean must be between"),
    "toy-mean-nan": (["toy", "--mean", "nan"], "--mean must be between"),
    "toy-std-0": (["toy", "--std", "0"], "--std must be between"),
    "toy-std-huge": (["toy", "--std", "1e300"], "--std must be between"),
    "toy-mixture-text": (["toy", "--mixture", "a:b"], "is not MEAN:STD"),
    "toy-mixture-huge": (["toy", "--mixture=1e9:1"], "the mean must be between"),
    "toy-bins": (["toy", "--bins", "2"], "--bins must be between 5"),
    "toy-epochs-huge": (["toy", "--epochs", "10000000000"], "--epochs must be between 1"),
    "toy-lr-huge": (["toy", "--learning-rate", "1e308"], "--learning-rate must be more than 0 and at most 1"),
    "toy-seed-negative": (["toy", "--seed", "-3"], "--seed must be between 0"),
    "toy-not-a-number": (["toy", "--mean", "four"], "--mean: 'four' is not a number"),
    "toy-run-dir-is-file": (["toy", "--run-dir", "{file}"], "is a file, not a folder"),
    "toy-run-dir-not-empty": (["toy", "--run-dir", "{full}"], "is not empty"),
    # style
    "style-content-missing": (["style", "{missing}", "{painting}"], "no such file"),
    "style-content-not-image": (["style", "{notes}", "{painting}"], "not an image"),
    "style-content-cut-short": (["style", "{cutpng}", "{painting}"], "unreadable"),
    "style-style-is-folder": (["style", "{photo}", "{empty}"], "is a directory"),
    "style-size-small": (["style", "{photo}", "{painting}", "--size", "10"], "--size must be between 16"),
    "style-out-not-png": (["style", "{photo}", "{painting}", "-o", "x.jpg"], "-o must name a .png"),
    "style-out-exists": (["style", "{photo}", "{painting}", "-o", "{existing}"], "exists"),
    "style-weight-negative": (
        ["style", "{photo}", "{painting}", "--style-weight", "-1"],
        "--style-weight must be between 0",
    ),
    "style-seed-negative": (["style", "{photo}", "{painting}", "--seed", "-1"], "--seed must be between 0"),
    "style-bomb": (
        ["style", "{bigpng}", "{painting}", "--max-pixels", "1000000"],
        "above the 1-megapixel limit",
    ),
    "style-iterations-huge": (["style", "{photo}", "{painting}", "--iterations", "9999999"], "between 1"),
    "style-scales-huge": (["style", "{photo}", "{painting}", "--scales", "1000000000"], "--scales must be"),
    "style-weight-huge": (["style", "{photo}", "{painting}", "--tv-weight", "1e308"], "between 0 and 1e+06"),
    "style-mask-not-image": (["style", "{photo}", "{painting}", "--mask", "{notes}"], "--mask"),
    "style-mask-count": (
        ["style", "{photo}", "{painting}", "--mask", "{photo}", "--mask", "{photo}"],
        "--mask was given 2 times for 1 style;",
    ),
    "style-mask-colours-vs-styles": (
        ["style", "{photo}", "{painting}", "{painting}", "--mask", "{photo}"],
        "colour",
    ),
    "style-batch-no-photos": (["style", "{empty}", "{painting}"], "has no photos"),
    "style-batch-out-has-files": (["style", "{data}", "{painting}", "-o", "{full}"], "already has files"),
    "style-batch-out-png": (["style", "{data}", "{painting}", "-o", "x.png"], "-o names a folder"),
    "style-batch-all-broken": (["style", "{bad}", "{painting}"], "none of the 4 photos"),
    "style-fast-content-not-image": (["style", "{notes}", "{painting}", "--method", "fast"], "not an image"),
    "style-fast-style-cut-short": (["style", "{photo}", "{cutpng}", "--method", "fast"], "unreadable"),
    "style-fast-out-exists": (
        ["style", "{photo}", "{painting}", "--method", "fast", "-o", "{existing}"],
        "exists",
    ),
    "style-fast-strength-huge": (
        ["style", "{photo}", "{painting}", "--method", "fast", "--strength", "1.5"],
        "--strength must be between 0 and 1",
    ),
    "style-fast-gatys-setting": (
        ["style", "{photo}", "{painting}", "--method", "fast", "--scales", "2"],
        "--scales is for --method gatys",
    ),
    "style-fast-mask-not-image": (
        ["style", "{photo}", "{painting}", "--method", "fast", "--mask", "{notes}"],
        "--mask",
    ),
    # classify, jobs, the command itself
    "classify-missing": (["classify", "train", "{missing}"], "does not exist"),
    "classify-seed": (["classify", "train", "{data}", "--seed", "-1"], "--seed must be between 0"),
    "classify-filters-huge": (["classify", "train", "{data}", "--filters", "100000000"], "--filters must be"),
    "classify-lr-huge": (["classify", "train", "{data}", "--learning-rate", "1e308"], "at most 1"),
    "jobs-unknown-id": (["jobs", "no-such-job"], "no job no-such-job"),
    "device-unknown": (["--device", "tpu", "sample", "{out}"], "must be auto, cpu, gpu or gpu:N"),
    "command-unknown": (["paint", "{out}"], "'paint' is not a command of artgen"),
}


# Refused only after reading the input (every image decoded, each broken): the decoding progress
# may show above the one error line.
AFTER_WORK = {"train-only-broken-images", "style-batch-all-broken"}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_is_one_line_exit_2_and_touches_nothing(case: str, world: dict[str, str], artgen) -> None:
    argv, phrase = CASES[case]
    argv = [arg.format(**world) for arg in argv]
    root = Path(world["root"])
    before, entries = hashes(root), sorted(p.name for p in root.iterdir())
    line = refused(artgen(*argv), 2, phrase, alone=case not in AFTER_WORK)
    unchanged(before)
    assert sorted(p.name for p in root.iterdir()) == entries, f"{case} left something behind: {line}"
    assert not any(root.rglob(f"{runs.TMP_PREFIX}*"))
