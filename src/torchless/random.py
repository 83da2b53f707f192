"""torch.random: seeding and saving the default generator's state.

>>> import torchless as torch
>>> _ = torch.random.manual_seed(0)
>>> with torch.random.fork_rng():
...     a = torch.rand(2)
>>> torch.equal(a, torch.rand(2))
True
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator as _Iterator

from ._generator import default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state

__all__ = ["set_rng_state", "get_rng_state", "manual_seed", "seed", "initial_seed", "fork_rng", "default_generator"]


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, _caller: str = "fork_rng", _devices_kw: str = "devices",
             device_type: str = "cuda") -> _Iterator[None]:
    """Run the block with the generator's state saved, and restore it afterwards (only the CPU
    generator exists here: ``devices`` has nothing to fork)."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
