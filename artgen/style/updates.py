"""The optimiser updates that run on the device, in ``keras.ops``: written once for every backend.

The backend modules only loop and compile them (``lax.fori_loop`` under JAX,
a ``tf.function`` loop under TensorFlow), so a run of iterations never
leaves the accelerator.
"""

from __future__ import annotations

from keras import ops

__all__ = ["adam_update", "keep_best"]


def adam_update(x, grad, m, v, step, learning_rate, beta1=0.9, beta2=0.999, epsilon=1e-8):
    """One Adam step (Kingma and Ba) of picture ``x``; ``step`` counts from 1. Returns (x, m, v)."""
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * ops.square(grad)
    m_hat = m / (1 - ops.power(beta1, step))
    v_hat = v / (1 - ops.power(beta2, step))
    return x - learning_rate * m_hat / (ops.sqrt(v_hat) + epsilon), m, v


def keep_best(x, terms: dict, best_x, best_terms: dict):
    """(best picture, its loss terms) after seeing ``x`` with ``terms``: what an early stop writes."""
    better = terms["total"] < best_terms["total"]
    return ops.where(better, x, best_x), {
        name: ops.where(better, terms[name], best_terms[name]) for name in terms
    }
