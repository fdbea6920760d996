"""What `market-sim list scenarios|experiments|keys` prints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def scenarios() -> Iterator[str]:
    from .viz.scenarios import describe, scenario_files

    for name, path in scenario_files().items():
        yield f"{name:<36} {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}"
        yield f"    {describe(name).replace('**', '')}"


def experiments() -> Iterator[str]:
    for path in sorted((ROOT / "experiments").glob("*.yaml")):
        data = yaml.safe_load(path.read_text()) or {}
        kind = "sweep" if "sweep" in data else f"{len(data.get('scenarios') or [])} scenarios"
        yield f"{path.stem:<28} {kind}, {data.get('replications', '?')} replications"
        if data.get("question"):
            yield f"    {data['question']}"


def _flatten(node, prefix: str = "") -> Iterator[tuple[str, object]]:
    if isinstance(node, dict) and node:
        for key, value in node.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, node


def keys() -> Iterator[str]:
    """Every dotted key of the baseline config with its value there (what --set accepts)."""
    from .config import load_config
    from .model import DEFAULT_CONFIG

    data = load_config(DEFAULT_CONFIG).model_dump(mode="json")
    data.pop("changes", None)
    for key, value in _flatten(data):
        shown = value if not isinstance(value, list) or len(str(value)) < 60 else f"[{len(value)} items]"
        yield f"{key} = {shown}"


LISTS = {"scenarios": scenarios, "experiments": experiments, "keys": keys}
