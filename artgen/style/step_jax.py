"""The compiled loss-and-gradient step under JAX: the JAX twin of ``step_tensorflow.py``.

Same contract: ``f(x) -> (total, d total / dx, terms)`` on flat float64
vectors for the numpy-side optimisers. VGG runs through ``stateless_call``
with its weights passed in as arguments, so ``jax.jit`` compiles one
function of the image alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from artgen.style.losses import Targets, Weights, loss_terms, tile_share, tile_statistics
from artgen.style.updates import adam_update, keep_best


def _use_persistent_cache() -> None:
    """Keep XLA's compiled programs across runs, so a second run at the same size starts computing at once.

    Under artgen's cache directory (``$ARTGEN_CACHE_DIR`` or ~/.cache/artgen),
    unless the user pointed JAX's cache elsewhere already.
    """
    if jax.config.jax_compilation_cache_dir:
        return
    from artgen.images import cache_dir

    root = cache_dir() if os.environ.get("ARTGEN_CACHE_DIR") else cache_dir().parent
    jax.config.update("jax_compilation_cache_dir", str(root / "jax"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)


_use_persistent_cache()

__all__ = ["make_value_and_grad", "make_tile_functions", "device_memory", "DeviceLoop", "compilations"]

ValueAndGrad = Callable[[np.ndarray], tuple[float, np.ndarray, dict[str, float]]]


class _Stateless:
    """Calls a Keras model with explicit weights, as ``loss_terms`` calls ``model(image)``."""

    def __init__(self, model, trainable, fixed) -> None:
        self.model, self.trainable, self.fixed = model, trainable, fixed

    def __call__(self, image, training: bool = False):
        outputs, _ = self.model.stateless_call(self.trainable, self.fixed, image, training=training)
        return outputs


def make_value_and_grad(
    model, targets: Targets, weights: Weights, shape: tuple[int, int, int, int]
) -> ValueAndGrad:
    """``f(x) -> (total, d total / dx, terms)`` for flat Caffe-space images of ``shape``."""
    constants = Targets(
        content=jnp.asarray(targets.content),
        grams=tuple(jnp.asarray(g) for g in targets.grams),
        layer_weights=targets.layer_weights,
        content_norm=targets.content_norm,
        gram_norms=targets.gram_norms,
    )
    trainable = [v.value for v in model.trainable_variables]
    fixed = [v.value for v in model.non_trainable_variables]

    def total(image, trainable, fixed):
        terms = loss_terms(_Stateless(model, trainable, fixed), image, constants, weights)
        return terms["total"], terms

    step = jax.jit(jax.value_and_grad(total, has_aux=True))

    def value_and_grad(x: np.ndarray) -> tuple[float, np.ndarray, dict[str, float]]:
        image = jnp.asarray(np.asarray(x, dtype=np.float32).reshape(shape))
        (_, terms), grad = step(image, trainable, fixed)
        values = {name: float(value) for name, value in terms.items()}
        return values["total"], np.asarray(grad).ravel(), values

    return value_and_grad


def make_tile_functions(model):
    """Compiled ``statistics(window, masks)`` and ``share(window, masks, gram_grads, target, scale)``.

    ``jax.jit`` compiles once per window shape; :func:`artgen.style.tiles.plan_tiles`
    keeps those to at most four per picture shape.
    """
    trainable = [v.value for v in model.trainable_variables]
    fixed = [v.value for v in model.non_trainable_variables]

    @jax.jit
    def statistics(window, masks, trainable, fixed):
        return tile_statistics(_Stateless(model, trainable, fixed), window, masks)

    def surrogate(window, masks, gram_grads, content_target, content_scale, trainable, fixed):
        net = _Stateless(model, trainable, fixed)
        return tile_share(net, window, masks, gram_grads, content_target, content_scale)

    share = jax.jit(jax.value_and_grad(surrogate, has_aux=True))

    def run_statistics(window, masks):
        sums, content = statistics(window, masks, trainable, fixed)
        return [np.asarray(s) for s in sums], np.asarray(content)

    def run_share(window, masks, gram_grads, content_target, content_scale):
        (_, content), grad = share(
            window, masks, gram_grads, content_target, np.float32(content_scale), trainable, fixed
        )
        return float(content), np.asarray(grad)

    return run_statistics, run_share


def device_memory() -> tuple[str, int, int]:
    """(device, bytes this run holds there already, bytes still free there) for the memory estimate."""
    from artgen.style import memory

    device = jax.devices()[0]
    stats = device.memory_stats() if device.platform != "cpu" else None
    if not stats:
        return "CPU", memory.process_bytes(), memory.available_bytes()
    used = stats.get("bytes_in_use", 0)
    return device.device_kind, used, stats.get("bytes_limit", used) - used


def _constants(targets: Targets) -> Targets:
    return Targets(
        content=jnp.asarray(targets.content),
        grams=tuple(jnp.asarray(g) for g in targets.grams),
        layer_weights=targets.layer_weights,
        content_norm=targets.content_norm,
        gram_norms=targets.gram_norms,
    )


_COMPILED: list = []  # the device loops' jitted functions, for counting compilations


def compilations() -> int:
    """Programs XLA compiled so far for this process's device loops (one per shape and optimiser)."""
    return sum(fn._cache_size() for fn in _COMPILED)


class DeviceLoop:
    """Adam or L-BFGS iterating inside one compiled ``lax.fori_loop``: no host round trip per iteration.

    ``advance(count)`` runs ``count`` iterations (``count`` is an argument, not
    a shape: one compilation serves every chunk) and brings back only the best
    picture's loss terms, a few scalars. L-BFGS is optax's, with its zoom line
    search; it runs unbounded (a projection would break its curvature pairs)
    and the written picture is clipped to 0-255 as always.
    """

    def __init__(
        self, model, targets: Targets, weights: Weights, shape, optimizer: str, lower, upper, learning_rate
    ):
        constants = _constants(targets)
        self.shape = shape
        self.weights = (
            [v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables],
        )
        low = jnp.asarray(np.asarray(lower, np.float32).reshape(shape))
        high = jnp.asarray(np.asarray(upper, np.float32).reshape(shape))

        def objective(image, trainable, fixed):
            terms = loss_terms(_Stateless(model, trainable, fixed), image, constants, weights)
            return terms["total"], terms

        value_and_grad = jax.value_and_grad(objective, has_aux=True)

        unit = float(np.sqrt(np.prod(shape)))  # L-BFGS works on x / unit: a first step of ~1 level per value
        if optimizer == "adam":

            def init(x):
                zeros = jnp.zeros_like(x)
                return {"x": x, "m": zeros, "v": zeros}

            def step(i, carry, trainable, fixed):
                state, best_x, best_terms = carry
                (_, terms), grad = value_and_grad(state["x"], trainable, fixed)
                best_x, best_terms = keep_best(state["x"], terms, best_x, best_terms)
                x, m, v = adam_update(
                    state["x"], grad, state["m"], state["v"], state["t"] + i + 1.0, learning_rate
                )
                return {**state, "x": jnp.clip(x, low, high), "m": m, "v": v}, best_x, best_terms

        else:
            import optax

            solver = optax.lbfgs()

            def init(x):
                return {"x": x / unit, "opt": solver.init(x / unit)}

            def step(i, carry, trainable, fixed):
                state, best_x, best_terms = carry

                def value(z):
                    return objective(z * unit, trainable, fixed)[0]

                total, grad = optax.value_and_grad_from_state(value)(state["x"], state=state["opt"])
                updates, opt = solver.update(
                    grad, state["opt"], state["x"], value=total, grad=grad, value_fn=value
                )
                return (
                    {**state, "x": optax.apply_updates(state["x"], updates), "opt": opt},
                    best_x,
                    best_terms,
                )

        def run(carry, count, final, trainable, fixed):
            state, best_x, best_terms = jax.lax.fori_loop(
                0, count, lambda i, c: step(i, c, trainable, fixed), carry
            )
            state = {**state, "t": state["t"] + count}
            # The latest picture competes too. For L-BFGS it is the only one a chunk checks (its line
            # search evaluated it already; one forward pass per chunk is cheaper than carrying terms
            # through it); Adam checked every earlier picture, so only its very last one is left.
            x = state["x"] * unit if optimizer == "lbfgs" else state["x"]

            def with_latest(best):
                return keep_best(x, objective(x, trainable, fixed)[1], *best)

            check = jnp.logical_or(final, optimizer == "lbfgs")
            best_x, best_terms = jax.lax.cond(check, with_latest, lambda best: best, (best_x, best_terms))
            return (state, best_x, best_terms), best_terms

        self._init = init
        self._run = jax.jit(run, donate_argnums=0)
        _COMPILED.append(self._run)

    def start(self, x0: np.ndarray) -> None:
        x = jnp.asarray(np.asarray(x0, np.float32).reshape(self.shape))
        state = {**self._init(x), "t": jnp.zeros((), jnp.float32)}
        infinite = jnp.asarray(jnp.inf, jnp.float32)
        carry = (state, x, {name: infinite for name in ("content", "style", "tv", "total")})
        self._carry = jax.tree.map(jnp.copy, carry)  # distinct buffers: the loop donates (reuses) them

    def advance(self, count: int, final: bool = False) -> dict[str, float]:
        """Run ``count`` iterations; ``final``: the last chunk, whose last picture must be scored too."""
        self._carry, terms = self._run(self._carry, jnp.int32(count), jnp.bool_(final), *self.weights)
        return {name: float(value) for name, value in terms.items()}

    def best(self) -> np.ndarray:
        return np.asarray(self._carry[1], np.float64).ravel()
