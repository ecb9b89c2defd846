"""L-BFGS and Adam over a value-and-gradient function of a flat image vector.

L-BFGS is SciPy's L-BFGS-B rather than our own: it is the Fortran code
every serious implementation trusts, its Wolfe line search needs no learning
rate, and its box bounds keep every pixel in 0-255 exactly, where a numpy
L-BFGS would need clipping that breaks its curvature pairs. Adam is a few
lines of numpy: the image is one small array, so the update costs nothing
next to VGG's forward and backward pass.

Both call ``on_iteration(iteration, terms)`` after each iteration and stop
when it returns True; both keep the best image seen, which is what an early
stop writes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["Best", "DeviceBest", "lbfgs", "adam", "on_device", "ADAM_LEARNING_RATE", "CHUNK_SECONDS"]

ValueAndGrad = Callable[[np.ndarray], tuple[float, np.ndarray, dict[str, float]]]
OnIteration = Callable[[int, dict[str, float]], bool]

ADAM_LEARNING_RATE = 2.0  # pixel units (0-255), as crowsonkb/style-transfer-pytorch
CHUNK_SECONDS = 0.5  # device loops report (and can be cancelled) at least this often
MAX_CHUNK = 10  # ... and at least every this many iterations, for a live progress bar


class Best:
    """The lowest-loss image evaluated so far, and the terms of the latest evaluation."""

    def __init__(self, fn: ValueAndGrad) -> None:
        self.fn = fn
        self.x: np.ndarray | None = None
        self.loss = np.inf
        self.terms: dict[str, float] = {}
        self.latest: dict[str, float] = {}
        self.round_trips = 0  # host <-> device: each evaluation sends the picture and fetches its gradient

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        self.round_trips += 1
        loss, grad, terms = self.fn(x)
        self.latest = terms
        if not np.isfinite(loss):
            raise FloatingPointError("style loss became NaN or infinite")
        if loss < self.loss:
            self.x, self.loss, self.terms = np.array(x, copy=True), loss, terms
        return loss, grad


def lbfgs(
    best: Best,
    x0: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    iterations: int,
    on_iteration: OnIteration,
) -> None:
    """Run up to ``iterations`` L-BFGS-B iterations from ``x0`` within [lower, upper].

    L-BFGS-B's first line search tries a step of length 1 in its variables.
    In pixels that is a change of 1/sqrt(n) per value, whose effect on a
    float32 loss is below its rounding noise, and the line search gives up
    ("ABNORMAL_TERMINATION_IN_LNSRCH") without a single step; we saw this
    after upsampling to 256 px. So it works on x / sqrt(n): the first trial
    moves each value by about one level of 0-255, and later steps are scaled
    by the curvature it learns, as usual. Should a search still give up, a
    fresh start from the best image follows, until the budget is spent or a
    start makes no progress.
    """
    from scipy.optimize import Bounds, minimize

    count, stopped = 0, False

    def callback(intermediate_result) -> None:
        nonlocal count, stopped
        count += 1
        stopped = on_iteration(count, best.latest)
        if stopped:
            raise StopIteration

    unit = np.sqrt(x0.size)

    def scaled(z: np.ndarray) -> tuple[float, np.ndarray]:
        loss, grad = best(z * unit)
        return loss, grad * unit

    start = x0
    while count < iterations:
        before = count
        minimize(
            scaled,
            start / unit,
            jac=True,
            method="L-BFGS-B",
            bounds=Bounds(lower / unit, upper / unit),
            callback=callback,
            # ftol/gtol 0: losses are means over millions of values, so gradients are tiny and SciPy's
            # default tolerances would stop after a few steps; the iteration budget decides.
            options={
                "maxiter": iterations - count,
                "maxfun": 3 * (iterations - count),
                "ftol": 0.0,
                "gtol": 0.0,
            },
        )
        if stopped or count == before:
            break
        start = best.x


def adam(
    best: Best,
    x0: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    iterations: int,
    on_iteration: OnIteration,
    learning_rate: float = ADAM_LEARNING_RATE,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
) -> None:
    """Run ``iterations`` Adam steps from ``x0``, clipping to [lower, upper] after each."""
    x = np.array(x0, dtype=np.float64, copy=True)
    m, v = np.zeros_like(x), np.zeros_like(x)
    for step in range(1, iterations + 1):
        _, grad = best(x)
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad * grad
        m_hat, v_hat = m / (1 - beta1**step), v / (1 - beta2**step)
        x = np.clip(x - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), lower, upper)
        if on_iteration(step, best.latest):
            break
    best(x)  # the last update is an image too; let it compete for best


class DeviceBest:
    """:class:`Best`'s view of a device loop: the best picture is fetched only when someone looks."""

    def __init__(self, loop) -> None:
        self.loop = loop
        self.terms: dict[str, float] = {}
        self.round_trips = 0  # one per chunk of iterations: its loss terms, a few scalars

    @property
    def x(self) -> np.ndarray:
        return self.loop.best()


def on_device(
    best: DeviceBest, x0: np.ndarray, iterations: int, on_iteration: OnIteration, first: int = 1
) -> None:
    """Run ``iterations`` of a compiled device loop in chunks, ``on_iteration`` after each chunk.

    The first chunk (``first`` iterations) pays for compiling; later chunks are
    sized so that one takes about :data:`CHUNK_SECONDS`, so a stop request is
    honoured within a second while a fast accelerator still crosses to the
    host only once every few iterations.
    """
    import time

    best.loop.start(x0)
    done, chunk, rate = 0, first, None
    while done < iterations:
        count = min(chunk, iterations - done)
        started = time.perf_counter()
        best.terms = best.loop.advance(count, final=done + count >= iterations)
        best.round_trips += 1
        if not np.isfinite(best.terms["total"]):
            raise FloatingPointError("style loss became NaN or infinite")
        if done:  # the first chunk's time is mostly compiling
            rate = count / max(time.perf_counter() - started, 1e-9)
        done += count
        if on_iteration(done, best.terms):
            break
        if rate:
            chunk = int(min(MAX_CHUNK, max(1, rate * CHUNK_SECONDS)))
