"""Transitional names for model.py until the core redesign lands; delete this module then.

    overrides_from(mapping)  -> the mapping itself: load_config takes {dotted.key: value} now
    changed_config(cfg, ch)  -> apply_change(cfg, ch)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .changes import apply_change


def overrides_from(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Deprecated: pass the {dotted.key: value} mapping to load_config directly."""
    return dict(mapping)


changed_config = apply_change
