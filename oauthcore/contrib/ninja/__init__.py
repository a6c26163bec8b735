"""Django Ninja adapters of the resource server: bearer and DPoP authentication with scopes.

See ``oauthcore.contrib.ninja.security`` and docs/ninja.md; needs the ``ninja`` extra.
"""
