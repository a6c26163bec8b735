"""The example project's settings with DPoP server nonces on (RFC 9449 8, 9), for the oauth4webapi
tests (tests/integration/test_node_dpop.py): ``DJANGO_SETTINGS_MODULE=tests.node_settings``."""

from example_project.settings import *  # noqa: F403
from example_project.settings import OAUTHCORE

OAUTHCORE = {**OAUTHCORE, "DPOP_NONCES": True}
