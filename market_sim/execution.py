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
WATCH_SECONDS = 1.0  # how often a waiting parent checks that no worker died mid-task


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
    check_main_guard()
    pool = mp.get_context("spawn").Pool(workers, initializer=start_worker, initargs=(initializer, initargs),
                                        maxtasksperchild=TASKS_PER_WORKER)
    try:
        results = pool.imap_unordered(fn, jobs, chunksize=1)
        seen: set = set()
        while True:
            _check_workers(pool, seen)
            try:
                item = results.next(timeout=WATCH_SECONDS)
            except StopIteration:
                break
            except mp.TimeoutError:
                continue
            yield item
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


class WorkerLost(RuntimeError):
    """A worker process died mid-task (killed, e.g. by the OOM killer): its task is lost, and
    multiprocessing.Pool would wait for it for ever."""


def _check_workers(pool, seen: set) -> None:
    # Workers retired after TASKS_PER_WORKER tasks exit with status 0; a killed one does not.
    seen.update(pool._pool)
    for p in seen:
        if p.exitcode not in (None, 0):
            raise WorkerLost(f"worker process {p.pid} died (exit status {p.exitcode}; killed?): "
                             "the run it was running is lost")


@contextmanager
def atomic_directory(out: Path, *, merge: bool = False) -> Iterator[Path]:
    """Yield a fresh temporary sibling directory to write into. When the block succeeds, it
    replaces `out` whole (merge=False), or each of its entries replaces the same-named entry
    inside `out` (merge=True, for a directory that also holds other files, such as an
    experiment's chunks). On failure the temporary directory is removed and `out` is untouched."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temporaries(out)
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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_temporaries(out: Path) -> list[Path]:
    """Remove the temporary siblings (.NAME.tmp-PID, .NAME.old-PID) that a killed write of `out`
    left behind; those of a process still alive are kept. Returns what was removed."""
    removed = []
    for kind in ("tmp", "old"):
        for p in Path(out).parent.glob(f".{Path(out).name}.{kind}-*"):
            pid = p.name.rsplit("-", 1)[-1]
            if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
                removed.append(p)
    return removed


def check_main_guard() -> None:
    """Refuse to start worker processes from a script's unguarded top level: spawned workers
    re-run the script's top level, which starts workers again, without end. Raises RuntimeError
    naming the fix. (A notebook, `python -c` or a guarded script passes.)"""
    from .mainguard import unguarded_call_site

    site = unguarded_call_site()
    if site:
        raise RuntimeError(f"{site}: worker processes started from a script's top level re-run the script "
                           "without end; put the call under  if __name__ == \"__main__\":  (or use workers=1)")


@contextmanager
def directory_lock(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on results directory `out` (a sibling file .NAME.lock, locked with
    flock, so a killed holder releases it) for as long as the block runs; a second writer is
    refused at once with a ConfigError naming the directory."""
    import fcntl

    from .config import ConfigError

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    lock = out.parent / f".{out.name}.lock"
    fh = open(lock, "a+")
    held = False
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            if not lock.exists() or os.stat(lock).st_ino != os.fstat(fh.fileno()).st_ino:
                raise BlockingIOError  # the holder removed it while we opened it: it was busy
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise ConfigError(f"{out} is being written by {holder}; wait for it or choose another --out",
                              path="--out", value=str(out)) from None
        held = True
        fh.seek(0)
        fh.truncate()
        fh.write(f"market-sim pid {os.getpid()}")
        fh.flush()
        yield
    finally:
        if held:
            lock.unlink(missing_ok=True)  # still locked: a writer that opened it now sees it gone
        fh.close()
