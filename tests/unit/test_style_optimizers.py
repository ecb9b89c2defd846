"""The host optimizers: L-BFGS-B driven directly takes SciPy's own steps, in a fraction of its memory."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import Bounds, minimize

from artgen.style import optimizers


def _problem(n: int = 300, seed: int = 0):
    """A bounded, badly scaled quadratic plus a quartic: curvature pairs matter, bounds bind."""
    rng = np.random.default_rng(seed)
    scales = np.exp(rng.uniform(-3, 3, n))
    centre = rng.normal(0, 80, n)

    def fn(x):
        d = np.asarray(x, np.float64) - centre
        loss = float(np.sum(scales * d**2) + 1e-4 * np.sum(d**4))
        grad = 2 * scales * d + 4e-4 * d**3
        return loss, grad.astype(np.float32), {"total": loss}

    lower, upper = np.full(n, -50.0, np.float32), np.full(n, 60.0, np.float32)
    return fn, rng.uniform(-40, 50, n).astype(np.float32), lower, upper


@pytest.mark.parametrize("history", [10, 3])
def test_lbfgs_takes_scipys_steps(history):
    fn, x0, lower, upper = _problem()
    iterations, seen = 25, []
    best = optimizers.Best(fn)
    optimizers.lbfgs(best, x0, lower, upper, iterations, lambda i, terms: seen.append(i) and False, history)

    # SciPy's minimize on the same scaled variables, evaluating in float32 as the driver does
    unit = np.sqrt(x0.size)
    reference = optimizers.Best(fn)

    def scaled(z):
        loss, grad = reference(np.multiply(z, unit, dtype=np.float32))
        return loss, grad.astype(np.float64) * unit

    minimize(
        scaled,
        x0 / unit,
        jac=True,
        method="L-BFGS-B",
        bounds=Bounds(lower / unit, upper / unit),
        options={"maxiter": iterations, "maxfun": 3 * iterations, "ftol": 0, "gtol": 0, "maxcor": history},
    )
    assert seen == list(range(1, iterations + 1))
    assert best.loss == reference.loss
    np.testing.assert_array_equal(best.x, reference.x)
    slack = 1e-5 * np.abs(upper).max()  # the bounds hold up to the float32 rounding of x * unit
    assert (best.x >= lower - slack).all() and (best.x <= upper + slack).all()
    assert best.loss < fn(x0)[0] / 2


def test_lbfgs_stops_when_asked_and_keeps_the_best_picture():
    fn, x0, lower, upper = _problem()
    best = optimizers.Best(fn)
    optimizers.lbfgs(best, x0, lower, upper, 50, lambda i, terms: i == 4)
    assert best.x.dtype == np.float32 and best.loss == min(fn(best.x)[0], best.loss)
    assert best.round_trips < 50
