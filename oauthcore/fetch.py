"""The one guarded client for outbound HTTP: GETs of JWKS URLs and client metadata documents,
POSTs of a form (``post_form``: back-channel logout tokens), ...

A URL a client chose (``get(url)``) is fetched only over https (plain http only to a loopback
host when ``FETCH_ALLOW_LOOPBACK`` is on), only when every address its name resolves to is public
(``is_global``; IPv4-mapped, 6to4, Teredo and NAT64 forms are judged by the IPv4 address they
carry), and the connection goes to the address that was checked: a DNS answer that changes
between the check and the connection (rebinding) cannot move it. TLS still verifies the
certificate for the host name (SNI is the name). No redirect is ever followed; the whole fetch
has one deadline (``FETCH_TIMEOUT``) and its body a size limit (``FETCH_MAX_BYTES``) read
incrementally; each host is fetched at most ``FETCH_HOST_RATE_LIMIT`` times a minute, counted in
Django's cache so all worker processes share the count.

A URL the operator configured (``get(url, operator=True)``: the resource server's JWKS_URL) may
be https anywhere or http on a loopback host, private addresses included; it still gets no
redirects and the time and size limits. Every failure raises ``FetchError`` with its reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import urlencode, urlsplit

from django.core.cache import cache

from oauthcore.conf import oauth_settings
from oauthcore.hosts import is_loopback_host, is_secure_url

CHUNK = 8192
NAT64 = ipaddress.ip_network("64:ff9b::/96")
RATE_PREFIX = "oauthcore:fetch:host:"
USER_AGENT = "oauthcore"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(Exception):
    """A fetch was refused or failed; ``reason`` says why, for logs and error descriptions."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Response:
    """A 200 response read within the limits."""

    url: str
    body: bytes
    headers: Message = field(repr=False)


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64), if any."""
    if address.version == 4:
        return None
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: Address, *, allow_loopback: bool = False) -> bool:
    """Tell whether ``address`` may be fetched: globally reachable, or loopback when allowed."""
    inner = embedded_ipv4(address)
    if inner is not None:  # the IPv4 address it reaches decides
        return is_public(inner, allow_loopback=allow_loopback)
    if allow_loopback and address.is_loopback:
        return True
    special = (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )
    return address.is_global and not special


def check_url(url: str, *, operator: bool = False) -> tuple[str, int, str]:
    """Return (scheme, port, host) of a URL that may be fetched, else raise ``FetchError``."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as e:
        raise FetchError("The URL is malformed.") from e
    if not host or parts.username is not None or parts.password is not None:
        raise FetchError("The URL needs a host and no user name or password.")
    if operator:
        secure = is_secure_url(url)
    else:
        loopback = oauth_settings.FETCH_ALLOW_LOOPBACK and is_loopback_host(host)
        secure = parts.scheme == "https" or (parts.scheme == "http" and loopback)
    if not secure:
        raise FetchError("Only https URLs are fetched (plain http only on a loopback host).")
    return parts.scheme, port or (443 if parts.scheme == "https" else 80), host


class _Pinned(http.client.HTTPConnection):
    """An HTTP connection to vetted addresses only, whatever the host name resolves to now."""

    def __init__(self, host: str, port: int, *, addresses: list[str], deadline: float) -> None:
        super().__init__(host, port, timeout=max(deadline - time.monotonic(), 0.001))
        self.addresses, self.deadline = addresses, deadline
        self.socket: socket.socket | None = None  # kept after http.client lets go of it

    def connect(self) -> None:
        error: OSError | None = None
        for address in self.addresses:  # in the resolver's order, as create_connection does
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                self.sock = self.socket = socket.create_connection((address, self.port), remaining)
                return
            except OSError as e:
                error = e
        raise error or TimeoutError("no address answered in time")


class _PinnedTLS(_Pinned):
    """The same over TLS: the certificate is verified for the host name, sent as SNI."""

    default_port = http.client.HTTPS_PORT

    def __init__(self, host: str, port: int, *, context: ssl.SSLContext, **kwargs) -> None:
        super().__init__(host, port, **kwargs)
        self.context = context

    def connect(self) -> None:
        super().connect()
        self.sock = self.socket = self.context.wrap_socket(
            self.sock, server_hostname=self.host, do_handshake_on_connect=False
        )
        self.sock.do_handshake()  # after self.socket is set: the watchdog can cut it


class Fetcher:
    """One guarded GET. Subclass to change ``resolve`` (a seam for tests and custom DNS)."""

    def __init__(
        self,
        *,
        operator: bool = False,
        max_bytes: int | None = None,
        timeout: float | None = None,
    ) -> None:
        self.operator = operator
        self.max_bytes = max_bytes  # None: FETCH_MAX_BYTES
        self.timeout = timeout  # seconds; None: FETCH_TIMEOUT

    def resolve(self, host: str, port: int) -> list[str]:
        """Return every address ``host`` resolves to."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as e:
            raise FetchError(f"The host {host} cannot be resolved.") from e
        return list(dict.fromkeys(info[4][0] for info in infos))

    def tls_context(self) -> ssl.SSLContext:
        """Return the TLS settings: the system's trusted CAs, certificate and host name checked."""
        return ssl.create_default_context()

    def vet(self, host: str, port: int) -> list[str]:
        """Return the addresses to connect to, once every one is allowed."""
        addresses = self.resolve(host, port)
        if not addresses:
            raise FetchError(f"The host {host} has no address.")
        if not self.operator:
            allow = oauth_settings.FETCH_ALLOW_LOOPBACK
            for raw in addresses:
                address = ipaddress.ip_address(raw.split("%", 1)[0])
                if not is_public(address, allow_loopback=allow):
                    raise FetchError(f"The host {host} resolves to a non-public address.")
        return addresses

    def count(self, host: str, addresses: list[str]) -> None:
        """Count a fetch from ``host`` and from each of its addresses in this minute; refuse one
        over the limit of either: many names pointing at one address share its count."""
        limit = oauth_settings.FETCH_HOST_RATE_LIMIT
        if self.operator or not limit:
            return
        minute = int(time.time() // 60)
        for name in dict.fromkeys([host.lower(), *addresses]):  # an IP literal counts once
            digest = hashlib.sha256(name.encode()).hexdigest()[:32]
            if self._incr(f"{RATE_PREFIX}{digest}:{minute}") > limit:
                raise FetchError(f"Too many fetches from {host}; try again in a minute.")

    @staticmethod
    def _incr(key: str) -> int:
        try:
            cache.add(key, 0, timeout=120)
            try:
                return cache.incr(key)
            except ValueError:  # evicted meanwhile
                cache.add(key, 1, timeout=120)
                return 1
        except Exception as e:  # redis.ConnectionError, ...: fail closed, nobody is counted
            raise FetchError("Fetches cannot be counted now (the cache is unreachable).") from e

    def get(self, url: str, *, accept: str = "application/json") -> Response:
        """Fetch ``url`` within the guards; return a 200 response or raise ``FetchError``."""
        return self.send("GET", url, accept=accept)

    def post_form(self, url: str, data: dict[str, str], *, accept: str = "*/*") -> Response:
        """POST ``data`` form-encoded to ``url`` within the same guards; a 200 or 204 answer
        is returned, any other raises ``FetchError``."""
        body = urlencode(data).encode("ascii")
        return self.send("POST", url, accept=accept, body=body, ok=(200, 204))

    def send(
        self,
        method: str,
        url: str,
        *,
        accept: str,
        body: bytes | None = None,
        ok: tuple[int, ...] = (200,),
    ) -> Response:
        """Make one request within the guards; return an ``ok`` response or raise ``FetchError``."""
        scheme, port, host = check_url(url, operator=self.operator)
        addresses = self.vet(host, port)
        self.count(host, addresses)
        timeout = self.timeout or oauth_settings.FETCH_TIMEOUT.total_seconds()
        deadline = time.monotonic() + timeout
        if scheme == "https":
            connection = _PinnedTLS(
                host, port, addresses=addresses, deadline=deadline, context=self.tls_context()
            )
        else:
            connection = _Pinned(host, port, addresses=addresses, deadline=deadline)
        watchdog = threading.Timer(timeout, _abort, args=(connection,))
        watchdog.daemon = True
        watchdog.start()
        try:
            return self._exchange(connection, (method, url, body, ok), accept, deadline)
        except FetchError:
            raise
        except (OSError, http.client.HTTPException, ValueError) as e:
            if time.monotonic() >= deadline:
                raise FetchError("The fetch took too long.") from e
            raise FetchError(f"The fetch failed: {e.__class__.__name__}.") from e
        finally:
            watchdog.cancel()
            connection.close()

    def _exchange(self, connection, call: tuple, accept: str, deadline: float) -> Response:
        method, url, payload, ok = call
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {"Accept": accept, "User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        if payload is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, target, body=payload, headers=headers)
        sock = connection.socket
        response = connection.getresponse()
        if response.status not in ok:  # a redirect (3xx) is an answer like any other: refused
            expected = " or ".join(str(status) for status in ok)
            raise FetchError(f"The server answered {response.status}, not {expected}.")
        limit = self.max_bytes or oauth_settings.FETCH_MAX_BYTES
        length = response.getheader("Content-Length")
        if length and length.isdigit() and int(length) > limit:
            raise FetchError(f"The document is larger than {limit} bytes.")
        body = bytearray()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FetchError("The fetch took too long.")
            sock.settimeout(remaining)
            chunk = response.read1(CHUNK)
            if not chunk:
                break
            body += chunk
            if len(body) > limit:
                raise FetchError(f"The document is larger than {limit} bytes.")
        if time.monotonic() >= deadline:
            raise FetchError("The fetch took too long.")
        return Response(url=url, body=bytes(body), headers=response.headers)


def _abort(connection: _Pinned) -> None:
    """Cut a connection at its deadline, whatever call is blocked on it."""
    sock = connection.socket
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def get(url: str, *, operator: bool = False, accept: str = "application/json") -> Response:
    """Fetch ``url`` through the guards (see the module docstring)."""
    return Fetcher(operator=operator).get(url, accept=accept)


def post_form(url: str, data: dict[str, str], *, timeout: float | None = None) -> Response:
    """POST ``data`` form-encoded to a URL a client chose, through the guards."""
    return Fetcher(timeout=timeout).post_form(url, data)
