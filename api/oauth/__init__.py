"""The OAuth 2 authorization server: catalogue apps get tokens limited to the
scopes a patient granted (authorization code + PKCE, refresh rotation,
revocation, introspection, metadata)."""
