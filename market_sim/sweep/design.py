"""Design points of a sweep. Sampled designs come from SALib (Latin hypercube, Saltelli's
Sobol sequence, Morris trajectories) rather than hand-written samplers."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from .config import Design


def problem(design: Design) -> dict:
    """The SALib problem of a sampled design."""
    names = list(design.parameters)
    return {"num_vars": len(names), "names": names,
            "bounds": [list(design.parameters[n].bounds()) for n in names]}


def design_points(design: Design) -> pd.DataFrame:
    """One row per design point (in SALib's order, which its analyses rely on)."""
    names = list(design.parameters)
    if design.kind == "grid":
        rows = list(itertools.product(*(design.parameters[n] for n in names)))
        return pd.DataFrame(rows, columns=names)
    prob = problem(design)
    if design.kind == "latin_hypercube":
        from SALib.sample import latin

        x = latin.sample(prob, design.samples, seed=design.seed)
    elif design.kind == "sobol":
        from SALib.sample import sobol

        x = sobol.sample(prob, design.samples, calc_second_order=False, seed=design.seed)
    else:
        from SALib.sample import morris

        x = morris.sample(prob, design.samples, num_levels=design.morris_levels, seed=design.seed)
    x = np.asarray(x, float)
    return pd.DataFrame({n: design.parameters[n].values(x[:, i]) for i, n in enumerate(names)}, columns=names)
