"""A calibration's posterior behind every answer: runs draw their calibrated parameters from it.

A posterior directory (written by the calibration) holds `posterior.parquet`: columns `particle`
(int), `weight` (>= 0, summing to 1) and one column per calibrated parameter, named by its dotted
config key (as `--set` takes it). Other files in the directory are ignored.

Draws. Posterior draw j is particle k with probability w_k / sum(w); the choice uses its own
generator, seeded by SeedSequence(base_seed, spawn_key=(POSTERIOR_SPAWN_KEY, j)), so draw j
depends on (base seed, j) only: never on the worker count, the chunking, or how many replications
run. Replication i (of a run, a scenario or a sweep point) uses draw j = i // runs_per_draw, so
`runs_per_draw` replications share one parameter set (which separates the runs' own randomness
from the parameters' uncertainty, stats.posterior_falls_behind_table), and keeps its usual seed,
child i of SeedSequence(base_seed): only its parameters change.

Precedence. The draw is applied first, then the user's explicit overrides (`--set`), so a user can
pin a calibrated parameter; in a sweep the swept parameter's value wins over the draw's for that
key (the posterior supplies the rest).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .config import Config, ConfigError, apply_override, load_config

POSTERIOR_FILE = "posterior.parquet"
RECORD_FILE = "posterior.json"       # what a sweep / experiment directory records of its posterior
DRAWS_FILE = "posterior_draws.csv"   # the draws a results directory used
DEFAULT_RUNS_PER_DRAW = 4
# The draws' spawn key is (POSTERIOR_SPAWN_KEY, j): a two-part key, so it never equals a run's
# one-part key (i,) (replication or run id), and its first part is far above any replication or
# run id (<= 100,000 x points), so it never equals a key (i, k) a run spawns from its own seed.
POSTERIOR_SPAWN_KEY = 2**31 - 17
RESERVED = ("particle", "weight")


def draw_of_replication(replication: int, runs_per_draw: int) -> int:
    """The posterior draw replication i uses: j = i // runs_per_draw."""
    return int(replication) // int(runs_per_draw)


def draw_count(replications: int, runs_per_draw: int) -> int:
    """Draws used by replications 0..n-1: ceil(n / runs_per_draw)."""
    return -(-int(replications) // int(runs_per_draw))


def draw_seed(base_seed: int, draw: int) -> np.random.SeedSequence:
    """SeedSequence(base_seed, spawn_key=(POSTERIOR_SPAWN_KEY, draw)): the seed of draw j."""
    return np.random.SeedSequence(int(base_seed), spawn_key=(POSTERIOR_SPAWN_KEY, int(draw)))


def choose_particle(weights: np.ndarray, u: float) -> int:
    """Index k of the particle a uniform u in [0, 1) picks, by inverse CDF:
    k = min{k : C_k > u}, C_k = sum_{i<=k} w_i / sum_i w_i. P(k) = w_k / sum(w); a particle of
    weight 0 is never picked (its C_k equals the one before it)."""
    cdf = np.cumsum(np.asarray(weights, float))
    cdf /= cdf[-1]
    return int(min(np.searchsorted(cdf, u, side="right"), len(cdf) - 1))


def with_precedence(draw: Mapping[str, Any], overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """Overrides for load_config: the draw first, then `overrides` (a key in both counts as in
    `overrides`: explicit --set values and swept values win over the posterior's)."""
    out = dict(draw)
    for key, value in (overrides or {}).items():
        out.pop(key, None)
        out[key] = value
    return out


@dataclass(frozen=True)
class Posterior:
    """A validated posterior: particle ids, normalised weights, and one value per particle and
    calibrated parameter (ints where the config key is an integer)."""

    directory: Path          # absolute
    sha256: str              # of posterior.parquet: a resumed run checks it is the same posterior
    particles: tuple[int, ...]
    weights: tuple[float, ...]
    parameters: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]   # values[k] = particle k's parameter values

    def particle_for(self, base_seed: int, draw_index: int) -> int:
        """Row k of the particle posterior draw j picks (see choose_particle, draw_seed)."""
        u = np.random.default_rng(draw_seed(base_seed, draw_index)).random()
        return choose_particle(np.asarray(self.weights), u)

    def draw_for(self, base_seed: int, draw_index: int) -> dict[str, Any]:
        """The parameter set of posterior draw j: {dotted key: value}."""
        return dict(zip(self.parameters, self.values[self.particle_for(base_seed, draw_index)]))

    def for_replication(self, base_seed: int, replication: int, runs_per_draw: int) -> dict[str, Any]:
        return self.draw_for(base_seed, draw_of_replication(replication, runs_per_draw))

    def draws_table(self, base_seed: int, draws: int) -> pd.DataFrame:
        """draw, particle and the parameter values of draws 0..draws-1 (posterior_draws.csv)."""
        rows = []
        for j in range(draws):
            k = self.particle_for(base_seed, j)
            rows.append({"draw": j, "particle": self.particles[k], **dict(zip(self.parameters, self.values[k]))})
        return pd.DataFrame(rows, columns=["draw", "particle", *self.parameters])

    def record(self, runs_per_draw: int) -> dict[str, Any]:
        """What a results / sweep / experiment directory records (run.json, posterior.json)."""
        return {"path": str(self.directory), "sha256": self.sha256, "runs_per_draw": int(runs_per_draw),
                "parameters": list(self.parameters), "particles": len(self.particles)}


def _fail(message: str, file: Path, column: str = "", value: Any = None) -> None:
    raise ConfigError(message, file=file, path=column, value=value)


def _read_table(directory: Path) -> tuple[Path, pd.DataFrame]:
    directory = Path(directory)
    file = directory / POSTERIOR_FILE
    if not directory.is_dir():
        _fail("posterior directory not found; expected a directory holding posterior.parquet", directory)
    if not file.is_file():
        _fail(f"no {POSTERIOR_FILE}; expected a directory written by the calibration", directory)
    try:
        table = pd.read_parquet(file)
    except Exception as e:  # pyarrow's errors vary by what is wrong with the file
        _fail(f"unreadable ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); "
              "expected a Parquet table", file)
    return file, table


def _check_weights(file: Path, table: pd.DataFrame) -> np.ndarray:
    for col in RESERVED:
        if col not in table:
            _fail(f"missing column {col!r}; expected columns particle, weight and one per parameter", file, col)
    if not pd.api.types.is_integer_dtype(table["particle"]):
        _fail(f"got dtype {table['particle'].dtype}; expected integer particle ids", file, "particle")
    if len(table) == 0:
        _fail("no particles; expected at least one row", file)
    if not pd.api.types.is_numeric_dtype(table["weight"]) or pd.api.types.is_bool_dtype(table["weight"]):
        _fail(f"got dtype {table['weight'].dtype}; expected numbers >= 0", file, "weight")
    w = table["weight"].to_numpy(float)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        k = int(np.argmax(bad))
        _fail(f"got {w[k]!r} (particle {table['particle'].iloc[k]}); expected finite numbers >= 0",
              file, "weight", w[k])
    if not w.sum() > 0:
        _fail("weights sum to 0; expected a positive sum", file, "weight", 0.0)
    return w / w.sum()


def _value(x: Any) -> Any:
    return x.item() if hasattr(x, "item") else x


def _lookup(data: dict, key: str) -> Any:
    node: Any = data
    for part in key.split("."):
        node = node[part]
    return node


def load_posterior(directory: str | Path, config: str | Path | dict | Config) -> Posterior:
    """Read and validate a posterior directory against the config its draws will be applied to.
    Raises ConfigError naming the file, the column (or particle and key) and what is allowed:
    no directory or posterior.parquet, an unreadable table, missing particle/weight columns,
    negative or non-finite weights, weights summing to 0, no parameter column, a column that is not
    a config key, and any particle whose values the config refuses (every row is checked)."""
    directory = Path(directory).resolve()
    file, table = _read_table(directory)
    weights = _check_weights(file, table)
    params = [c for c in table.columns if c not in RESERVED]
    if not params:
        _fail("no parameter column; expected one column per calibrated parameter, named by its dotted "
              "config key (e.g. financing.prospect_gap_months)", file)
    base = load_config(config)
    data = base.model_dump()
    row0 = {c: _value(table[c].iloc[0]) for c in params}
    for c in params:  # each column a key first, so that the error names the column
        try:
            apply_override(data, c, row0[c])
        except ConfigError as e:
            _fail(f"column is not a config key ({e.message.splitlines()[0].replace('--set on a', 'a')}); "
                  "expected a dotted key as --set takes it", file, c)
    raw = {c: [_value(v) for v in table[c]] for c in params}
    particles = tuple(int(p) for p in table["particle"])
    for k, pid in enumerate(particles):  # every particle, before any run
        try:
            cfg = load_config(base, {c: raw[c][k] for c in params})
        except ConfigError as e:
            _fail(f"particle {pid}: {e.message.splitlines()[0]}", file)
        if k == 0:
            dumped = cfg.model_dump()
    ints = {c for c in params if isinstance(_lookup(dumped, c), int) and not isinstance(_lookup(dumped, c), bool)}
    columns = {c: [int(v) for v in raw[c]] if c in ints else raw[c] for c in params}
    values = tuple(zip(*(columns[c] for c in params)))
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    return Posterior(directory, digest, particles, tuple(float(w) for w in weights), tuple(params), values)


def check_same_posterior(directory: Path, posterior: Posterior | None, runs_per_draw: int,
                         what: str = "directory") -> None:
    """Refuse to resume `directory` with another posterior (or none, or another runs_per_draw)
    than the one it was started with (its posterior.json)."""
    stored_file = Path(directory) / RECORD_FILE
    stored = json.loads(stored_file.read_text()) if stored_file.exists() else None
    given = None if posterior is None else posterior.record(runs_per_draw)

    def key(r):
        return None if r is None else (r["sha256"], int(r["runs_per_draw"]))

    if key(stored) != key(given):
        said = ("no posterior" if stored is None
                else f"posterior {stored['path']} ({stored['runs_per_draw']} runs per draw)")
        now = "none" if given is None else f"{given['path']} ({given['runs_per_draw']} runs per draw)"
        raise ConfigError(f"{directory} was started with {said}; given now: {now}. Resume with the same "
                          "--posterior and --runs-per-draw, or use another --out", path="--posterior",
                          value=None if given is None else given["path"])


def stored_posterior(directory: Path, config: str | Path | dict | Config) -> tuple[Posterior | None, int]:
    """The posterior a sweep / experiment directory was started with (posterior.json), reloaded
    from its recorded path and checked unchanged; (None, default) if it had none."""
    stored_file = Path(directory) / RECORD_FILE
    if not stored_file.exists():
        return None, DEFAULT_RUNS_PER_DRAW
    rec = json.loads(stored_file.read_text())
    return reload_recorded(rec, config, stored_file), int(rec["runs_per_draw"])


def reload_recorded(rec: Mapping[str, Any], config: str | Path | dict | Config, where: Path) -> Posterior:
    """A recorded posterior ({path, sha256}), reloaded; a ConfigError if it is gone or changed."""
    path = Path(rec["path"])
    if not (path / POSTERIOR_FILE).is_file():
        raise ConfigError(f"the posterior this run used, {path}, is not there any more ({POSTERIOR_FILE} "
                          "missing); restore it to repeat the run", file=where, path="posterior", value=str(path))
    post = load_posterior(path, config)
    if post.sha256 != rec["sha256"]:
        raise ConfigError(f"the posterior at {path} has changed since the run (sha256 {post.sha256[:12]} "
                          f"!= recorded {str(rec['sha256'])[:12]}); restore it to repeat the run",
                          file=where, path="posterior", value=str(path))
    return post


def write_record(directory: Path, posterior: Posterior | None, runs_per_draw: int, base_seed: int,
                 replications: int) -> None:
    """posterior.json and posterior_draws.csv in a sweep / experiment directory (nothing without one)."""
    if posterior is None:
        return
    (Path(directory) / RECORD_FILE).write_text(json.dumps(posterior.record(runs_per_draw), indent=2))
    posterior.draws_table(base_seed, draw_count(replications, runs_per_draw)).to_csv(
        Path(directory) / DRAWS_FILE, index=False)
