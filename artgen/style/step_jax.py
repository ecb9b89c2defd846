"""Style transfer's JAX-specific code: differentiate, compile, and loop on the device.

The twin of ``step_tensorflow.py``: the losses and host-side adapters are
backend-free (:mod:`artgen.style.losses`, :mod:`artgen.style.objective`).
VGG runs through ``stateless_call`` with its weights passed in as
arguments, so ``jax.jit`` compiles a function of the image and weights
rather than baking 60 MB of weights into every program.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from artgen import environment
from artgen.backends import CompileCounter
from artgen.style.losses import Targets, Weights, device_targets, loss_terms
from artgen.style.optimizers import adam_update, keep_best


def _use_persistent_cache() -> None:
    """Keep XLA's compiled programs across runs, so a second run at the same size starts computing at once.

    Under artgen's cache directory (``$ARTGEN_CACHE_DIR`` or ~/.cache/artgen),
    unless the user pointed JAX's cache elsewhere already.
    """
    if jax.config.jax_compilation_cache_dir:
        return
    from artgen.images import cache_dir

    root = cache_dir() if environment.read("ARTGEN_CACHE_DIR") else cache_dir().parent
    jax.config.update("jax_compilation_cache_dir", str(root / "jax"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)


_use_persistent_cache()

__all__ = [
    "value_and_grad",
    "compiled",
    "accelerator_memory",
    "DeviceLoop",
    "DEVICE_OPTIMIZERS",
    "compilations",
    "instance_norm",
    "convolution_dtype",
]

DEVICE_OPTIMIZERS = ("adam", "lbfgs")  # L-BFGS: optax's


class _Stateless:
    """Calls a Keras model with explicit weights, as ``loss_terms`` calls ``model(image)``."""

    def __init__(self, model, trainable, fixed) -> None:
        self.model, self.trainable, self.fixed = model, trainable, fixed

    def __call__(self, image, training: bool = False):
        outputs, _ = self.model.stateless_call(self.trainable, self.fixed, image, training=training)
        return outputs


def _weights(model) -> tuple[list, list]:
    return [v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables]


def value_and_grad(model, fn):
    """Compiled ``(image, *args) -> ((value, aux), d value / d image)`` of ``fn(net, image, *args)``."""

    def objective(image, trainable, fixed, *args):
        return fn(_Stateless(model, trainable, fixed), image, *args)

    step = _counted(jax.jit(jax.value_and_grad(objective, has_aux=True)))
    trainable, fixed = _weights(model)
    return lambda image, *args: step(image, trainable, fixed, *args)


def compiled(model, fn):
    """Compiled ``(*args) -> fn(net, *args)``."""
    run = _counted(jax.jit(lambda trainable, fixed, *args: fn(_Stateless(model, trainable, fixed), *args)))
    trainable, fixed = _weights(model)
    return lambda *args: run(trainable, fixed, *args)


# Programs compiled (or loaded from the persistent cache) in this process for style transfer.
_compiled = CompileCounter(lambda function: function._cache_size())
_counted = _compiled.counted


def accelerator_memory() -> tuple[str, int, int] | None:
    """(accelerator, bytes this run holds there already, bytes still free there), or None on a CPU."""
    device = jax.devices()[0]
    stats = device.memory_stats() if device.platform != "cpu" else None
    if not stats:
        return None
    used = stats.get("bytes_in_use", 0)
    return device.device_kind, used, stats.get("bytes_limit", used) - used


def compilations() -> int:
    """Programs compiled so far in this process for style transfer (one per function and shape)."""
    return _compiled.total


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
        constants = device_targets(targets)
        self.shape = shape
        self.weights = _weights(model)
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
        self._run = _counted(jax.jit(run, donate_argnums=0))

    def start(self, x0: np.ndarray) -> None:
        x = jnp.asarray(np.asarray(x0, np.float32).reshape(self.shape))
        state = {**self._init(x), "t": jnp.zeros((), jnp.float32)}
        infinite = jnp.asarray(jnp.inf, jnp.float32)
        carry = (state, x, {name: infinite for name in ("content", "style", "tv", "total")})
        # Distinct buffers (the loop donates, i.e. reuses, them), and no weakly typed scalars: optax's
        # L-BFGS state starts with some, the loop returns them strongly typed, and that difference in
        # the carry's type alone would compile the loop a second time.
        self._carry = jax.tree.map(lambda a: jnp.array(a, dtype=a.dtype, copy=True), carry)

    def advance(self, count: int, final: bool = False) -> dict[str, float]:
        """Run ``count`` iterations; ``final``: the last chunk, whose last picture must be scored too."""
        self._carry, terms = self._run(self._carry, jnp.int32(count), jnp.bool_(final), *self.weights)
        return {name: float(value) for name, value in terms.items()}

    def best(self) -> np.ndarray:
        return np.asarray(self._carry[1], np.float64).ravel()


def instance_norm(x, scale, shift, epsilon: float, groups: int, relu: bool) -> None:
    """None: XLA fuses the norm written in ``keras.ops`` into a few loops itself."""
    return None


def convolution_dtype() -> str:
    """float32: XLA's CPU convolutions gain nothing from bfloat16 (measured slower), and on a GPU the
    network is fast enough without it."""
    return "float32"
