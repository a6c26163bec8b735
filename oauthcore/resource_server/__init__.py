"""The resource server: validate a presented access token and decide on a request.

Token validation, the deny-list, the remote JWKS and the plain-Django decorators; the DRF
classes live in ``oauthcore.contrib``. Imports only ``jose`` and the foundation: a project that
only protects an API runs none of the authorization server.
"""
