"""Code chosen by the running Keras backend (:mod:`artgen.backends`), and the tables that name it."""

from __future__ import annotations

import ast
import importlib
import importlib.util

import pytest

from artgen import backends
from artgen.errors import InputError

# Where each table lives: every backend-specific module is reached through one of these.
TABLES = (
    "artgen.style.objective:STEPS",
    "artgen.dcgan.placement:TRAINERS",
    "artgen.dcgan.placement:DISTRIBUTIONS",
    "artgen.labs.toy_gan.training:TRAINERS",
    "artgen.walk.engine:TRACERS",
    "artgen.jobs.worker:DEVICE_VIEWS",
)


def test_the_running_backend_gets_its_module_or_a_name_in_it(monkeypatch):
    from artgen.style import seamless

    table = {"tensorflow": "artgen.style.seamless", "jax": "artgen.style.seamless:fourier_upsample"}
    monkeypatch.setattr(backends, "running", lambda: "tensorflow")
    assert backends.implementation(table, "tiling") is seamless
    monkeypatch.setattr(backends, "running", lambda: "jax")
    assert backends.implementation(table, "tiling") is seamless.fourier_upsample


def test_a_backend_without_its_own_module_is_refused_in_one_line_or_given_none(monkeypatch):
    monkeypatch.setattr(backends, "running", lambda: "jax")
    table = {"tensorflow": "artgen.no_such_module"}  # never imported: the backend has no entry
    with pytest.raises(InputError) as refused:
        backends.implementation(table, "the toy GAN")
    assert str(refused.value) == "the toy GAN supports the tensorflow Keras backend, not 'jax'"
    two = {"tensorflow": "artgen.no_such_module", "jax": "artgen.no_such_module"}
    monkeypatch.setattr(backends, "running", lambda: "torch")
    with pytest.raises(InputError) as refused:
        backends.implementation(two, "style transfer")
    assert str(refused.value) == "style transfer supports the tensorflow and jax Keras backends, not 'torch'"
    assert backends.implementation(table) is None


@pytest.mark.parametrize("where", TABLES)
def test_every_table_names_modules_and_names_that_exist(where):
    """Read, not imported: a JAX module must be checkable where only TensorFlow is installed."""
    holder, _, table_name = where.partition(":")
    table = getattr(importlib.import_module(holder), table_name)
    assert set(table) <= {"tensorflow", "jax"}
    for target in table.values():
        module, _, name = target.partition(":")
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin is not None, target
        if name:
            with open(spec.origin) as source:
                tree = ast.parse(source.read())
            defined = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
            assert name in defined, target
