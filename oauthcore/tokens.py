"""Public path of the validated access token, ``oauthcore.tokens.AccessToken`` (``request.auth``).

It lives in ``oauthcore.resource_server.access_tokens``; this name stays for projects using it.
"""

from oauthcore.resource_server.access_tokens import AccessToken

__all__ = ["AccessToken"]
