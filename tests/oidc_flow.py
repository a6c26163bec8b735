"""Helpers of the OpenID Connect tests: sign in, authorize with openid, redeem, verify an ID token."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus

import jwt
from django.urls import reverse

from oauthcore.oidc import logins
from tests import protocol

OIDC_SCOPE = "openid profile email read:profile"


def authorize(http, client_app, user, *, login=True, **params):
    """Sign ``user`` in (unless ``login`` is False), pre-approve, GET /authorize; return the response."""
    params.setdefault("scope", OIDC_SCOPE)
    return protocol.authorization_response(http, client_app, user, login=login, **params)


def session_auth_time(http) -> datetime:
    """Return when the test client's session signed in, as recorded on ``user_logged_in``."""
    return datetime.fromtimestamp(http.session[logins.SESSION_KEY], tz=UTC)


def set_session_auth_time(http, moment: float) -> None:
    """Pretend the test client's session signed in at ``moment`` (epoch seconds)."""
    session = http.session
    session[logins.SESSION_KEY] = moment
    session.save()


def redeem_code(http, client_app, code: str) -> dict:
    """Exchange ``code`` at the token endpoint; return the JSON body of the success."""
    response = protocol.token(http, client_app, code)
    assert response.status_code == HTTPStatus.OK, response.json()
    return response.json()


def sign_in(http, client_app, user, **params) -> dict:
    """Run the whole code flow with ``openid`` for ``user``; return the token response."""
    return redeem_code(
        http, client_app, protocol.code_from(authorize(http, client_app, user, **params))
    )


def refreshed(http, client_app, refresh_token: str, **extra) -> dict:
    """Use ``refresh_token``; return the JSON body of the success."""
    response = protocol.refresh(http, client_app, refresh_token, **extra)
    assert response.status_code == HTTPStatus.OK, response.json()
    return response.json()


def verify(http, id_token: str, *, audience: str) -> dict:
    """Verify an ID token as a relying party does: PyJWT and the published JWKS."""
    jwks = jwt.PyJWKSet.from_dict(http.get(reverse("oauthcore:jwks")).json())
    kid = jwt.get_unverified_header(id_token)["kid"]
    key = next(key for key in jwks.keys if key.key_id == kid)
    return jwt.decode(
        id_token,
        key,
        algorithms=[key.algorithm_name],
        audience=audience,
        issuer="http://testserver",
    )
