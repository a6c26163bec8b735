"""Helpers of the OpenID Connect tests: sign in, authorize with openid, redeem, verify an ID token."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import jwt
from django.urls import reverse

from oauthcore.models import Consent
from oauthcore.oidc import logins
from tests import factories

OIDC_SCOPE = "openid profile email read:profile"


def authorize(http, client_app, user, *, login=True, **params):
    """Sign ``user`` in (unless ``login`` is False), pre-approve, GET /authorize; return the response."""
    if login:
        http.force_login(user)
    scope = params.pop("scope", OIDC_SCOPE)
    Consent.objects.update_or_create(
        user=user, client=client_app, defaults={"scopes": scope.split()}
    )
    query = factories.authorize_params(client_app, scope=scope, **params)
    return http.get(reverse("oauthcore:authorize"), query)


def session_auth_time(http) -> datetime:
    """Return when the test client's session signed in, as recorded on ``user_logged_in``."""
    return datetime.fromtimestamp(http.session[logins.SESSION_KEY], tz=UTC)


def set_session_auth_time(http, moment: float) -> None:
    """Pretend the test client's session signed in at ``moment`` (epoch seconds)."""
    session = http.session
    session[logins.SESSION_KEY] = moment
    session.save()


def code_from(response) -> str:
    assert response.status_code == HTTPStatus.FOUND, response.content[:300]
    query = parse_qs(urlsplit(response["Location"]).query)
    assert "code" in query, query
    return query["code"][0]


def redeem_code(http, client_app, code: str) -> dict:
    """Exchange ``code`` at the token endpoint; return the JSON body of the success."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": client_app.redirect_uris[0],
        "code_verifier": factories.VERIFIER,
    }
    response = factories.post_token(http, data, **factories.basic_auth(client_app.client_id))
    assert response.status_code == HTTPStatus.OK, response.json()
    return response.json()


def sign_in(http, client_app, user, **params) -> dict:
    """Run the whole code flow with ``openid`` for ``user``; return the token response."""
    return redeem_code(http, client_app, code_from(authorize(http, client_app, user, **params)))


def refresh(http, client_app, refresh_token: str, **extra) -> dict:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    response = factories.post_token(http, data, **factories.basic_auth(client_app.client_id))
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
