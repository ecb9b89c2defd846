"""How much memory a style transfer will need, known before it starts, and so how it runs.

The peak is VGG's activations for one forward and backward pass at the
largest scale (or the largest tile window), plus the full-size arrays the
optimizer keeps (the picture, its gradient, L-BFGS's history), on top of what
the process holds already (the runtime, the network's weights). Activations
are counted from the layers' shapes; the factor turning them into bytes held
at the peak (pre- and post-activation copies, gradients, the backend's
scratch) was measured on this project's CPU for each backend (peak resident
size of fresh ``artgen style --scales 1 --iterations 2`` processes at 512
and 768 px: 2.05 under TensorFlow, 4.0 under JAX) and is checked by a test
to stay within 25% of the measured peak.

:func:`plan` chooses from the estimates how a picture is painted (whole or in
tiles, with how much L-BFGS history), :func:`plan_texture` checks a texture;
both refuse a size that cannot fit before anything is written.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass, replace

from artgen import backends, vgg
from artgen.errors import InputError
from artgen.style.config import StyleConfig, TextureConfig
from artgen.style.pictures import fit_size

__all__ = [
    "plan",
    "plan_texture",
    "device_memory",
    "Estimate",
    "activation_elements",
    "estimate",
    "available_bytes",
    "process_bytes",
    "optimizer_bytes",
    "peak_bytes",
    "largest_fitting_size",
    "gb",
]

# Bytes held at the peak of a forward+backward pass per float32 activation element of
# the convolutions' outputs, per backend (measured, see the module docstring).
ACTIVATION_FACTOR = {"tensorflow": 4 * 2.05, "jax": 4 * 4.0}
# Bytes per activation element for --seamless's wrap-padded copies (see estimate). Peak resident size of
# fresh `artgen style --size 512 --scales 1 --iterations 2` processes under TensorFlow: 1.75 GB seamless
# against 1.51 GB ordinary; estimated 1.8 and 1.5 GB.
SEAMLESS_EXTRA = 4 * 1.0
AUTO_TILE_SHARE = {"CPU": 0.5, "GPU": 0.9}  # of the free memory, before auto tiling starts; a CPU is shared
# Largest first: bigger tiles waste less on margins (at 2048 px, 512 px cores compute 1.7 times the
# picture's area, 768 px ones 1.5 times), but tiling is for saving memory: a 768 px tile's window
# holds 2.1 GB of activations against 1.1 GB for 512 px, which kept a 2048 px run at an estimated
# 6.6 GB once L-BFGS's history filled, against 5.6 GB with 512 px tiles.
TILE_CORES = (512, 384, 256)
# L-BFGS history sizes (pairs of full-size float64 vectors, SciPy's maxcor) a run may use, best
# first: a picture whose memory would not fit with 10 pairs gets fewer before it is refused.
LBFGS_HISTORIES = (10, 5, 3)


def optimizer_vectors(
    optimizer: str, history: int = LBFGS_HISTORIES[0], iterations: int | None = None
) -> float:
    """Full-size float64 vectors (or their bytes' worth) held while optimizing, counted from the code.

    L-BFGS-B (:func:`artgen.style.optimizers.lbfgs`): its work array (2m + 5),
    of whose 2m history columns only those written are ever resident (the
    array is zeroed memory the kernel backs on first write, and each
    iteration writes one pair: a 4-iteration run with m = 10 holds 4 pairs),
    x, the gradient and both bounds (4), its int32 bound kinds and work (2); the
    engine's bounds (1, float32 pair) and start picture (0.5), the best picture
    (0.5), and an evaluation's float32 picture, gradient and temporaries (2).
    Adam: x, m, v and the update's float64 temporaries (6), the bounds, best
    picture and an evaluation's buffers (4).
    """
    if optimizer == "lbfgs":
        pairs = history if iterations is None else min(history, iterations)
        return 2 * pairs + 5 + 4 + 2 + 1 + 0.5 + 0.5 + 2
    return 10.0


def gb(value: float) -> str:
    return f"{value / 1e9:.1f} GB"


def activation_elements(height: int, width: int, net: str) -> int:
    """Float elements of every convolution's and pooling's output, up to the deepest layer the losses read."""
    total = 0
    for name in vgg.layers_up_to(net, vgg.deepest_layer()):
        block = int(name[5])
        stride = 2**block if name.endswith("_pool") else 2 ** (block - 1)
        channels = vgg.WIDTHS[min(block, 5) - 1]
        total += (height // stride) * (width // stride) * channels
    return total


def optimizer_bytes(
    pixels: int, optimizer: str, history: int = LBFGS_HISTORIES[0], iterations: int | None = None
) -> int:
    """The optimizer's full-size arrays: the picture's values are ``3 * pixels``."""
    return round(8 * optimizer_vectors(optimizer, history, iterations) * 3 * pixels)


@dataclass(frozen=True)
class Estimate:
    """Peak bytes of a run, what the process holds already, and what is free."""

    peak: int
    base: int
    available: int
    tile: int  # tile core in pixels; 0 = untiled
    device: str
    history: int = LBFGS_HISTORIES[0]  # L-BFGS pairs kept

    @property
    def fits(self) -> bool:
        return self.peak - self.base <= self.available

    def fits_share(self) -> bool:
        """Fits in the part of the free memory a run may take without tiling (see AUTO_TILE_SHARE)."""
        share = AUTO_TILE_SHARE["CPU" if self.device == "CPU" else "GPU"]
        return self.peak - self.base <= share * self.available

    def describe(self) -> str:
        how = f"in {self.tile} px tiles" if self.tile else "untiled"
        if self.history != LBFGS_HISTORIES[0]:
            how += f", L-BFGS history {self.history}"
        return (
            f"estimated peak memory {gb(self.peak)} ({how}); {gb(self.available)} free on the {self.device}"
        )


def estimate(
    sizes: list[tuple[int, int]],
    net: str,
    optimizer: str,
    backend: str,
    tile: int = 0,
    margin: int = 0,
    base: int | None = None,
    available: int | None = None,
    device: str = "CPU",
    history: int = LBFGS_HISTORIES[0],
    seamless: bool = False,
    iterations: int | None = None,
) -> Estimate:
    """The peak over the coarse-to-fine ``sizes`` ((width, height) per scale), untiled or in tiles.

    ``iterations`` (per scale): fewer than ``history`` fill fewer L-BFGS pairs
    (see :func:`optimizer_vectors`); ``None`` counts a full history.

    ``seamless``: each convolution reads a wrap-padded copy of its input
    (:mod:`artgen.vgg.circular`), kept for the backward pass: one more
    float32 copy of the activations (:data:`SEAMLESS_EXTRA`).
    """
    base = process_bytes() if base is None else base
    available = available_bytes() if available is None else available
    factor = ACTIVATION_FACTOR.get(backend, ACTIVATION_FACTOR["tensorflow"])
    factor += SEAMLESS_EXTRA if seamless else 0
    peak = 0
    for width, height in sizes:
        if tile:
            window_h, window_w = min(height, tile + 2 * margin), min(width, tile + 2 * margin)
        else:
            window_h, window_w = height, width
        activations = factor * activation_elements(window_h, window_w, net)
        # the content target; untiled, the backend holds a copy of it too
        content = 4 * (height // 8) * (width // 8) * 512 * (1 if tile else 2)
        peak = max(
            peak, activations + optimizer_bytes(width * height, optimizer, history, iterations) + content
        )
    return Estimate(base + peak, base, available, tile, device, history)


def plan(config: StyleConfig, content_size: tuple[int, int]) -> tuple[int, int, Estimate]:
    """The tile core (0: untiled), the L-BFGS history and the run's estimated peak, or an InputError.

    Options in order of preference: untiled (unless ``--tile on``), then tiles
    from the largest down (unless ``--no-tile``), each with L-BFGS's full
    history, then with shorter ones (:data:`LBFGS_HISTORIES`). The run
    takes the first option within :data:`AUTO_TILE_SHARE` of the free
    memory, else the first that fits at all, so nothing that fits is refused.
    A size that fits in no way is refused before anything is written, naming
    the largest size that would fit. ``config``'s unset settings are a still picture's
    (:meth:`StyleConfig.settled`) unless the caller settled them otherwise.
    """
    from artgen.style.tiles import margin_for

    config = config.settled()
    backend = backends.running()
    device, base, available = device_memory()
    margin = margin_for(config.net)

    def needed(long_side: int, core: int, history: int) -> Estimate:
        schedule = replace(config, size=long_side).scale_sizes()
        return estimate(
            [fit_size(*content_size, side) for side in schedule],
            config.net,
            config.optimizer,
            backend,
            core,
            margin,
            base,
            available,
            device,
            history,
            seamless=config.seamless,
            iterations=config.iterations,
        )

    cores = [] if config.tile == "on" else [0]
    # tile windows do not wrap around; a region's Gram matrices need the whole picture at once
    if config.tile != "off" and not config.seamless and not config.masks:
        cores += [config.tile_size] if config.tile_size else list(TILE_CORES)
    histories = LBFGS_HISTORIES if config.optimizer == "lbfgs" else LBFGS_HISTORIES[:1]
    options = [(core, history) for history in histories for core in cores]
    estimates = [needed(config.size, core, history) for core, history in options]
    for check in (Estimate.fits_share, lambda estimate: estimate.fits):
        for (core, history), option in zip(options, estimates, strict=True):
            if check(option):
                return core, history, option
    core, history = options[-1]
    smaller = largest_fitting_size(lambda side: needed(side, core, history).fits, config.size)
    more = ", or --tile" if config.tile == "off" and not config.seamless else ""
    raise InputError(_too_big("picture", config.size, min(estimates, key=lambda e: e.peak), smaller, more))


def plan_texture(config: TextureConfig) -> Estimate:
    """A texture's estimated peak, or an InputError naming the largest size that fits (textures run
    untiled)."""
    device, base, available = device_memory()
    backend = backends.running()

    def needed(side: int) -> Estimate:
        sizes = [(s, s) for s in replace(config, size=side).scale_sizes()]
        return estimate(
            sizes,
            config.net,
            config.optimizer,
            backend,
            0,
            0,
            base,
            available,
            device,
            seamless=config.seamless,
            iterations=config.iterations,
        )

    whole = needed(config.size)
    if not whole.fits:
        smaller = largest_fitting_size(lambda side: needed(side).fits, config.size)
        raise InputError(_too_big("texture", config.size, whole, smaller))
    return whole


def _too_big(what: str, size: int, needed: Estimate, smaller: int | None, more: str = "") -> str:
    advice = f"use --size {smaller}{more}" if smaller else "free some memory or use a smaller --size"
    return (
        f"a {size} px {what} needs about {gb(needed.peak)} of memory but "
        f"{gb(needed.available + needed.base)} is there for it on the {needed.device}; {advice}"
    )


def largest_fitting_size(fits, size: int, floor: int = 64) -> int | None:
    """The largest long side (a multiple of 64, at most ``size``) for which ``fits(long_side)``."""
    for candidate in range(size // 64 * 64, floor - 1, -64):
        if fits(candidate):
            return candidate
    return None


def device_memory() -> tuple[str, int, int]:
    """(device, bytes this run holds there already, bytes still free there): the accelerator's, as
    its backend tells them, or on a CPU this process's and the machine's."""
    from artgen.style.objective import accelerator_memory

    return accelerator_memory() or ("CPU", process_bytes(), available_bytes())


def peak_bytes() -> int:
    """This process's peak resident memory since it started (Linux VmHWM), for measuring the estimate.

    Not ``getrusage``'s ``ru_maxrss``: Linux carries a parent's peak into a
    child across fork and exec, so a child of a large process (a test
    session, a benchmark) reports its parent's size whenever that is larger.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def process_bytes() -> int:
    """Resident memory of this process now (Linux), or its peak so far elsewhere."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def available_bytes() -> int:
    """Memory the system can still give (Linux MemAvailable), or all physical memory elsewhere."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
