"""A client ID metadata document, end to end with the official MCP SDK's own OAuth client.

The SDK's client, given ``client_metadata_url``, uses that URL as its client_id when the
authorization server's metadata says ``client_id_metadata_document_supported`` (draft-ietf-oauth-
client-id-metadata-document; MCP authorization). It insists on https, so the test makes a CA and a
certificate for 127.0.0.1 and localhost with ``cryptography``, serves the document over https from
a thread, and starts the example project with ``SSL_CERT_FILE`` naming that CA: OpenSSL's default
verify paths (``ssl.create_default_context()``, used by ``oauthcore.fetch``) honour it, so the
server trusts the document's host as it would a public one. ``DEBUG`` on lets it fetch from this
machine (``FETCH_ALLOW_LOOPBACK``).
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import subprocess
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.live_stack import ROOT
from tests.mcp_kit import (
    SCOPES,
    TIMEOUT,
    UNVERIFIED,
    MemoryStorage,
    ScriptedUser,
    assert_authorization_request,
    assert_bound_to_the_mcp_server,
    assert_discovery_chain,
    assert_tools_answer_for_alice,
    connect,
    metadata,
    start_site,
)

pytestmark = [pytest.mark.live, pytest.mark.slow]
NAME = "Document Desktop"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """Write a test CA, and a certificate it signs for 127.0.0.1 and localhost, with its key.

    Return (CA certificate, server certificate, server key) file paths.
    """
    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("oauthcore test CA"))
        .issuer_name(_name("oauthcore test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "server.pem", directory / "server-key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


class DocumentServer:
    """An https server in a thread: serves ``documents`` (path → JSON), counts each GET."""

    def __init__(self, certificate: Path, key: Path) -> None:
        self.documents: dict[str, dict] = {}
        self.fetches: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.fetches.append(self.path)
                document = owner.documents.get(self.path)
                if document is None:
                    self.send_error(HTTPStatus.NOT_FOUND)
                    return
                body = json.dumps(document).encode()
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "max-age=3600")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate, key)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.origin = f"https://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("certificates"))


@pytest.fixture(scope="module")
def documents(certificates):
    server = DocumentServer(certificates[1], certificates[2])
    yield server
    server.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory, certificates):
    """The example project under uvicorn, accepting metadata documents, trusting the test CA."""
    env = {
        "OAUTHCORE_CLIENT_ID_METADATA_DOCUMENTS": "true",
        "OAUTHCORE_REGISTRATION": "off",
        "DEBUG": "true",
        "SSL_CERT_FILE": str(certificates[0]),
    }
    stack = start_site(tmp_path_factory.mktemp("mcp-documents"), "mcp-documents", **env)
    yield stack
    stack.stop()
    stack.drop()


def document(url: str, site, **members) -> dict:
    return {
        "client_id": url,
        "client_name": NAME,
        "redirect_uris": [site.redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "application_type": "native",
        **members,
    }


def test_the_guarded_fetch_trusts_the_ca_that_ssl_cert_file_names(certificates, documents):
    """oauthcore.fetch's TLS context (ssl.create_default_context()) honours SSL_CERT_FILE."""
    documents.documents["/probe.json"] = {"probe": True}
    code = (
        "import sys, django; django.setup(); from oauthcore import fetch\n"
        "try: print(fetch.get(sys.argv[1]).body.decode())\n"
        "except fetch.FetchError as e: print(e.reason)"
    )
    argv = [sys.executable, "-c", code, f"{documents.origin}/probe.json"]
    env = {"DJANGO_SETTINGS_MODULE": "example_project.settings", "DEBUG": "true"}

    def probe(**extra: str) -> str:
        done = subprocess.run(
            argv, cwd=ROOT, env=env | extra, capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 0, done.stderr[-1000:]
        return done.stdout.strip()

    assert json.loads(probe(SSL_CERT_FILE=str(certificates[0]))) == {"probe": True}
    assert "SSLCertVerificationError" in probe()  # the system's CAs alone do not trust it
    assert documents.fetches.count("/probe.json") == 1


def test_a_client_named_by_its_metadata_document_connects_and_calls_the_tools(site, documents):
    path = "/clients/desktop.json"
    url = f"{documents.origin}{path}"
    documents.documents[path] = document(url, site)
    assert metadata(site)["client_id_metadata_document_supported"] is True

    storage = MemoryStorage()
    results, user, seen = connect(site, storage, client_metadata_url=url)

    assert_tools_answer_for_alice(results)
    assert_discovery_chain(site, seen, registration=False)
    assert_authorization_request(site, user, url)
    assert storage.client_info.client_id == url
    beside = (
        '<span class="oauthcore-client">{}</span> (<span class="oauthcore-client-host">{}</span>)'
    )
    assert beside.format(NAME, "127.0.0.1") in user.consent_page  # its name, beside its host
    assert UNVERIFIED in user.consent_page  # its name is the one its document chose
    token = storage.tokens.access_token
    assert jwt.decode(token, options={"verify_signature": False})["client_id"] == url
    assert_bound_to_the_mcp_server(site, token)
    assert documents.fetches.count(path) == 1  # stored by /authorize, used by /token


def test_a_document_naming_another_client_id_is_refused_without_a_redirect(site, documents):
    path = "/clients/impostor.json"
    url = f"{documents.origin}{path}"
    documents.documents[path] = document(url, site, client_id=f"{documents.origin}/clients/x.json")
    query = {
        "response_type": "code",
        "client_id": url,
        "redirect_uri": site.redirect_uri,
        "scope": SCOPES,
        "state": "s1",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        "resource": f"{site.issuer}/mcp",
    }
    agent = ScriptedUser(site).sign_in()
    refused = agent.get(
        f"{site.issuer}/oauth/authorize/?{urlencode(query)}", allow_redirects=False, timeout=TIMEOUT
    )
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "Location" not in refused.headers
    assert "client_id member is not the URL" in refused.text
    assert documents.fetches.count(path) == 1
    assert "Allow" not in refused.text
