"""Settings of the scale benchmark (``bench/scale.py``): the example project, audit log on.

The database, cache and issuer come from the environment as for the example project.
"""

from datetime import timedelta

from example_project.settings import *  # noqa: F403
from example_project.settings import OAUTHCORE

OAUTHCORE = {
    **OAUTHCORE,
    "AUDIT_LOG": True,  # every token request writes its row into the audit table
    "ACCESS_TOKEN_LIFETIME": timedelta(hours=2),  # the run outlives the default 15 minutes
    # One address (wrk's) sends all authorization requests: count them, never refuse them.
    "RATE_LIMIT_AUTHORIZE_REQUESTS": 10**9,
}
