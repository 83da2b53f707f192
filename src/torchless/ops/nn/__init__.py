"""nn.functional ops, by family: each submodule registers its functions as "nn.functional.<name>"."""

from . import activation, attention, conv, distance, dropout, embedding, loss, normalization, pool, spatial  # noqa: F401
