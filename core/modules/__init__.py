"""The plugin platform: hook specifications, discovery, the declarative-model compiler,
per-community module state and the scoped data access modules get."""
