"""The package list, which pyproject.toml cannot compute once folders are mapped (the rest is there).

The repository's top-level ``tui/`` and ``assets/`` install as ``artgen.tui`` and ``artgen.bundled``:
``pip install artgen`` then claims only the name ``artgen`` (PyPI has an unrelated ``tui``, and
``assets`` is anyone's name), while the checkout keeps its layout.
"""

from setuptools import find_packages, setup

MAPPED = {"artgen.tui": "tui", "artgen.bundled": "assets"}

packages = find_packages(include=["artgen", "artgen.*"])
for name, folder in MAPPED.items():
    packages += [name] + [f"{name}.{sub}" for sub in find_packages(where=folder)]

setup(packages=packages, package_dir=MAPPED)
