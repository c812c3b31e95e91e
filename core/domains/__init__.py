"""Domain slices (repository, service, API per domain)."""
