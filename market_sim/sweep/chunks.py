"""A sweep directory's Parquet chunks: written atomically (whole or absent; the runs chunk,
written last, commits its runs), read back, and cleaned up after an interruption."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pandas as pd

FLUSH_SECONDS = 5.0          # write a chunk at least this often while runs finish


class ChunkWriter:
    """Buffers finished runs and writes them as Parquet chunks, atomically."""

    def __init__(self, directory: Path, chunk_runs: int, total: int):
        self.dir = directory
        self.chunks = directory / "chunks"
        self.chunks.mkdir(parents=True, exist_ok=True)
        self.chunk_runs = chunk_runs
        self.total = total
        self.buffer: list[dict] = []
        self.last_flush = time.monotonic()
        self.seq = 1 + max((int(p.stem.split("-")[1]) for p in self.chunks.glob("*-*.parquet")), default=0)
        self.done, self.failed = done_run_ids(directory)

    def add(self, result: dict) -> None:
        self.buffer.append(result)
        if len(self.buffer) >= self.chunk_runs or time.monotonic() - self.last_flush > FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        self.last_flush = time.monotonic()
        if not self.buffer:
            return
        tables: dict[str, list] = {"runs": [], "vendors": [], "market": []}
        for r in self.buffer:
            tables["runs"].append(r["runs"])
            for k in ("vendors", "market"):
                if k in r:
                    tables[k].append(r[k])
        # vendors and market first: a runs chunk is the commit, so it goes last
        for name in ("vendors", "market", "runs"):
            parts = tables[name]
            if not parts:
                continue
            df = pd.DataFrame(parts) if name == "runs" else pd.concat(parts, ignore_index=True)
            final = self.chunks / f"{name}-{self.seq:06d}.parquet"
            tmp = final.with_suffix(".parquet.tmp")
            df.to_parquet(tmp, index=False)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        for r in tables["runs"]:
            (self.failed if r["status"] == "failed" else self.done).add(int(r["run_id"]))
        self.seq += 1
        self.buffer.clear()
        write_json_atomic(self.dir / "manifest.json", {
            "total_runs": self.total, "done": len(self.done), "failed": len(self.failed),
            "chunks": sorted(p.name for p in self.chunks.glob("runs-*.parquet")),
        })


def write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    os.replace(tmp, path)


def done_run_ids(directory: Path) -> tuple[set[int], set[int]]:
    """Runs committed in runs chunks (ok, failed). Cleans up what an interrupted write left:
    temporary files, and vendors/market chunks whose runs chunk was never written."""
    chunks = directory / "chunks"
    for tmp in chunks.glob("*.tmp"):
        tmp.unlink()
    committed = {p.stem.split("-")[1] for p in chunks.glob("runs-*.parquet")}
    for p in chunks.glob("*-*.parquet"):
        if p.stem.split("-")[1] not in committed:
            p.unlink()
    ok, failed = set(), set()
    for p in chunks.glob("runs-*.parquet"):
        df = pd.read_parquet(p, columns=["run_id", "status"])
        ok |= set(df.loc[df["status"] == "ok", "run_id"].astype(int))
        failed |= set(df.loc[df["status"] != "ok", "run_id"].astype(int))
    return ok, failed


def load_results(directory: str | Path) -> dict[str, pd.DataFrame]:
    """All chunks of a sweep directory as tables sorted by run (and vendor / month)."""
    directory = Path(directory)
    out = {}
    for name, keys in (("runs", ["run_id"]), ("vendors", ["run_id", "vendor"]), ("market", ["run_id", "month_index"])):
        files = sorted((directory / "chunks").glob(f"{name}-*.parquet"))
        if files:
            df = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
            out[name] = df.sort_values(keys, kind="stable").reset_index(drop=True)
    out["points"] = pd.read_parquet(directory / "points.parquet")
    return out
