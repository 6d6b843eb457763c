"""The GraphQL layer: schema assembly, request context, limits and error codes."""
