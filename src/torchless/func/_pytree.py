"""Pytrees: nested tuples, lists, dicts (and namedtuples) of leaves, as torch.utils._pytree sees them.

``tree_flatten`` gives the leaves in order and a ``TreeSpec`` that ``tree_unflatten`` uses to
rebuild the same nesting around new leaves. ``None`` is a leaf, as in torch 2.13.
"""

from __future__ import annotations

from collections import OrderedDict


class TreeSpec:
    """The shape of a pytree: a node type, its context (dict keys), and one spec per child."""

    __slots__ = ("type", "context", "children")

    def __init__(self, type_, context, children):
        self.type, self.context, self.children = type_, context, children

    @property
    def num_leaves(self) -> int:
        return 1 if self.type is None else sum(c.num_leaves for c in self.children)

    def is_leaf(self) -> bool:
        return self.type is None

    def __eq__(self, other):
        return (isinstance(other, TreeSpec) and self.type is other.type and self.context == other.context
                and self.children == other.children)

    def __repr__(self, indent: int = 0):
        if self.type is None:
            return "*"
        name, context = self.type.__name__, self.context
        if _is_namedtuple_type(self.type):
            name, context = "namedtuple", self.type
        inner = (",\n" + " " * (indent + 2)).join(c.__repr__(indent + 2) for c in self.children)
        return f"TreeSpec({name}, {context!r}, [{inner}])"

    def pprint(self) -> str:
        """The compact form torch's error messages use: ``[*, (*, *)]``."""
        if self.type is None:
            return "*"
        kids = [c.pprint() for c in self.children]
        if self.context is not None:
            return "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(self.context, kids)) + "}"
        if _is_namedtuple_type(self.type):
            return f"{self.type.__name__}(" + ", ".join(f"{f}={v}" for f, v in zip(self.type._fields, kids)) + ")"
        if issubclass(self.type, tuple):
            return "(" + ", ".join(kids) + (",)" if len(kids) == 1 else ")")
        return "[" + ", ".join(kids) + "]"


LEAF = TreeSpec(None, None, [])


def _is_namedtuple_type(cls) -> bool:
    return issubclass(cls, tuple) and hasattr(cls, "_fields")


def _children(tree):
    """(children, context) of a node, or None for a leaf."""
    if isinstance(tree, (dict, OrderedDict)):
        keys = list(tree)
        return [tree[k] for k in keys], keys
    if isinstance(tree, (tuple, list)):
        return list(tree), None
    return None


def tree_flatten(tree) -> tuple[list, TreeSpec]:
    """The leaves of ``tree`` in order, and its spec.

    >>> tree_flatten((1, [2, 3], {"a": 4}))[0]
    [1, 2, 3, 4]
    """
    leaves = []

    def walk(node):
        parts = _children(node)
        if parts is None:
            leaves.append(node)
            return LEAF
        kids, context = parts
        return TreeSpec(type(node), context, [walk(k) for k in kids])

    return leaves, walk(tree)


def tree_unflatten(leaves, spec: TreeSpec):
    """Rebuild the tree ``spec`` describes around ``leaves``.

    >>> leaves, spec = tree_flatten({"a": (1, 2)})
    >>> tree_unflatten([5, 6], spec)
    {'a': (5, 6)}
    """
    leaves = list(leaves)
    if len(leaves) != spec.num_leaves:
        raise ValueError(f"treespec.unflatten(leaves): `leaves` has length {len(leaves)} but the spec refers "
                         f"to a pytree that holds {spec.num_leaves} items ({spec}).")
    it = iter(leaves)

    def build(s):
        if s.type is None:
            return next(it)
        kids = [build(c) for c in s.children]
        if s.context is not None:
            return s.type(zip(s.context, kids))
        if _is_namedtuple_type(s.type):
            return s.type(*kids)
        return s.type(kids)

    return build(spec)


def tree_map(fn, tree, *rest):
    """``fn`` applied leaf by leaf (over several trees of the same structure)."""
    leaves, spec = tree_flatten(tree)
    others = [tree_flatten(r)[0] for r in rest]
    return tree_unflatten([fn(*xs) for xs in zip(leaves, *others)], spec)


def tree_leaves(tree) -> list:
    return tree_flatten(tree)[0]


__all__ = ["TreeSpec", "LEAF", "tree_flatten", "tree_unflatten", "tree_map", "tree_leaves"]
