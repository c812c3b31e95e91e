"""The GraphQL face of each domain: one module per domain (its types and thin resolvers over
the domain's service), plus `types` (the core graph every domain links to: regions, grids,
residents, the viewer) and `core` (the core's own queries and sign-in)."""
