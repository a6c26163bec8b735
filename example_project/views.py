"""Pages of the example site that are not part of the API: the home page and a demo callback.

They let a person run the code flow by hand: the home page starts an authorization request for
the seeded ``demo-web`` client (with a PKCE verifier kept in the session), and the callback page
shows the code and the exact curl command that redeems it.
"""

import secrets
from urllib.parse import urlencode

from django.urls import reverse
from django.views.generic import TemplateView

from oauthcore.conf import oauth_settings
from oauthcore.server import pkce

DEMO_CLIENT_ID = "demo-web"
DEMO_SCOPES = "read:profile read:email"


def _redirect_uri() -> str:
    return oauth_settings.ISSUER + reverse("demo-callback")


class HomeView(TemplateView):
    template_name = "home.html"

    def get_context_data(self, **kwargs):
        state, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(48)
        self.request.session[f"demo-verifier:{state}"] = verifier
        query = urlencode(
            {
                "response_type": "code",
                "client_id": DEMO_CLIENT_ID,
                "redirect_uri": _redirect_uri(),
                "scope": DEMO_SCOPES,
                "state": state,
                "code_challenge": pkce.s256(verifier),
                "code_challenge_method": "S256",
            }
        )
        return super().get_context_data(
            demo_authorize_url=f"{reverse('oauthcore:authorize')}?{query}", **kwargs
        )


class DemoCallbackView(TemplateView):
    """Where the demo client's browser lands after /authorize: the code and how to redeem it."""

    template_name = "demo_callback.html"

    def get_context_data(self, **kwargs):
        state = self.request.GET.get("state", "")
        return super().get_context_data(
            token_url=oauth_settings.ISSUER + reverse("oauthcore:token"),
            redirect_uri=_redirect_uri(),
            verifier=self.request.session.get(f"demo-verifier:{state}", "YOUR_VERIFIER"),
            **kwargs,
        )
