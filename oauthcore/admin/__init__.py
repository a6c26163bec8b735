"""Django admin: clients (a new secret is shown once, never a hash), signing keys, grants read-only.

Every list stays fast at ten million rows (``oauthcore/ops/admin_lists.py``): no full count, filters and
searches on indexed columns only, sorting only by indexed columns. ``end_sessions`` is the
"End all sessions" action for a project's user admin (docs/backchannel-logout.md).
"""

from oauthcore.admin import clients, grants, keys  # noqa: F401 (each registers its admins)
from oauthcore.ops import session_actions

# For a project's user admin: ``actions = [end_sessions]`` (docs/backchannel-logout.md).
end_sessions = session_actions.end_sessions
