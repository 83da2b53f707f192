"""torchless.device: where a tensor's data lives."""

from .backend import xp_for


class device:
    """A device such as ``device("cpu")``.

    >>> device("cpu")
    device(type='cpu')
    """

    __slots__ = ("type", "index")

    def __init__(self, type: "str | device", index: "int | None" = None):
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, str) and ":" in type:
            type, _, idx = type.partition(":")
            index = int(idx)
        if type not in ("cpu", "cuda", "meta"):
            raise RuntimeError(
                f"Expected one of cpu, cuda, meta device type at start of device string: {type}"
            )
        self.type = type
        self.index = index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))


CPU = device("cpu")


def as_device(d) -> device:
    """Check a ``device=`` argument: None means the CPU; anything else must be usable here."""
    if d is None or d is CPU:
        return CPU
    if isinstance(d, int):
        d = device("cuda", d)
    d = d if isinstance(d, device) else device(d)
    if d.type != "cpu":
        xp_for(d.type)  # raises with a message naming what is missing
    return CPU
