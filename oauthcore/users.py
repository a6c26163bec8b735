"""Public path of ``oauthcore.users.TokenUser`` (``request.user`` of a client-credentials token).

It lives in ``oauthcore.resource_server.users``; this name stays for projects using it.
"""

from oauthcore.resource_server.users import TokenUser

__all__ = ["TokenUser"]
