"""The execution kit shared by replications (runner.py), sweeps (sweep/engine.py) and
experiments (experiments.py): seeds, worker pools and atomic writes.

Seeds: run `key`'s seed is child `key` of SeedSequence(base seed), i.e.
SeedSequence(base, spawn_key=(key,)), the same as SeedSequence(base).spawn(n)[key]; the key is a
replication index or a run id, never the worker, engine or time.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

# Mesa 3.3 keeps finished models alive (agent-id registry); runner.release_model frees them, so
# worker memory stays flat (docs/performance.md). Workers are still replaced after this many
# runs as a guard against leaks elsewhere; more often would cost a ~1.5 s process start each time.
TASKS_PER_WORKER = 500


def child_seed(base_seed: int, key: int) -> np.random.SeedSequence:
    """Child `key` of SeedSequence(base_seed)."""
    return np.random.SeedSequence(base_seed, spawn_key=(key,))


def child_seeds(base_seed: int, n: int) -> list[np.random.SeedSequence]:
    """Children 0..n-1 of SeedSequence(base_seed) (equal to SeedSequence(base_seed).spawn(n))."""
    return [child_seed(base_seed, key) for key in range(n)]


def pool_imap(fn: Callable[[Any], Any], jobs: Iterable[Any], workers: int,
              initializer: Callable[..., None] | None = None, initargs: tuple = ()) -> Iterator[Any]:
    """fn(job) for every job on `workers` spawned processes, in completion order; workers are
    recycled after TASKS_PER_WORKER jobs. Closing the generator stops the pool.

    multiprocessing.Pool rather than ProcessPoolExecutor: the latter's max_tasks_per_child
    deadlocks on Python 3.11 with the spawn start method once a worker is retired."""
    pool = mp.get_context("spawn").Pool(workers, initializer=start_worker, initargs=(initializer, initargs),
                                        maxtasksperchild=TASKS_PER_WORKER)
    try:
        yield from pool.imap_unordered(fn, jobs, chunksize=1)
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def start_worker(initializer: Callable[..., None] | None = None, initargs: tuple = ()) -> None:
    """Ready a worker process for many runs: the model's imports done once, numpy's BLAS held
    to one thread (the pool already uses every core), and everything imported so far moved out
    of the garbage collector's sight (gc.freeze), so that its pauses scan only what runs make.
    Then the caller's own initializer."""
    import gc

    from threadpoolctl import threadpool_limits

    from . import model  # noqa: F401  (imported once per worker, not per run)

    threadpool_limits(1)
    gc.freeze()
    if initializer is not None:
        initializer(*initargs)


@contextmanager
def atomic_directory(out: Path, *, merge: bool = False) -> Iterator[Path]:
    """Yield a fresh temporary sibling directory to write into. When the block succeeds, it
    replaces `out` whole (merge=False), or each of its entries replaces the same-named entry
    inside `out` (merge=True, for a directory that also holds other files, such as an
    experiment's chunks). On failure the temporary directory is removed and `out` is untouched."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
        if merge:
            out.mkdir(parents=True, exist_ok=True)
            for entry in sorted(tmp.iterdir()):
                _replace(entry, out / entry.name)
            tmp.rmdir()
        else:
            _replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _replace(src: Path, dst: Path) -> None:
    """Rename src onto dst; an existing directory dst is moved aside first, then removed."""
    if dst.is_dir() and not dst.is_symlink():
        old = dst.parent / f".{dst.name}.old-{os.getpid()}"
        shutil.rmtree(old, ignore_errors=True)
        dst.rename(old)
        src.rename(dst)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(src, dst)
