"""The authorization server: who the client is, what it asks, the grants, and what they issue.

client authentication, the authorization request, grants, token issuance, revocation,
introspection, registration and the published metadata. May import ``oidc``,
``resource_server`` (to read a token presented back to it), ``jose`` and the foundation.
"""
