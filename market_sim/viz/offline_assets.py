"""Serve Solara's front-end assets from this machine, never from a CDN.

`solara-assets` (pinned with solara in pyproject.toml) installs the CDN files under
`<prefix>/share/solara/cdn/` with exact versions (`vega@5.21.0`), while Solara's Vega-Lite
widget asks for major-version aliases (`vega@5/...`). Solara then falls back to fetching
them from the internet, which a machine without network cannot do, and the charts stay
blank. This adds the aliases as symlinks next to the real folders (Solara checks paths
without following symlinks, so they are served like the rest).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

ALIASED_PACKAGES = ("vega", "vega-lite", "vega-embed")


def cdn_dir() -> Path:
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def ensure_cdn_aliases(directory: Path | None = None) -> list[str]:
    """Create `name@MAJOR` -> `name@MAJOR.x.y` symlinks for the Vega packages; returns the
    aliases made or found. Missing assets or a read-only directory give a warning, not an error."""
    directory = directory or cdn_dir()
    if not directory.is_dir():
        warnings.warn(f"no Solara assets at {directory}: install solara-assets, or the charts need internet access",
                      stacklevel=2)
        return []
    made = []
    for pkg in ALIASED_PACKAGES:
        versions = sorted((p for p in directory.iterdir() if re.fullmatch(rf"{re.escape(pkg)}@\d+\.\d+\.\d+", p.name)),
                          key=lambda p: tuple(int(x) for x in p.name.split("@")[1].split(".")))
        for real in versions:  # the newest release of each major version wins
            alias = directory / f"{pkg}@{real.name.split('@')[1].split('.')[0]}"
            try:
                if alias.is_symlink() and alias.resolve() != real.resolve():
                    alias.unlink()
                if not alias.exists():
                    alias.symlink_to(real.name)
            except OSError as e:
                warnings.warn(f"cannot alias {alias.name} -> {real.name} in {directory}: {e}", stacklevel=2)
                continue
            made.append(alias.name)
    return sorted(set(made))
