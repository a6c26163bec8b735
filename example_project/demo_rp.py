"""MyApp: a demo OpenID Connect relying party that the example project serves at /demo/.

It plays the third-party app of the classic picture, server-side, with only the standard library
and PyJWT: it reads the issuer's discovery document, runs code + PKCE with a nonce, verifies the
ID token against the JWKS, calls the example API and userinfo with the access token, refreshes,
revokes (RFC 7009) and logs out (RP-Initiated Logout). It calls the issuer over HTTP, that is
itself: serve it with a threaded server (``runserver`` is; one sync gunicorn worker deadlocks).
"""

import base64
import hashlib
import json
import secrets
from urllib import error, request
from urllib.parse import quote, urlencode

import jwt
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import TemplateView

from oauthcore.conf import oauth_settings
from oauthcore.server import pkce

CLIENT_ID = "demo-rp"
CLIENT_SECRET = "demo-rp-secret"  # as seeddemo registers it: a demo, not a real secret
SCOPE = "openid profile email read:profile read:contacts"
SESSION_KEY = "demo_rp"
TIMEOUT = 10
HASHES = {"EdDSA": hashlib.sha512}  # OIDC at_hash: the alg's hash; SHA-256 for the *256 algs
APIS = {"userinfo": None, "profile": "/api/profile/", "contacts": "/api/contacts/"}


class DemoError(Exception):
    """Something the relying party refuses; shown to the user on the demo page."""


def _absolute(name: str) -> str:
    return oauth_settings.ISSUER + reverse(name)


def call(url: str, *, form: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    """Send one HTTP request to the issuer; return (status, JSON body). Form posts authenticate."""
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if form is not None:
        pair = f"{quote(CLIENT_ID, safe='')}:{quote(CLIENT_SECRET, safe='')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    data = urlencode(form).encode() if form is not None else None
    try:
        with request.urlopen(request.Request(url, data, headers), timeout=TIMEOUT) as response:
            status, body = response.status, response.read()
    except error.HTTPError as e:
        status, body = e.code, e.read()
    try:
        return status, json.loads(body or b"{}")
    except ValueError:
        return status, {}


def metadata() -> dict:
    """Return the issuer's OpenID Provider metadata (OIDC Discovery 4)."""
    status, document = call(oauth_settings.ISSUER + "/.well-known/openid-configuration")
    if status != 200 or document.get("issuer") != oauth_settings.ISSUER:
        raise DemoError(_("The issuer's discovery document is unavailable."))
    return document


def at_hash(access_token: str, algorithm: str) -> str:
    digest = HASHES.get(algorithm, hashlib.sha256)(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def verify_id_token(raw: str, document: dict, *, access_token: str, nonce: str = "") -> dict:
    """Validate an ID token as OIDC Core 3.1.3.7 says: signature, iss, aud, exp, nonce, at_hash."""
    try:
        key = jwt.PyJWKClient(document["jwks_uri"]).get_signing_key_from_jwt(raw)
        if jwt.get_unverified_header(raw).get("typ") != "JWT":
            raise DemoError(_("This is not an ID token."))
        algorithms = [key.algorithm_name]
        claims = jwt.decode(raw, key, algorithms, audience=CLIENT_ID, issuer=document["issuer"])
    except jwt.PyJWTError as e:
        raise DemoError(_("The ID token is invalid: %s") % e) from e
    if nonce and claims.get("nonce") != nonce:
        raise DemoError(_("The ID token's nonce is not the one we sent."))
    if claims.get("at_hash") != at_hash(access_token, key.algorithm_name):
        raise DemoError(_("The ID token's at_hash does not match the access token."))
    return claims


def store_tokens(session, tokens: dict, document: dict, *, nonce: str = "") -> None:
    """Keep the tokens of a token response with the verified ID token's claims."""
    kept = session.get(SESSION_KEY, {})
    kept.update(access_token=tokens["access_token"], scope=tokens.get("scope", ""))
    kept["refresh_token"] = tokens.get("refresh_token", kept.get("refresh_token"))
    if raw := tokens.get("id_token"):
        claims = verify_id_token(raw, document, access_token=tokens["access_token"], nonce=nonce)
        kept.update(id_token=raw, id_claims=claims)
    session[SESSION_KEY] = kept


def token_request(form: dict) -> dict:
    document = metadata()
    status, body = call(document["token_endpoint"], form=form)
    if status != 200:
        raise DemoError(
            _("The token endpoint answered %(status)s: %(error)s")
            % {"status": status, "error": body.get("error_description") or body.get("error")}
        )
    return body


class DemoRPView(TemplateView):
    """The MyApp page: a login button, or what the tokens hold and what the API answers."""

    template_name = "demo/rp.html"

    def get_context_data(self, **kwargs):
        kept = self.request.session.get(SESSION_KEY)
        context = {"client_id": CLIENT_ID, "returned_state": self.request.GET.get("state")}
        if kept:
            access = kept["access_token"]
            context.update(
                kept=kept, access_claims=jwt.decode(access, options={"verify_signature": False})
            )
            context["api"] = self.call_apis(access)
        return super().get_context_data(**context, **kwargs)

    def call_apis(self, access_token: str) -> list[tuple[str, int, str]]:
        """Call userinfo and the example API with the access token: (name, status, JSON)."""
        results = []
        for name, path in APIS.items():
            url = oauth_settings.ISSUER + path if path else _absolute("oauthcore:userinfo")
            status, body = call(url, token=access_token)
            results.append((name, status, json.dumps(body, indent=2, sort_keys=True)))
        return results


def _fail(request, problem: DemoError) -> HttpResponseRedirect:
    messages.error(request, str(problem))
    return redirect("demo-rp")


@require_GET
def login(request):
    """Start code + PKCE with a nonce (OIDC Core 3.1.2.1); the secrets wait in the session."""
    try:
        document = metadata()
    except DemoError as problem:
        return _fail(request, problem)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)  # 64 characters (RFC 7636 4.1: 43 to 128)
    request.session[f"{SESSION_KEY}:pending"] = {
        "state": state,
        "verifier": verifier,
        "nonce": nonce,
    }
    query = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": _absolute("demo-rp-callback"),
        "scope": SCOPE,
        "state": state,
        "nonce": nonce,
        "code_challenge": pkce.s256(verifier),
        "code_challenge_method": "S256",
    }
    return HttpResponseRedirect(document["authorization_endpoint"] + "?" + urlencode(query))


@require_GET
def callback(request):
    """Check state, redeem the code, verify the ID token (OIDC Core 3.1.2.5, 3.1.3)."""
    pending = request.session.pop(f"{SESSION_KEY}:pending", None)
    try:
        if request.GET.get("error"):
            raise DemoError(_("The issuer answered: %s") % request.GET["error"])
        if not pending or not secrets.compare_digest(
            request.GET.get("state", ""), pending["state"]
        ):
            raise DemoError(_("This callback does not match a login we started."))
        form = {
            "grant_type": "authorization_code",
            "code": request.GET.get("code", ""),
            "redirect_uri": _absolute("demo-rp-callback"),
            "code_verifier": pending["verifier"],
        }
        store_tokens(request.session, token_request(form), metadata(), nonce=pending["nonce"])
    except DemoError as problem:
        return _fail(request, problem)
    return redirect("demo-rp")


@require_POST
def refresh(request):
    """Trade the refresh token for new tokens (RFC 6749 6, OIDC Core 12)."""
    kept = request.session.get(SESSION_KEY) or {}
    try:
        form = {"grant_type": "refresh_token", "refresh_token": kept.get("refresh_token", "")}
        store_tokens(request.session, token_request(form), metadata())
    except DemoError as problem:
        return _fail(request, problem)
    messages.success(request, _("New tokens: the refresh token was rotated."))
    return redirect("demo-rp")


@require_POST
def revoke(request):
    """Revoke the refresh token, and with it the access token issued alongside (RFC 7009)."""
    kept = request.session.pop(SESSION_KEY, None) or {}
    try:
        endpoint = metadata()["revocation_endpoint"]
    except DemoError as problem:
        return _fail(request, problem)
    for kind in ("refresh_token", "access_token"):
        if kept.get(kind):
            call(endpoint, form={"token": kept[kind], "token_type_hint": kind})
    messages.success(request, _("The tokens were revoked: MyApp can no longer call the API."))
    return redirect("demo-rp")


@require_POST
def logout(request):
    """Forget the tokens and send the user to the issuer's logout (RP-Initiated Logout 2)."""
    kept = request.session.pop(SESSION_KEY, None) or {}
    try:
        endpoint = metadata()["end_session_endpoint"]
    except DemoError as problem:
        return _fail(request, problem)
    query = {
        "client_id": CLIENT_ID,
        "post_logout_redirect_uri": _absolute("demo-rp"),
        "state": secrets.token_urlsafe(16),
    }
    if kept.get("id_token"):
        query["id_token_hint"] = kept["id_token"]
    return HttpResponseRedirect(endpoint + "?" + urlencode(query))
