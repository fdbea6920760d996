"""A sweep directory's Parquet chunks and the manifest that verifies them.

Chunk number N is up to three files (runs-N, vendors-N, market-N .parquet), each written to a
temporary name, fsynced and renamed, so a file is whole or absent. The manifest (manifest.json,
replaced atomically after every chunk) is the commit: it lists each chunk's ok and failed run
ids and the SHA-256 of each of its files. Readers (report) use only committed chunks and refuse
a store whose committed chunk is missing or corrupt; the writer (a resumed sweep) drops such a
chunk and the runs in it are run again. Files not in the manifest are what a killed write left:
they are removed when the sweep resumes. A run recorded as failed is run again on resume; the
last record of a run counts.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pandas as pd

from ..config import ConfigError

FLUSH_SECONDS = 5.0          # write a chunk at least this often while runs finish
MANIFEST = "manifest.json"
VERSION = 2
TABLES = ("vendors", "market", "runs")


class StoreError(ConfigError):
    """A committed chunk is missing or corrupt (names the chunk, its runs and the repair)."""


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as fh:
        fh.write(json.dumps(data, indent=2))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def compact(ids) -> list[list[int]]:
    """Sorted run ids as [first, last] ranges (runs finish nearly in order: a few ranges a chunk)."""
    out: list[list[int]] = []
    for i in sorted(int(i) for i in ids):
        if out and out[-1][1] == i - 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


def expand(ranges: list[list[int]]) -> list[int]:
    return [i for lo, hi in ranges for i in range(lo, hi + 1)]


def _seq(path: Path) -> str:
    return path.stem.split("-")[1]


def _id_ranges(ids: list[int]) -> str:
    ids = sorted(ids)
    if not ids:
        return "no runs"
    return f"run {ids[0]}" if len(ids) == 1 else f"{len(ids)} runs, ids {ids[0]}..{ids[-1]}"


def read_manifest(directory: Path) -> dict | None:
    """The version-2 manifest's chunk entries {seq: {ok, failed, files}}, or None for a store
    without one (written by an older version, or killed before its first chunk)."""
    path = Path(directory) / MANIFEST
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise StoreError(f"unreadable ({e}); complete it with  market-sim sweep --resume {directory}",
                         file=path) from None
    return data.get("chunk_files") if data.get("version") == VERSION else None


def chunk_problems(directory: Path, entries: dict) -> dict[str, str]:
    """seq -> what is wrong with that committed chunk (a file missing or not matching its checksum)."""
    chunks = Path(directory) / "chunks"
    problems = {}
    for seq, entry in entries.items():
        for name, digest in entry["files"].items():
            f = chunks / name
            if not f.exists():
                problems[seq] = f"chunks/{name} is missing"
            elif sha256(f) != digest:
                problems[seq] = f"chunks/{name} is corrupt (checksum mismatch)"
            else:
                continue
            problems[seq] += f" ({_id_ranges(expand(entry['ok']) + expand(entry['failed']))})"
            break
    return problems


def _adopt_legacy(chunks: Path) -> dict:
    """Entries for a store without a version-2 manifest: every readable runs chunk and its
    readable companions (unreadable ones are dropped: their runs are run again)."""
    entries = {}
    for p in sorted(chunks.glob("runs-*.parquet")):
        seq = _seq(p)
        files = [chunks / f"{t}-{seq}.parquet" for t in TABLES if (chunks / f"{t}-{seq}.parquet").exists()]
        try:
            df = pd.read_parquet(p, columns=["run_id", "status"])
            for f in files:
                pd.read_parquet(f, columns=["run_id"])
        except Exception:  # a truncated or foreign file: not committed
            continue
        entries[seq] = {"ok": compact(df.loc[df["status"] == "ok", "run_id"]),
                        "failed": compact(df.loc[df["status"] != "ok", "run_id"]),
                        "files": {f.name: sha256(f) for f in files}}
    return entries


def repair(directory: Path) -> tuple[dict, list[str]]:
    """Bring a store to its committed state for writing: remove temporary files, drop missing
    or corrupt chunks and files no manifest entry lists. Returns (entries, what was dropped)."""
    directory = Path(directory)
    chunks = directory / "chunks"
    for tmp in [*chunks.glob("*.tmp"), *directory.glob("*.json.tmp")]:
        tmp.unlink()
    entries = read_manifest(directory)
    if entries is None:
        entries = _adopt_legacy(chunks)
    dropped = []
    for seq, why in chunk_problems(directory, entries).items():
        dropped.append(why)
        del entries[seq]
    listed = {name for e in entries.values() for name in e["files"]}
    for p in chunks.glob("*-*.parquet"):
        if p.name not in listed:
            p.unlink()
    return entries, dropped


class ChunkWriter:
    """Buffers finished runs and writes them as Parquet chunks, committed by the manifest."""

    def __init__(self, directory: Path, chunk_runs: int, total: int):
        self.dir = Path(directory)
        self.chunks = self.dir / "chunks"
        self.chunks.mkdir(parents=True, exist_ok=True)
        self.chunk_runs = chunk_runs
        self.total = total
        self.buffer: list[dict] = []
        self.last_flush = time.monotonic()
        self.entries, self.dropped = repair(self.dir)
        self.seq = 1 + max((int(s) for s in self.entries), default=0)
        self.done, self.failed = committed_run_ids(self.entries)
        self._write_manifest()  # version 2 from here on, without what was dropped

    def add(self, result: dict) -> None:
        self.buffer.append(result)
        if len(self.buffer) >= self.chunk_runs or time.monotonic() - self.last_flush > FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        self.last_flush = time.monotonic()
        if not self.buffer:
            return
        tables: dict[str, list] = {name: [] for name in TABLES}
        for r in self.buffer:
            tables["runs"].append(r["runs"])
            for k in ("vendors", "market"):
                if k in r:
                    tables[k].append(r[k])
        seq = f"{self.seq:06d}"
        files = {}
        for name in TABLES:
            parts = tables[name]
            if not parts:
                continue
            df = pd.DataFrame(parts) if name == "runs" else pd.concat(parts, ignore_index=True)
            final = self.chunks / f"{name}-{seq}.parquet"
            tmp = final.with_suffix(".parquet.tmp")
            try:
                df.to_parquet(tmp, index=False)
                with open(tmp, "rb") as fh:
                    os.fsync(fh.fileno())
            except BaseException:  # e.g. a full disk: leave no partial file behind
                tmp.unlink(missing_ok=True)
                raise
            os.replace(tmp, final)
            files[final.name] = sha256(final)
        runs = tables["runs"]
        ok = {int(r["run_id"]) for r in runs if r["status"] == "ok"}
        failed = {int(r["run_id"]) for r in runs if r["status"] != "ok"}
        self.entries[seq] = {"ok": compact(ok), "failed": compact(failed), "files": files}
        self.done |= ok
        self.failed = (self.failed | failed) - self.done
        self._write_manifest()  # the commit
        self.seq += 1
        self.buffer.clear()

    def _write_manifest(self) -> None:
        write_json_atomic(self.dir / MANIFEST, {
            "version": VERSION, "total_runs": self.total, "done": len(self.done), "failed": len(self.failed),
            "chunk_files": self.entries,
        })


def committed_run_ids(entries: dict) -> tuple[set[int], set[int]]:
    """(ok, failed) run ids of the committed chunks; a run that failed and later succeeded is ok."""
    ok = {i for e in entries.values() for i in expand(e["ok"])}
    failed = {i for e in entries.values() for i in expand(e["failed"])} - ok
    return ok, failed


def verified_entries(directory: Path) -> dict:
    """The committed chunks of a store, for reading: a StoreError (one line per bad chunk,
    naming the repair) if any is missing or corrupt."""
    directory = Path(directory)
    entries = read_manifest(directory)
    if entries is None:  # an older store: its runs chunks are its commits
        return _adopt_legacy(directory / "chunks")
    problems = chunk_problems(directory, entries)
    if problems:
        raise StoreError("\n".join(f"{why}; run it again with  market-sim sweep --resume {directory}  "
                                   "(or the same experiment command)" for why in problems.values()),
                         file=directory)
    return entries


def _restore_int_columns(df: pd.DataFrame, parts: list[pd.DataFrame]) -> pd.DataFrame:
    """A column that is whole numbers in some chunk is stored as float where a chunk also holds
    failed runs (missing values); once a failed run's record is superseded and nothing is
    missing, give it back its integer type (so a repaired sweep equals an uninterrupted one)."""
    for col in df.columns:
        ints = [p[col].dtype for p in parts if col in p and pd.api.types.is_integer_dtype(p[col].dtype)]
        if ints and df[col].dtype.kind == "f" and df[col].notna().all():
            df[col] = df[col].astype(ints[0])
    return df


def load_results(directory: str | Path) -> dict[str, pd.DataFrame]:
    """The committed chunks of a sweep directory as tables sorted by run (and vendor / month),
    verified against the manifest; a run's last record counts."""
    directory = Path(directory)
    entries = verified_entries(directory)
    out = {}
    for name, keys in (("runs", ["run_id"]), ("vendors", ["run_id", "vendor"]), ("market", ["run_id", "month_index"])):
        files = [directory / "chunks" / f"{name}-{seq}.parquet" for seq in sorted(entries)
                 if f"{name}-{seq}.parquet" in entries[seq]["files"]]
        if files:
            parts = [pd.read_parquet(f) for f in files]
            df = pd.concat(parts, ignore_index=True)
            if name == "runs":
                df = _restore_int_columns(df.drop_duplicates("run_id", keep="last"), parts)
            out[name] = df.sort_values(keys, kind="stable").reset_index(drop=True)
    out["points"] = pd.read_parquet(directory / "points.parquet")
    return out
