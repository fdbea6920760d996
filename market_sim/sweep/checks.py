"""Checks a sweep makes before it writes anything: the Dask scheduler answers, and the output
directory can be written. Each failure is a one-line ConfigError (exit status 2)."""

from __future__ import annotations

from pathlib import Path

from ..config import ConfigError


def probe_dask(address: str, timeout: float = 3.0) -> None:
    """A ConfigError within `timeout` seconds when a Dask scheduler address cannot be reached
    (before anything is written); 'local' starts a cluster and needs no probe."""
    import socket
    from urllib.parse import urlparse

    if address == "local":
        return
    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    if parsed.scheme not in ("tcp", "tls") or not parsed.hostname or not parsed.port:
        raise ConfigError(f"got {address!r}; expected tcp://host:port or 'local'", path="--dask", value=address)
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=timeout):
            pass
    except OSError as e:
        raise ConfigError(f"cannot reach a Dask scheduler at {address} ({e.strerror or e}); start one "
                          "(dask scheduler) or check the address; nothing was written",
                          path="--dask", value=address) from None


def check_writable_dir(out: Path) -> None:
    """A ConfigError, before anything is written, when `out` (or where it would be made) cannot be written."""
    from ..outputs import OutputError, check_writable

    try:
        check_writable(out if out.is_dir() else out.parent)
    except OutputError as e:
        raise ConfigError(str(e), path="--out", value=str(out)) from None
