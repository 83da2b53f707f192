"""The array-library seam: the only place torchless imports an array library.

`np` is the host array module (NumPy). A device names which module holds its arrays;
"cpu" is NumPy. A CuPy backend for "cuda" plugs in here.
"""

import numpy as np

__all__ = ["np", "xp_for"]


def xp_for(device_type: str):
    """The array module behind a device type."""
    if device_type == "cpu":
        return np
    if device_type == "cuda":
        raise RuntimeError(
            "torchless: device 'cuda' needs the CuPy backend, which is not available in this "
            "build; use device='cpu'"
        )
    raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {device_type}")
