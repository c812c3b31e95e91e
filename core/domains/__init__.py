"""Domains as vertical slices: each a package with its repository and service (their GraphQL
face is in `graphql/domains/`); `opening.open_domains(platform)` opens them on a database."""
