"""A relying party's back-channel logout endpoint for the tests: a real HTTP server on a free
loopback port that records each ``logout_token`` POSTed to it (OIDC Back-Channel Logout 2.5)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import jwt


class Receiver:
    """Serve ``url``; answer ``status`` (after ``delay`` seconds); keep the tokens received."""

    def __init__(self, *, status: int = 200, delay: float = 0.0) -> None:
        self.status, self.delay = status, delay
        self.tokens: list[str] = []
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                receiver.requests.append(
                    {"content_type": self.headers.get("Content-Type"), "path": self.path}
                )
                receiver.tokens += parse_qs(body).get("logout_token", [])
                time.sleep(receiver.delay)
                self.send_response(receiver.status)
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/backchannel-logout"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def claims(self) -> list[dict]:
        """Return the claims of the tokens received, unverified (tests verify separately)."""
        return [jwt.decode(token, options={"verify_signature": False}) for token in self.tokens]


def validate(token: str, jwks: dict, *, issuer: str, audience: str) -> dict:
    """Validate a Logout Token as a relying party must (Back-Channel Logout 2.6)."""
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "logout+jwt"
    key = next(k for k in jwt.PyJWKSet.from_dict(jwks).keys if k.key_id == header["kid"])
    claims = jwt.decode(
        token,
        key,
        algorithms=[key.algorithm_name],
        audience=audience,
        issuer=issuer,
        options={"require": ["iss", "aud", "iat", "exp", "jti", "events"]},
    )
    assert claims["events"] == {"http://schemas.openid.net/event/backchannel-logout": {}}
    assert "sub" in claims or "sid" in claims
    assert "nonce" not in claims
    return claims
