"""A community's modules: which are switched on at a region, their settings and their
dashboard statistics. The plugin platform behind them is reached as `platform.modules`
(set by `modules/setup.py`), so this domain imports nothing above it."""
