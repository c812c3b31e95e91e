"""GraphQL API of the module: strawberry types, queries and mutations."""
