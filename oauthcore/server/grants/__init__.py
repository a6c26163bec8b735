"""The grants of the token endpoint, one module each, served through a registry.

``run(client, params, now=)`` runs the grant the request names. A grant module registers its
handler when imported (``registry.register(grant_type, handler)``); to add one, write a module
and import it below, or call ``register()`` from a project's ``AppConfig.ready()``.
``grant_types_supported`` in the metadata is ``supported()``.
"""

# Importing a module registers its grant; this order is the order of grant_types_supported.
# isort: off
from oauthcore.server.grants import authorization_code
from oauthcore.server.grants import refresh_token
from oauthcore.server.grants import client_credentials
from oauthcore.server.grants import device_code
from oauthcore.server.grants import token_exchange

# isort: on
from oauthcore.server.grants.registry import register, run, supported, unregister

__all__ = [
    "authorization_code",
    "client_credentials",
    "device_code",
    "refresh_token",
    "register",
    "run",
    "supported",
    "token_exchange",
    "unregister",
]
