"""The guards of oauthcore.fetch, each tried by a client_id URL an attacker chooses.

An attacker who may name any URL as its client_id would have the server fetch internal
addresses (cloud metadata at 169.254.169.254, admin ports on loopback), follow a redirect there,
hold a worker with a slow or endless answer, or hammer a third party. Each attempt goes through
/authorize (or ``fetch.Fetcher`` for what needs a chosen DNS answer) and is shown to fail,
mostly before any connection: the local server records every request it gets.
"""

import datetime
import ipaddress
import socket
import ssl
import time
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.urls import reverse

from oauthcore import fetch
from oauthcore.models import Client
from oauthcore.resource_server import jwks_client
from oauthcore.server import pkce
from tests.document_server import DocumentServer
from tests.factories import UNREACHABLE_REDIS, VERIFIER

pytestmark = pytest.mark.django_db


@pytest.fixture
def configure(settings):
    def apply(**overrides):
        settings.OAUTHCORE = {
            **settings.OAUTHCORE,
            "CLIENT_ID_METADATA_DOCUMENTS": True,
            "FETCH_ALLOW_LOOPBACK": False,
            **overrides,
        }

    apply()
    return apply


@pytest.fixture
def server():
    started = DocumentServer()
    yield started
    started.close()


def attempt(http, user, client_id):
    http.force_login(user)
    query = {
        "response_type": "code",
        "client_id": client_id,
        "scope": "read:profile",
        "state": "s",
        "code_challenge": pkce.s256(VERIFIER),
        "code_challenge_method": "S256",
    }
    return http.get(reverse("oauthcore:authorize") + "?" + urlencode(query))


def refused(response, text):
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Location" not in response
    assert text in response.content.decode()


# --- addresses -------------------------------------------------------------------------------


def test_loopback_is_refused_unless_allowed(client, user, configure, server):
    url = server.document()  # http://127.0.0.1:port/client.json
    refused(attempt(client, user, url), "Unknown or inactive client.")  # http: not a document
    https = url.replace("http://", "https://")
    refused(attempt(client, user, https), "non-public address")
    refused(attempt(client, user, https.replace("127.0.0.1", "localhost")), "non-public address")
    assert server.requests == []  # refused before any connection
    assert not Client.objects.exists()


@pytest.mark.parametrize(
    "host",
    [
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud instance metadata
        "100.64.0.1",  # shared address space (carrier-grade NAT)
        "0.0.0.0",
        "127.0.0.2",
        "224.0.0.1",
        "240.0.0.1",
        "[::1]",
        "[::]",
        "[fe80::1]",
        "[fc00::1]",
        "[ff02::1]",
        "[::ffff:127.0.0.1]",  # IPv4-mapped
        "[::ffff:169.254.169.254]",
        "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
        "[2002:a00:1::]",  # 6to4 of 10.0.0.1
        "[2001:0:4136:e378:8000:63bf:f5ff:fffe]",  # Teredo of 10.0.0.1
    ],
)
def test_special_addresses_are_refused_before_any_connection(client, user, configure, host):
    started = time.monotonic()
    refused(attempt(client, user, f"https://{host}/client.json"), "non-public address")
    assert time.monotonic() - started < 1  # no connection was even tried


class Resolver(fetch.Fetcher):
    """A fetcher whose DNS answers are the test's, counting the questions."""

    def __init__(self, *answers, **kwargs):
        super().__init__(**kwargs)
        self.answers, self.questions = list(answers), 0

    def resolve(self, host, port):
        self.questions += 1
        return self.answers[min(self.questions, len(self.answers)) - 1]


@pytest.mark.parametrize(
    "addresses",
    [["10.1.2.3"], ["93.184.216.34", "169.254.169.254"], ["2606:2800:220:1::", "fd00::1"]],
)
def test_a_name_resolving_to_any_private_address_is_refused(configure, addresses):
    with pytest.raises(fetch.FetchError, match="non-public address"):
        Resolver(addresses).get("https://looks-public.example/client.json")


def test_public_addresses_pass_the_check():
    for raw in ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:93.184.216.34"]:
        assert fetch.is_public(ipaddress.ip_address(raw))


# --- pinning: the connection goes to the vetted address, TLS checks the name ---------------


def self_signed(name, folder):
    """Return (server TLS context, client TLS context trusting it) for ``name``."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (folder / "cert.pem").write_bytes(pem)
    (folder / "key.pem").write_bytes(key_pem)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    client = ssl.create_default_context(cadata=pem.decode())
    return server, client


class Pinned(Resolver):
    def __init__(self, *answers, trust, **kwargs):
        super().__init__(*answers, **kwargs)
        self.trust = trust

    def tls_context(self):
        return self.trust


@pytest.fixture
def tls_server(tmp_path):
    server_context, client_context = self_signed("docs.pinned.test", tmp_path)
    started = DocumentServer(tls=server_context)
    started.trust = client_context
    yield started
    started.close()


def test_the_connection_goes_to_the_vetted_address_despite_rebinding(configure, tls_server):
    configure(FETCH_ALLOW_LOOPBACK=True)  # the test's server is on loopback
    tls_server.serve("/client.json", b"{}")
    # First answer vetted; a rebinding DNS would answer something else the next time.
    fetcher = Pinned(["127.0.0.1"], ["10.9.9.9"], trust=tls_server.trust)
    url = f"https://docs.pinned.test:{tls_server.port}/client.json"
    assert fetcher.get(url).body == b"{}"  # the name itself resolves nowhere: pinned
    assert fetcher.questions == 1
    assert tls_server.requests == [("/client.json", f"docs.pinned.test:{tls_server.port}")]


def test_tls_certificate_is_checked_against_the_host_name(configure, tls_server):
    configure(FETCH_ALLOW_LOOPBACK=True)
    tls_server.serve("/client.json", b"{}")
    fetcher = Pinned(["127.0.0.1"], trust=tls_server.trust)
    with pytest.raises(fetch.FetchError, match="SSLCertVerificationError"):
        fetcher.get(f"https://other.pinned.test:{tls_server.port}/client.json")
    untrusting = Pinned(["127.0.0.1"], trust=ssl.create_default_context())
    with pytest.raises(fetch.FetchError, match="SSLCertVerificationError"):
        untrusting.get(f"https://docs.pinned.test:{tls_server.port}/client.json")


# --- redirects, size, time ----------------------------------------------------------------


def test_a_redirect_is_not_followed(client, user, configure, server):
    configure(FETCH_ALLOW_LOOPBACK=True)
    target = server.document()
    moved = server.serve("/moved", b"", status=302, headers={"Location": target})
    refused(attempt(client, user, moved), "answered 302")
    assert server.paths() == ["/moved"]  # the target received nothing


@pytest.mark.parametrize("length", [True, False])
def test_an_oversized_document_is_refused(client, user, configure, server, length):
    configure(FETCH_ALLOW_LOOPBACK=True, FETCH_MAX_BYTES=2000)
    url = server.document(padding="x" * 5000)
    server.answers["/client.json"].length = length  # without Content-Length: cut while reading
    refused(attempt(client, user, url), "larger than 2000 bytes")


@pytest.mark.parametrize(("delay", "drip"), [(3.0, 0.0), (0.0, 0.05)])
def test_a_slow_server_hits_the_time_limit(client, user, configure, server, delay, drip):
    configure(FETCH_ALLOW_LOOPBACK=True, FETCH_TIMEOUT=datetime.timedelta(seconds=0.5))
    url = server.document()
    answer = server.answers["/client.json"]
    answer.delay, answer.drip = delay, drip  # silent, or one byte every 50 ms (slowloris)
    started = time.monotonic()
    refused(attempt(client, user, url), "took too long")
    assert time.monotonic() - started < 1.5


# --- rate limit and host policy -----------------------------------------------------------


def test_per_host_rate_limit(client, user, configure, server):
    configure(FETCH_ALLOW_LOOPBACK=True, FETCH_HOST_RATE_LIMIT=2)
    urls = [server.document(f"/client-{n}.json") for n in range(3)]
    assert attempt(client, user, urls[0]).status_code == HTTPStatus.OK
    assert attempt(client, user, urls[1]).status_code == HTTPStatus.OK
    refused(attempt(client, user, urls[2]), "Too many fetches from 127.0.0.1")
    assert server.paths() == ["/client-0.json", "/client-1.json"]


@pytest.mark.parametrize(
    ("allowed", "denied", "ok"),
    [
        ([], ["127.0.0.1"], False),
        ([".example.com"], [], False),
        (["127.0.0.1"], [], True),
        (["127.0.0.1"], ["127.0.0.1"], False),  # denied wins
    ],
)
def test_allow_and_deny_lists(client, user, configure, server, allowed, denied, ok):
    configure(
        FETCH_ALLOW_LOOPBACK=True,
        CLIENT_METADATA_ALLOWED_HOSTS=allowed,
        CLIENT_METADATA_DENIED_HOSTS=denied,
    )
    response = attempt(client, user, server.document())
    if ok:
        assert response.status_code == HTTPStatus.OK
    else:
        refused(response, "are not accepted here")
        assert server.requests == []


def test_a_denied_host_is_refused_even_once_stored(client, user, configure, server):
    configure(FETCH_ALLOW_LOOPBACK=True)
    url = server.document(headers={"Cache-Control": "max-age=3600"})
    assert attempt(client, user, url).status_code == HTTPStatus.OK
    configure(FETCH_ALLOW_LOOPBACK=True, CLIENT_METADATA_DENIED_HOSTS=["127.0.0.1"])
    refused(attempt(client, user, url), "are not accepted here")


def test_the_servers_own_origin_is_never_fetched(client, user, configure, server):
    configure(FETCH_ALLOW_LOOPBACK=True, ISSUER=server.url(""))
    refused(attempt(client, user, server.document()), "must not point at this server")
    assert server.requests == []


@pytest.mark.parametrize(
    "client_id",
    [
        "https://user:pw@docs.example/client.json",
        "https://docs.example",  # no path
        "https://docs.example/a/../client.json",
        "https://docs.example/a/%2e%2e/client.json",
        "https://docs.example/client.json#x",
        "ftp://docs.example/client.json",
    ],
)
def test_malformed_client_id_urls_are_not_documents(client, user, configure, client_id):
    refused(attempt(client, user, client_id), "Unknown or inactive client.")


def test_no_fetch_when_the_rate_cannot_be_counted(client, user, configure, server, settings):
    configure(FETCH_ALLOW_LOOPBACK=True)
    url = server.document()
    settings.CACHES = UNREACHABLE_REDIS
    refused(attempt(client, user, url), "the cache is unreachable")  # closed, never a 500
    assert server.requests == []


# --- operator-configured URLs (JWKS_URL) --------------------------------------------------


def test_operator_urls_may_be_private_but_still_get_no_redirect(configure, server):
    url = server.serve("/jwks.json", b'{"keys": []}')  # loopback, FETCH_ALLOW_LOOPBACK off
    assert fetch.get(url, operator=True).body == b'{"keys": []}'
    moved = server.serve("/moved", b"", status=301, headers={"Location": url})
    with pytest.raises(fetch.FetchError, match="answered 301"):
        fetch.get(moved, operator=True)
    with pytest.raises(fetch.FetchError, match="Only https"):
        fetch.get(url.replace("127.0.0.1", "0.0.0.0"), operator=True)  # http off loopback
    assert server.paths() == ["/jwks.json", "/moved"]


def test_a_deeply_nested_jwks_is_a_fetch_error_not_a_crash(configure, server):
    url = server.serve("/jwks.json", b"[" * 60000)
    with pytest.raises(fetch.FetchError, match="not JSON"):
        jwks_client.fetch(url, timeout=2)


def test_a_tls_server_that_never_answers_hits_the_time_limit(configure):
    configure(FETCH_ALLOW_LOOPBACK=True, FETCH_TIMEOUT=datetime.timedelta(seconds=0.5))
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never speaks
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(fetch.FetchError, match="took too long"):
            Resolver(["127.0.0.1"]).get(f"https://silent.test:{port}/client.json")
        assert time.monotonic() - started < 1.5
