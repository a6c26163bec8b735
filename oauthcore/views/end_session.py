"""RP-Initiated Logout 1.0: a client sends the user here to sign out of this site.

The user is signed out at once when the ``id_token_hint`` names the current session (its ``sid``
and ``sub``); otherwise they confirm with a CSRF-protected form, so another site cannot sign them
out. Afterwards the user goes back to a registered ``post_logout_redirect_uri`` (with ``state``),
or sees the "you are logged out" page. Signing out sends Django's ``user_logged_out``, on which
each client the session signed in to gets a back-channel logout token (``oidc.backchannel``).
"""

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect, ensure_csrf_cookie

from oauthcore import adapter, errors
from oauthcore.models import Client
from oauthcore.oidc import id_tokens
from oauthcore.server import client_auth
from oauthcore.views import base

PARAMETERS = ("id_token_hint", "post_logout_redirect_uri", "state", "client_id")


@dataclass(frozen=True)
class LogoutRequest:
    """A validated logout request (RP-Initiated Logout 2)."""

    params: dict[str, str]
    client: Client | None
    hint: dict | None
    redirect_uri: str | None


def _client(client_id: str | None, hint: dict | None) -> Client | None:
    """Return the client named by ``client_id`` and the hint's ``aud``, which must agree."""
    audience = hint["aud"] if hint else None
    if isinstance(audience, list):
        audience = audience[0] if len(audience) == 1 else None
    if client_id and audience and client_id != audience:
        raise errors.InvalidRequest("client_id does not match the id_token_hint.")
    name = client_id or audience
    if not name:
        return None
    client = client_auth.find(name)
    if client is None:
        raise errors.InvalidRequest("Unknown or inactive client.")
    return client


def parse(params: dict[str, str]) -> LogoutRequest:
    """Validate the hint, the client and the redirect URI (RP-Initiated Logout 2, 3)."""
    raw = params.get("id_token_hint")
    hint = id_tokens.decode_hint(raw) if raw else None
    client = _client(params.get("client_id"), hint)
    uri = params.get("post_logout_redirect_uri")
    if uri and (client is None or uri not in client.post_logout_redirect_uris):
        raise errors.InvalidRequest("This post_logout_redirect_uri is not registered.")
    return LogoutRequest(params=params, client=client, hint=hint, redirect_uri=uri or None)


def is_current_session(request, logout_request: LogoutRequest) -> bool:
    """Tell whether the hint was issued for this very session and user."""
    hint, sid = logout_request.hint, request.session.get(id_tokens.SESSION_KEY)
    if not (hint and sid and hint.get("sid") == sid and request.user.is_authenticated):
        return False
    hooks = adapter.get_adapter()
    return hint.get("sub") == hooks.get_subject(user=request.user, client=logout_request.client)


@method_decorator(login_not_required, name="dispatch")  # signed in or not, users land here
@method_decorator(csrf_exempt, name="dispatch")  # clients may POST; the confirmation is checked
class EndSessionView(View):
    """GET or POST a logout request; POST ``confirm`` from our own form signs out."""

    http_method_names = ["get", "post"]
    confirm_template_name = "oauthcore/logout.html"
    done_template_name = "oauthcore/logged_out.html"

    def get(self, request):
        return self.handle(request, request.GET, confirmed=False)

    def post(self, request):
        if "confirm" in request.POST:
            return self.confirmed(request)
        return self.handle(request, request.POST, confirmed=False)

    @method_decorator(csrf_protect)  # our own form: checked with or without the middleware
    def confirmed(self, request):
        """Sign out from the confirmation form; a forged one is Django's CSRF failure (403)."""
        return self.handle(request, request.POST, confirmed=True)

    def handle(self, request, data, *, confirmed):
        params = {name: data[name] for name in PARAMETERS if data.get(name)}
        try:
            logout_request = parse(params)
        except errors.OAuthError as error:
            return base.error_page(request, error)
        if request.user.is_authenticated:
            if not (confirmed or is_current_session(request, logout_request)):
                return self.confirm_page(request, logout_request)
            logout(request)
        return self.done(request, logout_request)

    @method_decorator(ensure_csrf_cookie)  # the form's token needs its cookie, middleware or not
    def confirm_page(self, request, logout_request):
        context = {
            "client": logout_request.client,
            "params": logout_request.params,
            "action": reverse("oauthcore:end-session"),
        }
        return base.protect(TemplateResponse(request, self.confirm_template_name, context))

    def done(self, request, logout_request):
        """Send the user back to the client with ``state``, or show the logged-out page."""
        if logout_request.redirect_uri is None:
            context = {"client": logout_request.client}
            return base.no_store(TemplateResponse(request, self.done_template_name, context))
        parts = urlsplit(logout_request.redirect_uri)
        query = parse_qsl(parts.query, keep_blank_values=True)
        if state := logout_request.params.get("state"):
            query.append(("state", state))
        url = urlunsplit(parts._replace(query=urlencode(query)))
        return base.no_store(base.ClientRedirect(url))
