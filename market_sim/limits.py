"""Resource limits, checked before any allocation: a config whose run would not fit in this
machine's memory (or a sweep whose results would not fit on its disk) is refused with one line
naming the estimate, what is available and the override (--allow-large).

The per-agent costs are measured (docs/performance.md: 200,000 consumer agents in ~400 MB),
rounded up; the estimate is meant to catch sizes off by orders of magnitude (1e9 consumers),
not to be exact."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .config import Config, ConfigError

BYTES_PER_CONSUMER = 1_000        # arrays and per-month state (measured: 760 B per consumer with links, at 200k)
BYTES_PER_NETWORK_LINK = 24
BYTES_PER_BUYER_VENDOR = 64       # enterprise buyers x vendors matrices (utilities, portfolios, spend)
BYTES_PER_VENDOR_MONTH = 1_500    # vendor-month records and the tables built from them
BYTES_PER_FUND_VENDOR = 8         # venture funds' stakes (funds x vendors) and their names
BYTES_PER_FUND = 100
BASE_BYTES = 150_000_000          # the interpreter, numpy, pandas, Mesa
BYTES_PER_RUN_ON_DISK = 4_000     # one sweep run: its runs row and vendor rows in Parquet (measured ~2 KB)
SHARE_OF_MEMORY = 0.8


def run_bytes(cfg: Config) -> int:
    """Estimated peak memory of one run of `cfg`, in bytes."""
    vendors = len(cfg.vendors) + cfg.long_tail.count
    consumers = cfg.scale.consumers * (BYTES_PER_CONSUMER + BYTES_PER_NETWORK_LINK * cfg.consumers.network_degree)
    buyers = cfg.scale.enterprises * vendors * BYTES_PER_BUYER_VENDOR
    records = cfg.run.months * vendors * BYTES_PER_VENDOR_MONTH
    funds = cfg.financing.investors * (BYTES_PER_FUND + vendors * BYTES_PER_FUND_VENDOR)
    return int(consumers + buyers + records + funds)


def available_memory() -> int:
    """Memory available to new allocations (MemAvailable), else the physical memory."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def check_memory(cfg: Config, *, replications: int = 1, workers: int = 1, allow_large: bool = False,
                 file: str | Path | None = None) -> int:
    """Refuse (ConfigError) a run whose estimated memory exceeds what is available: `workers`
    runs at once, plus every replication's tables (a `run` keeps them all). Returns the estimate."""
    vendors = len(cfg.vendors) + cfg.long_tail.count
    tables = replications * cfg.run.months * vendors * BYTES_PER_VENDOR_MONTH
    need = BASE_BYTES + max(1, workers) * (BASE_BYTES + run_bytes(cfg)) + tables
    have = available_memory()
    if not allow_large and need > SHARE_OF_MEMORY * have:
        raise ConfigError(f"needs about {_gib(need)} of memory ({cfg.scale.consumers:,} consumers, "
                          f"{cfg.scale.enterprises:,} enterprises, {cfg.run.months} months, {replications} "
                          f"replication(s), {workers} worker(s)); {_gib(have)} is available. Reduce the scale, "
                          "or pass --allow-large to try anyway", file=file, path="scale")
    return need


def check_disk(runs: int, cfg: Config, out: Path, *, allow_large: bool = False) -> None:
    """Refuse a sweep whose results would not fit on the disk holding `out`."""
    vendors = len(cfg.vendors) + cfg.long_tail.count
    need = runs * (BYTES_PER_RUN_ON_DISK + vendors * 200)
    probe = Path(out)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if not allow_large and need > free:
        raise ConfigError(f"{runs:,} runs need about {_gib(need)} of disk; {_gib(free)} is free at {probe}. "
                          "Use fewer runs or another --out, or pass --allow-large to try anyway",
                          path="--out", value=str(out))
