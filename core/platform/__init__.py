"""The platform every layer stands on: database, transactions, errors, logs, metrics,
background tasks, access scopes, the per-app `Platform` and the per-request context."""
