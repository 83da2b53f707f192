"""torchless.func: composable function transforms (torch.func)."""

from ._vmap import vmap

__all__ = ["vmap"]
