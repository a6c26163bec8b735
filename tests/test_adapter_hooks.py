"""Adapter hooks take ``client=`` and ``**kwargs``: a pairwise subject through the real flow,
old hooks without ``**kwargs`` still called (with a warning), and ID-token claims."""

import hashlib
import hmac
import warnings
from http import HTTPStatus
from urllib.parse import urlencode

import jwt
import pytest
from django.urls import reverse

from oauthcore import adapter
from oauthcore.adapter import Adapter
from oauthcore.ops import checks
from tests import factories, oidc_flow, protocol

pytestmark = pytest.mark.django_db

SECTOR_KEY = b"pairwise-test-key"
SCOPE = "openid profile read:profile"


def pairwise(client_id: str, pk) -> str:
    """Return ``<pk>.<mac>``: a different subject for each client, reversible only with it."""
    mac = hmac.new(SECTOR_KEY, f"{client_id}:{pk}".encode(), hashlib.sha256).hexdigest()
    return f"{pk}.{mac[:20]}"


class PairwiseAdapter(Adapter):
    """Pairwise subjects (OIDC Core 8.1) from the new ``client=`` argument."""

    def get_subject(self, *, user, client=None, **kwargs):
        return pairwise(client.client_id, user.pk) if client else str(user.pk)

    def get_user_by_subject(self, *, subject, client=None, **kwargs):
        client_id = client.client_id if client else kwargs.get("client_id")
        pk, _, _ = subject.partition(".")
        if not client_id or not pk.isdigit() or subject != pairwise(client_id, pk):
            return None
        return super().get_user_by_subject(subject=pk, client=client, **kwargs)


class LegacyAdapter(Adapter):
    """Hooks as documented before ``client=`` and ``**kwargs``."""

    def get_subject(self, *, user):
        return f"legacy-{user.pk}"

    def get_user_by_subject(self, *, subject):
        return super().get_user_by_subject(subject=subject.removeprefix("legacy-"))

    def get_userinfo_claims(self, *, user, scopes):
        return {"nickname": user.get_username()}

    def is_user_allowed(self, *, client, user):
        return user.is_active


class IdClaimsAdapter(Adapter):
    """Adds ID-token claims, and tries (in vain) to replace the protocol's."""

    def get_id_token_claims(self, *, client, user, scopes, **kwargs):
        return {
            "tenant": "acme",
            "granted": sorted(scopes),
            "app": client.name,
            **{"sub": "admin", "iss": "https://evil.example", "nonce": "evil", "aud": "evil"},
            **{"at_hash": "x", "sid": "x", "auth_time": 0, "exp": 9999999999, "azp": "evil"},
        }


@pytest.fixture
def use_adapter(settings):
    def use(cls):
        settings.OAUTHCORE = {**settings.OAUTHCORE, "ADAPTER": f"{__name__}.{cls.__name__}"}

    return use


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def claims_of(access_token: str) -> dict:
    return jwt.decode(access_token, options={"verify_signature": False})


def introspect(http, client_app, token: str) -> dict:
    extra = protocol.basic_auth(client_app.client_id)
    form = "application/x-www-form-urlencoded"
    url = reverse("oauthcore:introspect")
    return http.post(url, urlencode({"token": token}), content_type=form, **extra).json()


def test_a_pairwise_subject_through_the_code_flow(client, client_app, user, use_adapter):
    use_adapter(PairwiseAdapter)
    body = oidc_flow.sign_in(client, client_app, user, scope=SCOPE)
    sub = pairwise(client_app.client_id, user.pk)
    assert claims_of(body["access_token"])["sub"] == sub
    assert oidc_flow.verify(client, body["id_token"], audience=client_app.client_id)["sub"] == sub
    userinfo = client.get(reverse("oauthcore:userinfo"), **bearer(body["access_token"])).json()
    assert userinfo["sub"] == sub
    assert userinfo["preferred_username"] == "alice"  # the subject led back to the user
    api = client.get("/api/profile/", **bearer(body["access_token"])).json()
    assert api == {**api, "sub": sub, "username": "alice"}  # the resource server, by client_id
    assert introspect(client, client_app, body["access_token"])["username"] == "alice"
    assert introspect(client, client_app, body["refresh_token"])["sub"] == sub


def test_two_clients_see_two_subjects(client, user, use_adapter):
    use_adapter(PairwiseAdapter)
    subjects = set()
    for app in (factories.ClientFactory(), factories.ClientFactory()):
        body = oidc_flow.sign_in(client, app, user, scope=SCOPE)
        subjects.add(oidc_flow.verify(client, body["id_token"], audience=app.client_id)["sub"])
    assert len(subjects) == 2


def test_an_old_adapter_without_kwargs_still_works_and_warns(client, client_app, user, use_adapter):
    use_adapter(LegacyAdapter)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        body = oidc_flow.sign_in(client, client_app, user, scope=SCOPE)
        userinfo = client.get(reverse("oauthcore:userinfo"), **bearer(body["access_token"]))
        refreshed = oidc_flow.refreshed(client, client_app, body["refresh_token"])
    assert claims_of(body["access_token"])["sub"] == f"legacy-{user.pk}"
    assert claims_of(refreshed["access_token"])["sub"] == f"legacy-{user.pk}"
    assert userinfo.status_code == HTTPStatus.OK
    assert userinfo.json() == {"sub": f"legacy-{user.pk}", "nickname": "alice"}
    messages = [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]
    for hook in ("get_subject", "get_user_by_subject", "get_userinfo_claims", "is_user_allowed"):
        named = [m for m in messages if f"LegacyAdapter.{hook}()" in m]
        assert len(named) == 1, messages  # once, however often the hook is called


def test_the_system_check_names_the_hooks_without_kwargs(use_adapter):
    use_adapter(LegacyAdapter)
    found = checks.check_adapter()
    assert {w.id for w in found} == {"oauthcore.W003"}
    assert sorted(w.msg.split("(")[0] for w in found) == [
        "LegacyAdapter.get_subject",
        "LegacyAdapter.get_user_by_subject",
        "LegacyAdapter.get_userinfo_claims",
        "LegacyAdapter.is_user_allowed",
    ]
    use_adapter(PairwiseAdapter)
    assert checks.check_adapter() == []


def test_every_hook_of_the_base_adapter_takes_kwargs():
    assert adapter.legacy_hooks(Adapter) == []
    assert set(adapter.HOOKS) == {name for name in vars(Adapter) if not name.startswith("_")}


def test_id_token_claims_are_added_but_cannot_replace_the_protocols(
    client, client_app, user, use_adapter
):
    use_adapter(IdClaimsAdapter)
    body = oidc_flow.sign_in(client, client_app, user, scope=SCOPE, nonce="n-0S6")
    claims = oidc_flow.verify(client, body["id_token"], audience=client_app.client_id)
    assert claims["tenant"] == "acme"
    assert claims["granted"] == sorted(SCOPE.split())
    assert claims["app"] == client_app.name
    assert claims["sub"] == str(user.pk)
    assert claims["iss"] == "http://testserver"
    assert claims["nonce"] == "n-0S6"
    assert claims["aud"] == client_app.client_id
    assert claims["at_hash"] != "x" and claims["sid"] != "x"
    assert claims["auth_time"] > 0 and claims["exp"] < 9999999999
    assert "azp" not in claims
    assert "tenant" not in claims_of(body["access_token"])  # ID tokens only

    refreshed = oidc_flow.refreshed(client, client_app, body["refresh_token"])
    again = oidc_flow.verify(client, refreshed["id_token"], audience=client_app.client_id)
    assert again["tenant"] == "acme"
    assert "nonce" not in again  # OIDC Core 12.2; the adapter cannot add one either
