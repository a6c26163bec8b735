"""Protected resource metadata (RFC 9728) on the resource-server side, through HTTP.

Real DRF views and ``@require_scopes`` views name the resource they serve; the document gathers
their scopes, lives at the well-known URL derived from the identifier, and every challenge of
those views names it. The URLconf is this module's.
"""

import re
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.core.checks import run_checks
from django.http import JsonResponse
from django.urls import include, path
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from oauthcore.contrib.rest_framework.permissions import HasScope
from oauthcore.resource_server import jwks_client, protected_resource
from oauthcore.resource_server.decorators import require_scopes
from oauthcore.testing import authorization_header

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _bearer_challenge_alone(settings):
    """Word the Bearer challenge alone: DPoP off (the DPoP challenge beside it is tested in
    tests/resource_server/test_dpop.py)."""
    settings.OAUTHCORE = {**settings.OAUTHCORE, "DPOP_SIGNING_ALGORITHMS": []}


A = "https://api.example.com/a/"
B = "https://api.example.com/b"
ROOT = "https://api.example.com"
A_METADATA = "https://api.example.com/.well-known/oauth-protected-resource/a/"
B_METADATA = "https://api.example.com/.well-known/oauth-protected-resource/b"


class Echo(APIView):
    def get(self, request):
        return Response({"sub": request.auth.subject, "aud": request.auth.claims["aud"]})

    post = get


class Items(Echo):
    resource = A
    permission_classes = [HasScope.per_method({"GET": ["a:read"], "POST": ["a:write"]})]


class Admin(Echo):
    resource = A
    permission_classes = [HasScope.of("a:admin") | IsAdminUser, ~HasScope.of("a:banned")]


class Listing(Echo):
    resource = A
    permission_classes = [HasScope]
    required_scopes = ["a:list", "a:read"]


class Reports(Echo):
    resource = B
    permission_classes = [HasScope.of("b:read")]


class SessionOnly(Echo):
    """Not a bearer-token view: its scopes are not the resource's."""

    resource = A
    authentication_classes = [SessionAuthentication]
    permission_classes = [HasScope.of("a:session")]


class Mixed(Echo):
    """Tokens for its resource, and for the default audience too (its ``audience``)."""

    resource = A
    audience = "http://testserver"
    permission_classes = [HasScope.of("a:read")]


class Unnamed(Echo):
    """No resource: the default audience, challenges as before (or PROTECTED_RESOURCE)."""

    permission_classes = [HasScope.of("p:read")]


class PerRequest(Echo):
    """A resource read from the request: unknown when the document is built."""

    permission_classes = [HasScope.of("a:tenant")]

    @property
    def resource(self):
        return A if self.request.path.startswith("/a/") else None


@require_scopes("a:email", resource=A)
def email(request):
    return JsonResponse({"sub": request.auth.subject})


@require_scopes("b:write", resource=lambda: B)
def report(request):
    return JsonResponse({"sub": request.auth.subject})


@require_scopes("p:write")
def unnamed(request):
    return JsonResponse({"sub": request.auth.subject})


urlpatterns = [
    path("a/items/", Items.as_view()),
    path("a/admin/", Admin.as_view()),
    path("a/list/", Listing.as_view()),
    path("a/session/", SessionOnly.as_view()),
    path("a/mixed/", Mixed.as_view()),
    path("a/email/", email),
    path("a/tenant/", PerRequest.as_view()),
    path("b/reports/", Reports.as_view()),
    path("b/report/", report),
    path("p/", Unnamed.as_view()),
    path("p/write/", unnamed),
    protected_resource.metadata_path(A, resource_name="Items API"),
    protected_resource.metadata_path(lambda: B, resource_documentation="https://docs.example/b"),
    protected_resource.metadata_path(ROOT),
    protected_resource.metadata_path("https://api.example.com/p/"),
    path("", include("oauthcore.urls")),  # the JWKS, for the remote-JWKS tests
]


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = __name__


def params(challenge: str) -> dict[str, str]:
    """Parse a ``Bearer`` challenge into its auth-params (RFC 9110 11.6.1, quoted values)."""
    scheme, _, rest = challenge.partition(" ")
    assert scheme == "Bearer"
    pairs = re.findall(r'\s*([A-Za-z_]+)="([^"\\]*)"\s*(?:,|$)', rest)
    assert ", ".join(f'{k}="{v}"' for k, v in pairs) == rest  # nothing else in the header
    return dict(pairs)


def fetch(client, url: str):
    """GET an absolute metadata URL through the test client (any host routes to this URLconf)."""
    return client.get(urlsplit(url).path)


def bearer(user, *scopes, aud=A):
    return authorization_header(user=user, scopes=scopes, aud=aud)


# The document (RFC 9728 2, 3.2)


def test_the_document_gathers_the_scopes_of_the_resources_views(client):
    response = client.get("/.well-known/oauth-protected-resource/a/")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json() == {
        "resource": A,
        "authorization_servers": ["http://testserver"],
        # per_method, composed with |, the view's required_scopes, the decorator; in URLconf
        # order; not a negated scope, not a session-only view's, not another resource's
        "scopes_supported": ["a:read", "a:write", "a:admin", "a:list", "a:email"],
        "bearer_methods_supported": ["header"],
        "resource_name": "Items API",
    }


def test_a_resource_known_only_in_a_request_is_left_out_of_the_document(client, user, caplog):
    document = client.get("/.well-known/oauth-protected-resource/a/").json()
    assert "a:tenant" not in document["scopes_supported"]
    assert "Cannot tell the resource of PerRequest outside a request." in caplog.messages
    response = client.get("/a/tenant/")  # in a request it is known
    assert params(response["WWW-Authenticate"])["resource_metadata"] == A_METADATA
    assert client.get("/a/tenant/", **bearer(user, "a:tenant")).status_code == HTTPStatus.OK


def test_another_resource_has_its_own_document(client):
    document = client.get("/.well-known/oauth-protected-resource/b").json()
    assert document == {
        "resource": B,
        "authorization_servers": ["http://testserver"],
        "scopes_supported": ["b:read", "b:write"],
        "bearer_methods_supported": ["header"],
        "resource_documentation": "https://docs.example/b",
    }


def test_members_without_a_value_are_left_out(client):
    document = client.get("/.well-known/oauth-protected-resource").json()
    assert document == {  # no view serves ROOT: no scopes_supported (RFC 9728 3.2)
        "resource": ROOT,
        "authorization_servers": ["http://testserver"],
        "bearer_methods_supported": ["header"],
    }


def test_the_document_follows_the_issuer(client, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ISSUER": "https://auth.example.com"}
    document = client.get("/.well-known/oauth-protected-resource/a/").json()
    assert document["authorization_servers"] == ["https://auth.example.com"]


def test_head_is_served_and_other_methods_are_refused(client):
    url = "/.well-known/oauth-protected-resource/a/"
    head = client.head(url)
    assert head.status_code == HTTPStatus.OK and head.content == b""
    for method in ("post", "put", "delete", "options"):
        response = getattr(client, method)(url)
        assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
        assert response["Allow"] == "GET, HEAD"


def test_the_document_needs_no_login(client, settings):
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "django.contrib.auth.middleware.LoginRequiredMiddleware",
    ]
    assert client.get("/.well-known/oauth-protected-resource/a/").status_code == HTTPStatus.OK


# The challenges (RFC 6750 3, RFC 9728 5.1)


def test_no_token_names_the_metadata_and_the_client_can_follow_it(client):
    response = client.get("/a/items/")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert params(response["WWW-Authenticate"]) == {
        "realm": "http://testserver",
        "resource_metadata": A_METADATA,
    }
    document = fetch(client, A_METADATA).json()
    assert document["resource"] == A  # RFC 9728 3.3: the identifier the URL was made from


@pytest.mark.parametrize("url", ["/a/items/", "/a/email/"])
def test_every_refusal_names_the_metadata(client, user, url):
    cases = [
        ({}, HTTPStatus.UNAUTHORIZED, None),
        ({"HTTP_AUTHORIZATION": "Bearer not-a-jwt"}, HTTPStatus.UNAUTHORIZED, "invalid_token"),
        ({"HTTP_AUTHORIZATION": "Bearer a b"}, HTTPStatus.BAD_REQUEST, "invalid_request"),
        (bearer(user, "x:other"), HTTPStatus.FORBIDDEN, "insufficient_scope"),
    ]
    for headers, status, error in cases:
        response = client.get(url, **headers)
        assert response.status_code == status
        found = params(response["WWW-Authenticate"])
        assert found.get("error") == error
        assert found["resource_metadata"] == A_METADATA


def test_a_view_without_a_resource_challenges_as_before(client, user):
    for url in ("/p/", "/p/write/"):
        assert client.get(url)["WWW-Authenticate"] == 'Bearer realm="http://testserver"'
        response = client.get(url, **authorization_header(user=user, scopes=["p:read", "p:write"]))
        assert response.status_code == HTTPStatus.OK  # the default audience


# The audience: a view of a resource takes tokens for it only (RFC 8707, RFC 9728 7.4)


@pytest.mark.parametrize("url", ["/a/items/", "/a/email/"])
def test_a_token_for_the_resource_is_accepted(client, user, url):
    for aud in (A, [B, A]):
        response = client.get(url, **bearer(user, "a:read", "a:email", aud=aud))
        assert response.status_code == HTTPStatus.OK, response.content


@pytest.mark.parametrize("url", ["/a/items/", "/a/email/", "/b/reports/", "/b/report/"])
@pytest.mark.parametrize(
    "aud", ["https://api.example.com/c/", "http://testserver", "https://api.example.com/"]
)
def test_a_token_for_another_resource_is_refused(client, user, url, aud):
    scopes = ("a:read", "a:email", "b:read", "b:write")
    response = client.get(url, **bearer(user, *scopes, aud=aud))
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    found = params(response["WWW-Authenticate"])
    assert found["error"] == "invalid_token"
    assert found["error_description"] == "The access token is for another audience."
    assert found["resource_metadata"] == (A_METADATA if url.startswith("/a/") else B_METADATA)


def test_a_token_for_b_is_refused_by_a_and_accepted_by_b(client, user):
    header = bearer(user, "a:read", "b:read", aud=B)
    assert client.get("/a/items/", **header).status_code == HTTPStatus.UNAUTHORIZED
    assert client.get("/b/reports/", **header).status_code == HTTPStatus.OK


def test_a_views_audience_adds_to_its_resource(client, user):
    for aud in (A, "http://testserver"):
        response = client.get("/a/mixed/", **bearer(user, "a:read", aud=aud))
        assert response.status_code == HTTPStatus.OK
    response = client.get("/a/mixed/", **bearer(user, "a:read", aud=B))
    assert response.status_code == HTTPStatus.UNAUTHORIZED


# PROTECTED_RESOURCE: the resource of a whole resource-server project


P = "https://api.example.com/p/"


def test_protected_resource_names_the_resource_of_unnamed_views(client, user, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "PROTECTED_RESOURCE": P}
    metadata = "https://api.example.com/.well-known/oauth-protected-resource/p/"
    for url in ("/p/", "/p/write/"):
        assert params(client.get(url)["WWW-Authenticate"])["resource_metadata"] == metadata
        default = authorization_header(user=user, scopes=["p:read", "p:write"])
        assert client.get(url, **default).status_code == HTTPStatus.UNAUTHORIZED
        assert client.get(url, **bearer(user, "p:read", "p:write", aud=P)).status_code == 200
    assert protected_resource.scopes_supported(P) == ["p:read", "p:write"]
    assert protected_resource.metadata_path().pattern.match(
        ".well-known/oauth-protected-resource/p/"
    )
    assert params(client.get("/a/items/")["WWW-Authenticate"])["resource_metadata"] == A_METADATA


@pytest.mark.parametrize(
    "value", ["http://api.example.com/", "https://api.example.com/?q=1", "https://h/#f", "api", 7]
)
def test_an_invalid_protected_resource_is_e102(settings, value):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "PROTECTED_RESOURCE": value}
    assert "oauthcore.E102" in {message.id for message in run_checks()}


@pytest.mark.parametrize("value", [None, P, "http://127.0.0.1:8001/api/"])
def test_a_valid_protected_resource_passes_e102(settings, value):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "PROTECTED_RESOURCE": value}
    assert "oauthcore.E102" not in {message.id for message in run_checks()}


# A resource server in another project: keys from the issuer's JWKS (JWKS_URL)


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_remote_jwks_mode(client, user, settings, live_server):
    settings.OAUTHCORE = {
        **settings.OAUTHCORE,
        "JWKS_URL": live_server.url + "/oauth/jwks.json",
        "PROTECTED_RESOURCE": P,
    }
    jwks = jwks_client.client()
    assert client.get("/p/", **bearer(user, "p:read", aud=P)).status_code == HTTPStatus.OK
    assert jwks.fetches == 1  # the key came from the issuer's JWKS over HTTP
    refused = client.get("/p/", **bearer(user, "p:read", aud=A))
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    found = params(refused["WWW-Authenticate"])
    assert found["error"] == "invalid_token"
    document = fetch(client, found["resource_metadata"]).json()
    assert document["resource"] == P
    assert document["scopes_supported"] == ["p:read", "p:write"]
    assert params(client.get("/a/items/")["WWW-Authenticate"])["resource_metadata"] == A_METADATA
    assert client.get("/a/items/", **bearer(user, "a:read")).status_code == HTTPStatus.OK


def warnings_w101():
    return [message.msg for message in run_checks() if message.id == "oauthcore.W101"]


def test_every_resource_of_these_views_is_published():
    assert warnings_w101() == []


def test_a_resource_whose_metadata_is_not_mounted_is_w101(settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "PROTECTED_RESOURCE": "https://api.example.com/q/"}
    (message,) = warnings_w101()
    assert "'https://api.example.com/q/'" in message
    assert "https://api.example.com/.well-known/oauth-protected-resource/q/" in message
