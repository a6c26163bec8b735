"""Token exchange (RFC 8693) through the token endpoint: a service and the user tokens it holds."""

from __future__ import annotations

from oauthcore.models import Client
from tests import factories
from tests.protocol import basic_auth, post_token

GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS = "urn:ietf:params:oauth:token-type:access_token"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
API = "http://testserver/api/"
MCP = "http://testserver/mcp"


def service(**fields) -> Client:
    """A confidential client holding the exchange grant, allowed the example API and two scopes."""
    defaults = {
        "grant_types": ["client_credentials", GRANT],
        "token_exchange_audiences": [API],
        "token_exchange_scopes": ["read:profile", "read:email"],
    }
    return factories.ClientFactory(**{**defaults, **fields})


def exchange(http, app, subject, *, subject_type=ACCESS, extra=None, **data):
    """POST a token exchange request of ``app`` for ``subject``; ``data`` adds fields."""
    form = {"grant_type": GRANT, "subject_token": subject, "subject_token_type": subject_type}
    form = {**form, **{name: value for name, value in data.items() if value is not None}}
    return post_token(http, form, **basic_auth(app.client_id), **(extra or {}))


def assert_error(response, code: str) -> None:
    assert response.status_code in (400, 401), response.content
    assert response.json()["error"] == code, response.content
    assert response.json().get("error_description")
