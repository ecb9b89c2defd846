"""L-BFGS and Adam: on the host over a value-and-gradient function of a flat image vector, and
Adam's update on the device, which the backends' compiled loops run.

L-BFGS is SciPy's L-BFGS-B rather than our own: it is the Fortran code
every serious implementation trusts, its Wolfe line search needs no learning
rate, and its box bounds keep every pixel in 0-255 exactly, where a numpy
L-BFGS would need clipping that breaks its curvature pairs. Adam is a few
lines of numpy: the image is one small array, so the update costs nothing
next to VGG's forward and backward pass.

Both call ``on_iteration(iteration, terms)`` after each iteration and stop
when it returns True; both keep the best image seen, which is what an early
stop writes.

On the device (:func:`on_device`), a backend's compiled loop
(``step_tensorflow.py``, ``step_jax.py``) iterates without a host round trip
per iteration. The update it runs, :func:`adam_update` and :func:`keep_best`,
is written here once for every backend, in ``keras.ops``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "Best",
    "DeviceBest",
    "EvaluationStopped",
    "lbfgs",
    "adam",
    "on_device",
    "adam_update",
    "keep_best",
    "ADAM_LEARNING_RATE",
    "CHUNK_SECONDS",
    "LBFGS_HISTORY",
]

# flat picture -> (loss, d loss / d picture as a flat float32 array, loss terms)
ValueAndGrad = Callable[[np.ndarray], tuple[float, np.ndarray, dict[str, float]]]
OnIteration = Callable[[int, dict[str, float]], bool]

ADAM_LEARNING_RATE = 2.0  # pixel units (0-255), as crowsonkb/style-transfer-pytorch
LBFGS_HISTORY = 10  # SciPy's default maxcor
MAX_LINE_SEARCH = 20  # SciPy's default maxls
CHUNK_SECONDS = 0.5  # device loops report (and can be cancelled) at least this often
MAX_CHUNK = 10  # ... and at least every this many iterations, for a live progress bar


class EvaluationStopped(Exception):
    """A stop was asked in the middle of an evaluation (a tiled one takes minutes at 4096 px).

    Raised through the optimizer by the evaluation itself; the caller keeps
    :attr:`Best.x`, the best picture of the evaluations that did finish.
    """


class Best:
    """The lowest-loss image evaluated so far, and the terms of the latest evaluation."""

    def __init__(self, fn: ValueAndGrad, transfers: int = 1) -> None:
        self.fn = fn
        self.transfers = transfers  # host <-> device exchanges per evaluation: 1, or 2 per tile when tiled
        self.x: np.ndarray | None = None
        self.loss = np.inf
        self.terms: dict[str, float] = {}
        self.latest: dict[str, float] = {}
        self.round_trips = 0  # host <-> device: each evaluation sends the picture and fetches its gradient

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        self.round_trips += self.transfers
        loss, grad, terms = self.fn(x)
        self.latest = terms
        if not np.isfinite(loss):
            raise FloatingPointError("style loss became NaN or infinite")
        if loss < self.loss:
            # float32, as VGG sees it: at 4096 px a float64 copy would be 400 MB more
            self.x, self.loss, self.terms = np.array(x, np.float32), loss, terms
        return loss, grad


def lbfgs(
    best: Best,
    x0: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    iterations: int,
    on_iteration: OnIteration,
    history: int = LBFGS_HISTORY,
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
    start makes no progress. ``history`` is L-BFGS's memory (SciPy's
    ``maxcor``): pairs of full-size float64 vectors, the bulk of a large
    picture's memory.
    """
    count, stopped = 0, False
    unit = np.sqrt(x0.size)

    def scaled(z: np.ndarray, grad_out: np.ndarray) -> float:
        loss, grad = best(np.multiply(z, unit, dtype=np.float32))
        np.multiply(grad, unit, out=grad_out)
        return loss

    def callback() -> bool:
        nonlocal count, stopped
        count += 1
        stopped = on_iteration(count, best.latest)
        return stopped

    start = x0
    while count < iterations:
        before = count
        _lbfgsb(scaled, start, lower, upper, unit, history, iterations - count, callback)
        if stopped or count == before:
            break
        start = best.x


def _lbfgsb(fun, x0, lower, upper, unit: float, history: int, iterations: int, callback) -> None:
    """SciPy's L-BFGS-B core (``setulb``) driven directly, as ``scipy.optimize.minimize`` drives it.

    ``minimize`` turns array bounds into a Python list of n (low, high)
    tuples and back, and loops over them in Python: at 2048 px (12.6 million
    values) that took 47 s and 4 GB before the first evaluation. Here the
    bounds stay arrays and the gradient is written in place, so the memory is
    L-BFGS-B's own work arrays and nothing else. Tolerances are 0: losses are
    means over millions of values, so gradients are tiny and SciPy's default
    tolerances would stop after a few steps; the iteration budget decides.
    """
    from scipy.optimize import _lbfgsb as core  # the C translation of L-BFGS-B 3.0 (SciPy >= 1.15)

    n, m = x0.size, history
    x = np.divide(x0, unit, dtype=np.float64)
    low = np.divide(lower, unit, dtype=np.float64)
    high = np.divide(upper, unit, dtype=np.float64)
    np.clip(x, low, high, out=x)
    bounded = np.full(n, 2, np.int32)  # 2: both bounds
    grad = np.zeros(n, np.float64)
    work = np.zeros(2 * m * n + 5 * n + 11 * m * m + 8 * m, np.float64)
    iwork = np.zeros(3 * n, np.int32)
    task, ln_task = np.zeros(2, np.int32), np.zeros(2, np.int32)
    lsave, isave, dsave = np.zeros(4, np.int32), np.zeros(44, np.int32), np.zeros(29, np.float64)
    value, done, evaluations = 0.0, 0, 0
    while True:
        core.setulb(
            m,
            x,
            low,
            high,
            bounded,
            value,
            grad,
            0.0,
            0.0,
            work,
            iwork,
            task,
            lsave,
            isave,
            dsave,
            MAX_LINE_SEARCH,
            ln_task,
        )
        if task[0] == 3:  # evaluate at x
            value = fun(x, grad)
            evaluations += 1
        elif task[0] == 1:  # a new iterate
            done += 1
            if callback() or done >= iterations or evaluations > 3 * iterations:
                return
        else:  # converged, or the line search gave up
            return


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


def adam_update(x, grad, m, v, step, learning_rate, beta1=0.9, beta2=0.999, epsilon=1e-8):
    """One Adam step of picture ``x`` on the device, as :func:`adam` takes it on the host; ``step``
    counts from 1. Returns (x, m, v)."""
    from keras import ops

    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * ops.square(grad)
    m_hat = m / (1 - ops.power(beta1, step))
    v_hat = v / (1 - ops.power(beta2, step))
    return x - learning_rate * m_hat / (ops.sqrt(v_hat) + epsilon), m, v


def keep_best(x, terms: dict, best_x, best_terms: dict):
    """(best picture, its loss terms) after seeing ``x`` with ``terms``, on the device: what
    :class:`Best` keeps on the host, and what an early stop writes."""
    from keras import ops

    better = terms["total"] < best_terms["total"]
    return ops.where(better, x, best_x), {
        name: ops.where(better, terms[name], best_terms[name]) for name in terms
    }
