"""Public path of the plain-Django view decorators: ``from oauthcore.decorators import require_scopes``.

They live in ``oauthcore.resource_server.decorators``; this name stays for projects using it.
"""

from oauthcore.resource_server.decorators import require_scopes

__all__ = ["require_scopes"]
