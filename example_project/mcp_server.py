"""The example project's MCP server: two tools over the signed-in user's data, protected by oauthcore.

Built with the official MCP Python SDK (``mcp``), served over Streamable HTTP at ``{issuer}/mcp``
by ``example_project/asgi.py`` next to Django. Its resource identifier (RFC 8707) is ``{issuer}/mcp``:
a token is accepted only when its ``aud`` names it, so a token for the example API or for the
default audience is refused, and a token for this server is refused by the API. A request without
a valid token gets 401 with ``resource_metadata`` naming the RFC 9728 metadata
(``{issuer}/.well-known/oauth-protected-resource/mcp``), from which an MCP client finds the
authorization server. Stateless: any worker process can answer any request. See docs/mcp.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.routes import create_protected_resource_routes
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette

from example_project.api import DEMO_CONTACTS
from oauthcore import errors, tokens
from oauthcore.adapter import get_adapter
from oauthcore.conf import oauth_settings
from oauthcore.resource_server import bearer, binding

PATH = "/mcp"
METADATA_PATH = "/.well-known/oauth-protected-resource/mcp"  # RFC 9728 3.1: well-known + path
SCOPES = ["read:profile", "read:contacts"]  # what the tools need; the metadata advertises them

T = TypeVar("T")


def resource_identifier() -> str:
    """Return this MCP server's resource identifier (RFC 8707): ``{issuer}/mcp``."""
    return f"{oauth_settings.ISSUER}{PATH}"


def owns(path: str) -> bool:
    """Tell whether a request path is the MCP server's (the endpoint or its metadata)."""
    return path in (PATH, f"{PATH}/", METADATA_PATH)


def _as_django_request(function: Callable[..., T]) -> Callable[..., T]:
    """Run ``function`` as Django runs a request's code: stale connections closed before and after."""

    def run(*args: Any, **kwargs: Any) -> T:
        close_old_connections()
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(run)


class OAuthcoreTokenVerifier:
    """The SDK's ``TokenVerifier``: oauthcore's local validation, audience = this server only.

    Signature, ``typ``, ``iss``, ``exp``/``nbf``/``iat``, the deny-list of revoked tokens, and an
    ``aud`` that names ``{issuer}/mcp``: a token for another resource (or for the default audience)
    is refused, never passed on (RFC 8707, RFC 9068 4; MCP authorization, token audience binding).
    """

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            validated = await _as_django_request(bearer.validate)(
                token, audience=resource_identifier()
            )
            if binding.bound_key(validated) is not None:  # RFC 9449 7.2: the SDK sends Bearer only
                return None
        except errors.InvalidToken:
            return None
        return AccessToken(
            token=token,
            client_id=validated.client_id,
            scopes=sorted(validated.scopes),
            expires_at=int(validated.claims["exp"]),
            resource=resource_identifier(),
            subject=validated.subject,
            claims=validated.claims,
        )


def _token_with(scope: str) -> tokens.AccessToken:
    """Return the caller's validated token, or refuse the tool call unless it holds ``scope``."""
    granted = get_access_token()
    if granted is None or granted.claims is None:
        raise ToolError("This tool needs an access token.")
    token = tokens.AccessToken(granted.claims)
    if not token.has_scopes([scope]):
        raise ToolError(f"This tool needs the scope {scope}; ask for it and sign in again.")
    return token


def _person(token: tokens.AccessToken):
    """Return the user the token acts for; refuse a token that acts for a client only."""
    if token.is_client_token:
        raise ToolError("This token acts for a client, not for a user.")
    user = get_adapter().get_user_by_subject(subject=token.subject, client_id=token.client_id)
    if user is None:
        raise ToolError("The user of this token is no longer active.")
    return user


def _profile(token: tokens.AccessToken) -> dict[str, str]:
    user = _person(token)
    return {
        "sub": token.subject,
        "username": user.get_username(),
        "name": user.get_full_name(),
        "first_name": user.first_name,
        "last_name": user.last_name,
    }


def build_server() -> MCPServer:
    """Return the MCP server with its tools, its token verifier and its auth settings."""
    server = MCPServer(
        name="oauthcore example",
        instructions="Tools over the signed-in user's data on the oauthcore example site.",
        token_verifier=OAuthcoreTokenVerifier(),
        auth=AuthSettings(
            issuer_url=oauth_settings.ISSUER,
            resource_server_url=resource_identifier(),
            # The verifier checks aud itself (and fills AccessToken.resource): both agree.
            validate_token_resource=True,
        ),
    )

    @server.tool()
    async def whoami() -> dict[str, str]:
        """Return the profile of the user who signed in (needs read:profile)."""
        token = _token_with("read:profile")
        return await _as_django_request(_profile)(token)

    @server.tool()
    async def list_contacts() -> dict[str, Any]:
        """Return the signed-in user's contacts (needs read:contacts)."""
        token = _token_with("read:contacts")
        await _as_django_request(_person)(token)
        return {"sub": token.subject, "contacts": DEMO_CONTACTS}

    return server


def _transport_security() -> TransportSecuritySettings:
    """Accept the issuer's host (and ALLOWED_HOSTS), the issuer's origin: DNS rebinding protection."""
    issuer = urlsplit(oauth_settings.ISSUER)
    hosts = [issuer.netloc]
    for host in settings.ALLOWED_HOSTS:
        if host != "*" and not host.startswith("."):
            hosts += [host, f"{host}:*"]
    return TransportSecuritySettings(
        allowed_hosts=hosts, allowed_origins=[f"{issuer.scheme}://{issuer.netloc}"]
    )


def _metadata_route():
    """RFC 9728 metadata naming the scopes the tools need (the SDK's names required scopes only)."""
    (route,) = create_protected_resource_routes(
        resource_url=resource_identifier(),
        authorization_servers=[oauth_settings.ISSUER],
        scopes_supported=SCOPES,
        resource_name="oauthcore example MCP server",
    )
    return route


def build_app() -> Starlette:
    """Return the ASGI app serving ``/mcp`` and its metadata; its lifespan runs the transports.

    Stateless: each POST is answered on its own (a fresh transport, a JSON response), no session
    is kept in this process's memory, so any worker process or server can take any request and
    no sticky sessions are needed. The tools need nothing from earlier requests: who calls is in
    the token, validated on every request. Server-to-client requests (sampling, elicitation) and
    the GET stream of notifications need a session: these tools use neither.
    """
    app = build_server().streamable_http_app(
        streamable_http_path=PATH,
        stateless_http=True,
        json_response=True,
        transport_security=_transport_security(),
    )
    app.router.routes = [
        _metadata_route() if getattr(route, "path", None) == METADATA_PATH else route
        for route in app.router.routes
    ]
    return app
