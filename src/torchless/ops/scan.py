"""scan ops (see _core.py for how an op is written and registered)."""

from __future__ import annotations
