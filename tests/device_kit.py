"""Drive the device flow (RFC 8628) as a device and as its user do, through HTTP."""

from __future__ import annotations

import re

from django.urls import reverse

from oauthcore.models import Client
from tests import factories, protocol

DEVICE_CODE = Client.GrantType.DEVICE_CODE
SEALED = re.compile(r'name="request" value="([^"]+)"')


def device_client(**fields) -> Client:
    """A client holding the device_code grant (and refresh_token); confidential unless public=True."""
    grant_types = [DEVICE_CODE, "refresh_token"]
    return factories.ClientFactory(grant_types=grant_types, **fields)


def start(http, app, secret=factories.DEMO_SECRET, **data):
    """POST to the device authorization endpoint as ``app`` (RFC 8628 3.1)."""
    return protocol._client_post(http, "device-authorization", app, data, secret, {})


def started(http, app, **data) -> dict:
    """Start a device authorization; assert success and return its body."""
    response = start(http, app, **data)
    assert response.status_code == 200, response.content
    return response.json()


def poll(http, app, device_code, secret=factories.DEMO_SECRET, **extra):
    """Poll the token endpoint with ``device_code`` as ``app`` (RFC 8628 3.4)."""
    data = {"grant_type": DEVICE_CODE, "device_code": device_code}
    return protocol._client_post(http, "token", app, data, secret, extra)


def enter(http, user_code, **extra):
    """Type ``user_code`` into the verification page (the field ``user_code``)."""
    return http.post(reverse("oauthcore:device"), {"user_code": user_code}, **extra)


def sealed_from(response) -> str:
    match = SEALED.search(response.content.decode())
    assert match, response.content.decode()[:500]
    return match.group(1)


def decide(http, confirm_page, decision="allow", scopes=None, **extra):
    """Press Allow or Cancel on the confirm page, with ``scopes`` ticked (default: every one)."""
    ticked = re.findall(r'name="scope" value="([^"]+)"', confirm_page.content.decode())
    data = {"request": sealed_from(confirm_page), "decision": decision}
    data["scope"] = ticked if scopes is None else scopes
    return http.post(reverse("oauthcore:device"), data, **extra)


def approve(http, user, user_code, decision="allow"):
    """Sign ``user`` in, type the code and decide; return the final page."""
    http.force_login(user)
    page = enter(http, user_code)
    assert page.status_code == 200, page.content.decode()[:500]
    return decide(http, page, decision)


def age(device_code_row_filter: dict, seconds: int) -> None:
    """Move a device authorization's last poll ``seconds`` into the past (as if time had passed)."""
    from datetime import timedelta

    from oauthcore.models import DeviceAuthorization

    for row in DeviceAuthorization.objects.filter(**device_code_row_filter):
        if row.last_polled_at:
            row.last_polled_at -= timedelta(seconds=seconds)
            row.save(update_fields=["last_polled_at"])
