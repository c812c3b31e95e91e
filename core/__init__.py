"""Community+ (社区+): the GraphQL core over MongoDB for community mini-programs."""

__version__ = "0.1.0"
