"""A small HTTP server on 127.0.0.1 (port 0) that serves what a test tells it, and records every
request it receives: client ID metadata documents, redirects, huge or slow answers."""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    """What the server answers on one path."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the answer
    drip: float = 0.0  # seconds between each byte of the body (a slow server)
    length: bool = True  # send Content-Length
    before: Callable[[], None] | None = None  # run in the server's thread before answering


class DocumentServer:
    """Serve ``answers[path]`` (404 elsewhere); ``requests`` lists (path, Host header)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.answers: dict[str, Answer] = {}
        self.requests: list[tuple[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                server.requests.append((self.path, self.headers.get("Host", "")))
                server.answer(self, server.answers.get(self.path, Answer(b"", 404)))

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_port
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def serve(self, path: str, body: bytes | dict, **options) -> str:
        """Answer GET ``path`` with ``body`` (a dict is sent as JSON); return its URL."""
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        headers = {"Content-Type": "application/json", **options.pop("headers", {})}
        self.answers[path] = Answer(raw, headers=headers, **options)
        return self.url(path)

    def document(self, path: str = "/client.json", *, headers=None, **members) -> str:
        """Serve a valid client ID metadata document at ``path``; ``members`` override it (None
        drops one); ``headers`` are sent with it."""
        url = self.url(path)
        document = {
            "client_id": url,
            "client_name": "Doc App",
            "redirect_uris": ["https://doc-app.example/callback"],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none",
            **members,
        }
        document = {name: value for name, value in document.items() if value is not None}
        self.serve(path, document, headers=headers or {})
        return url

    @staticmethod
    def answer(handler: BaseHTTPRequestHandler, answer: Answer) -> None:
        time.sleep(answer.delay)
        if answer.before is not None:
            answer.before()
        try:
            handler.send_response(answer.status)
            for name, value in answer.headers.items():
                handler.send_header(name, value)
            if answer.length:
                handler.send_header("Content-Length", str(len(answer.body)))
            else:
                handler.send_header("Connection", "close")
            handler.end_headers()
            if answer.drip:
                for byte in answer.body:
                    handler.wfile.write(bytes([byte]))
                    handler.wfile.flush()
                    time.sleep(answer.drip)
            else:
                handler.wfile.write(answer.body)
            if not answer.length:
                handler.close_connection = True
        except OSError:
            pass  # the fetcher hung up: that is what some tests want

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
