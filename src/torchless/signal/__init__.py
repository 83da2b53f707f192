"""torchless.signal: torch.signal's namespace (its window functions live in ``windows``)."""

from . import windows  # noqa: F401
