"""The GraphQL API: types, resolvers (thin), schema cache and the HTTP view."""
