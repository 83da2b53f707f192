"""nn.functional loss ops (registered as "nn.functional.<name>"; see ops/_core.py)."""

from __future__ import annotations
