"""The reporting kit shared by run, sweep and experiment reports (outputs.py, plots.py,
sweep/report.py, experiment_report.py): an atomic output directory, an annotated heatmap and
Markdown tables."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from .execution import atomic_directory

__all__ = ["annotated_heatmap", "atomic_directory", "dataframe_table", "markdown_table"]


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table; cells are written with str()."""
    out = ["| " + " | ".join(str(h) for h in header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def dataframe_table(df: pd.DataFrame, digits: int = 2) -> str:
    """A DataFrame as a Markdown table: float cells with `digits` decimals, except the first
    column (the row label), written as given (floats with :g)."""
    header = [f"{c:g}" if isinstance(c, float) else str(c) for c in df.columns]
    rows = []
    for row in df.itertuples(index=False):
        cells = [row[0] if not isinstance(row[0], float) else f"{row[0]:g}"]
        cells += [f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in row[1:]]
        rows.append(cells)
    return markdown_table(header, rows)


def contrast_colour(threshold: float = 0.6) -> Callable[[float], str]:
    """Text colour for a cell of a light-to-dark colour map: white on dark cells."""
    return lambda value: "white" if value > threshold else "black"


def annotated_heatmap(ax, grid: np.ndarray, x_labels: Sequence[str], y_labels: Sequence[str], *,
                      cmap: str = "Reds", vmin: float | None = None, vmax: float | None = None,
                      origin: str = "lower", fmt: str = "{:.2f}", fontsize: float = 7,
                      tick_fontsize: float | None = None, text_colour: Callable[[float], str] | None = None,
                      min_annotated: float = -np.inf):
    """Draw `grid` (rows = y, columns = x) with every finite cell of at least `min_annotated`
    written in it (black, or white on dark cells, unless `text_colour` says otherwise);
    return the image (for a colour bar)."""
    text_colour = text_colour or contrast_colour()
    grid = np.asarray(grid, float)
    im = ax.imshow(grid, origin=origin, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(range(len(x_labels)), list(x_labels), fontsize=tick_fontsize)
    ax.set_yticks(range(len(y_labels)), list(y_labels), fontsize=tick_fontsize)
    for (i, j), value in np.ndenumerate(grid):
        if np.isfinite(value) and value >= min_annotated:
            ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=fontsize, color=text_colour(value))
    return im
