"""The labs: small, fast experiments that show how the bigger engines learn.

``toy_gan`` trains a GAN on one-dimensional numbers so every quantity can be
plotted; ``classify`` trains an image classifier on a folder of class folders.
Each is an engine like the others: a config dataclass in, a run directory out.
"""

__all__: list[str] = []
