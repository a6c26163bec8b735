"""System checks: each id appears for its misconfiguration and only then."""

from datetime import timedelta

import pytest
from django.core.checks import run_checks
from django.core.management import call_command

from oauthcore.jose import keyring
from oauthcore.models import Client, SigningKey
from tests import factories

pytestmark = pytest.mark.django_db


def oauthcore_ids(**kwargs):
    messages = run_checks(databases=["default"], **kwargs)
    return sorted({m.id for m in messages if m.id and m.id.startswith("oauthcore.")})


@pytest.fixture
def configure(settings):
    # The test issuer http://testserver is not a loopback host: checks would flag it (E003).
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ISSUER": "https://auth.example.com"}
    keyring.signing_key()  # a stored active key, so W002 stays quiet unless a test removes it

    def apply(**changes):
        settings.OAUTHCORE = {**settings.OAUTHCORE, **changes}

    return apply


def test_a_correct_configuration_has_no_findings(configure, client_app):
    assert oauthcore_ids() == []
    call_command("check", "--database", "default", "--fail-level", "WARNING")


CASES = {
    "E001": {"NOT_A_SETTING": 1},
    "E002": {"ACCESS_TOKEN_LIFETIME": 900},
    "E004": {"HS256_SECRET": "short"},
    "E005": {"SIGNING_ALGORITHM": "HS256"},
    "E006": {"SIGNING_ALGORITHM": "none"},
    "E007": {"SIGNING_KEYS": [{"kid": "no-key-material"}]},
    "E008": {"ADAPTER": "oauthcore.adapter.DoesNotExist"},
    "E009": {"SCOPES": {"read profile": "has a space", "ok": "fine"}},
    "E014": {"REGISTRATION": "on"},
}


@pytest.mark.parametrize("check_id, changes", CASES.items(), ids=CASES.keys())
def test_each_misconfiguration_has_its_id(configure, check_id, changes):
    configure(**changes)
    assert oauthcore_ids() == [f"oauthcore.{check_id}"]


@pytest.mark.parametrize(
    "issuer",
    [
        "http://auth.example.com",  # plain http off loopback
        "https://auth.example.com/",  # trailing slash
        "https://auth.example.com?tenant=1",
        "https://auth.example.com#x",
        "ftp://auth.example.com",
        "",
    ],
)
def test_bad_issuer_is_e003(configure, issuer):
    configure(ISSUER=issuer)
    assert oauthcore_ids() == ["oauthcore.E003"]


@pytest.mark.parametrize(
    "issuer",
    [
        "https://auth.example.com",
        "https://auth.example.com/tenant",
        "http://127.0.0.1:8000",
        "http://localhost:8000",
        "http://[::1]:8000",
    ],
)
def test_good_issuers_pass(configure, issuer):
    configure(ISSUER=issuer)
    assert oauthcore_ids() == []


def test_good_hs256_secret_passes(configure):
    configure(HS256_SECRET="s" * 32, SIGNING_ALGORITHM="HS256")
    assert oauthcore_ids() == []


def test_valid_lifetimes_pass(configure):
    configure(ACCESS_TOKEN_LIFETIME=timedelta(minutes=5), REFRESH_TOKEN_IDLE_TIMEOUT=None)
    assert oauthcore_ids() == []


def test_client_with_unregistered_scope_is_w001(configure):
    factories.ClientFactory(allowed_scopes=["read:profile", "retired:scope"])
    assert oauthcore_ids() == ["oauthcore.W001"]
    Client.objects.update(is_active=False)  # inactive clients are not reported
    assert oauthcore_ids() == []


def test_database_checks_run_only_with_a_database(configure):
    factories.ClientFactory(allowed_scopes=["retired:scope"])
    messages = run_checks()
    assert not [m for m in messages if m.id == "oauthcore.W001"]


def test_no_active_key_is_w002(configure, settings):
    SigningKey.objects.all().delete()
    assert oauthcore_ids() == ["oauthcore.W002"]
    settings.DEBUG = True
    assert oauthcore_ids() == []
    settings.DEBUG = False
    configure(HS256_SECRET="s" * 40)
    assert oauthcore_ids() == []


def test_every_setting_is_documented():
    from pathlib import Path

    from oauthcore.conf import DEFAULTS

    doc = (Path(__file__).resolve().parents[2] / "docs" / "settings.md").read_text()
    assert [name for name in DEFAULTS if f"| `{name}` |" not in doc] == []


@pytest.mark.parametrize(
    "changes",
    [
        {"TRUSTED_PROXIES": ["10.0.0.0/33"]},
        {"TRUSTED_PROXIES": ["10.0.0.1", "proxy.internal"]},
        {"TRUSTED_PROXIES": "10.0.0.0/8"},  # a string, not a list
        {"TRUSTED_PROXY_HEADER": None},
    ],
)
def test_invalid_trusted_proxies_are_e010(configure, changes):
    configure(**changes)
    assert oauthcore_ids() == ["oauthcore.E010"]


def test_trusted_proxies_may_be_addresses_or_networks(configure):
    configure(TRUSTED_PROXIES=["127.0.0.1", "10.0.0.0/8", "2001:db8::/32", "::1"])
    assert oauthcore_ids() == []


@pytest.mark.parametrize("policy", ["off", "open", "token"])
def test_each_registration_policy_passes(configure, policy):
    configure(REGISTRATION=policy)
    assert oauthcore_ids() == []
