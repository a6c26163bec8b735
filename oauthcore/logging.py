"""Public path of the log formatter, ``oauthcore.logging.JSONFormatter`` (the LOGGING setting).

It lives in ``oauthcore.ops.logging``; this name stays for projects using it.
"""

from oauthcore.ops.logging import JSONFormatter

__all__ = ["JSONFormatter"]
