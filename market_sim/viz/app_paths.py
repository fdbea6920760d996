"""Where the app lives, importable without importing solara (the CLI needs only this)."""

from pathlib import Path

APP_FILE = Path(__file__).resolve().parent / "app.py"
CONFIG_ENV = "MARKET_SIM_VIZ_CONFIG"
