"""Domain slices (repository, service, GraphQL API per domain)."""
