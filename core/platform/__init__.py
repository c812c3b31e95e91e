"""The platform every layer stands on: database, transactions, errors, logs, metrics,
background tasks, access scopes and the per-request context (the per-app `Platform`, which
opens the core repositories, is `domains/platform.py`)."""
