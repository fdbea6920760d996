"""The browser app (Mesa SolaraViz): `market-sim viz` or `solara run market_sim/viz/app.py`."""
