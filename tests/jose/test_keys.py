"""Signing keys: `rotatekeys`, the JWKS across a rotation, keys from settings, untrusted keys."""

import json
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from oauthcore import errors
from oauthcore.jose import keyring, keys
from oauthcore.models import SigningKey
from oauthcore.resource_server import access_tokens
from oauthcore.server import issuance

pytestmark = pytest.mark.django_db


def issue_directly(client_app, user):
    return issuance.issue(client=client_app, scope=["read:profile"], user=user)


def published_kids(client):
    return [jwk["kid"] for jwk in client.get(reverse("oauthcore:jwks")).json()["keys"]]


def rotatekeys(capsys, *args):
    call_command("rotatekeys", "--json", *args)
    return json.loads(capsys.readouterr().out)


def test_rotation_signs_with_new_key_and_publishes_old_until_it_expires(
    client, client_app, user, capsys
):
    old_token = issue_directly(client_app, user)
    old_kid = jwt.get_unverified_header(old_token.value)["kid"]

    rotated = rotatekeys(capsys)
    assert rotated["state"] == "active"
    assert rotated["kid"] != old_kid
    new_token = issue_directly(client_app, user)
    assert jwt.get_unverified_header(new_token.value)["kid"] == rotated["kid"]
    assert published_kids(client) == [rotated["kid"], old_kid]  # the signing key first
    assert access_tokens.decode(old_token.value).jti == old_token.jti
    assert access_tokens.decode(new_token.value).jti == new_token.jti

    retired = SigningKey.objects.get(kid=old_kid)
    assert retired.state == "retired"
    # It stays published as long as a token it signed can live, plus the clock skew.
    assert retired.expires_at >= old_token.expires_at
    retired.expires_at = timezone.now() - timedelta(seconds=1)
    retired.save()
    keyring.forget()
    assert published_kids(client) == [rotated["kid"]]
    with pytest.raises(errors.InvalidToken, match="unknown key"):
        access_tokens.decode(old_token.value)


@pytest.mark.parametrize("alg, kty", [("ES256", "EC"), ("EdDSA", "OKP"), ("PS256", "RSA")])
def test_rotatekeys_alg(client, client_app, user, capsys, alg, kty):
    rotated = rotatekeys(capsys, "--alg", alg)
    assert rotated["algorithm"] == alg
    token = issue_directly(client_app, user)
    header = jwt.get_unverified_header(token.value)
    assert (header["alg"], header["kid"], header["typ"]) == (alg, rotated["kid"], "at+jwt")
    assert access_tokens.decode(token.value).subject
    jwk = client.get(reverse("oauthcore:jwks")).json()["keys"][0]
    assert (jwk["kid"], jwk["alg"], jwk["kty"]) == (rotated["kid"], alg, kty)


def test_rotatekeys_rejects_unknown_alg():
    with pytest.raises(CommandError):
        call_command("rotatekeys", "--alg", "HS256")


def test_staged_key_is_published_but_signs_only_after_the_next_rotation(
    client, client_app, user, capsys
):
    current = keyring.signing_key().kid
    staged = rotatekeys(capsys, "--stage", "--alg", "ES256")
    assert staged["state"] == "next"
    assert set(published_kids(client)) == {current, staged["kid"]}
    assert published_kids(client)[0] == current
    assert jwt.get_unverified_header(issue_directly(client_app, user).value)["kid"] == current

    rotated = rotatekeys(capsys)
    assert rotated["kid"] == staged["kid"]
    token = issue_directly(client_app, user)
    assert jwt.get_unverified_header(token.value)["kid"] == staged["kid"]
    assert set(published_kids(client)) == {current, staged["kid"]}


def pem(algorithm):
    return keys.private_pem(keys.generate_private_key(algorithm))


@pytest.fixture
def pem_settings(settings, tmp_path):
    """Two keys from settings: an EC key as a PEM string, an RSA key in a file."""
    key_file = tmp_path / "rsa.pem"
    key_file.write_text(pem("RS256"))
    ec_pem = pem("ES256")
    specs = [{"private_key": ec_pem, "kid": "ec-1"}, {"private_key_file": str(key_file)}]
    settings.OAUTHCORE = {**settings.OAUTHCORE, "SIGNING_KEYS": specs}
    return settings, specs


def test_keys_from_pem_settings_sign_and_are_published(client, client_app, user, pem_settings):
    settings, specs = pem_settings
    file_kid = keys.from_pem(Path(specs[1]["private_key_file"]).read_text()).kid
    token = issue_directly(client_app, user)
    header = jwt.get_unverified_header(token.value)
    assert (header["kid"], header["alg"]) == ("ec-1", "ES256")
    assert published_kids(client) == ["ec-1", file_kid]
    assert access_tokens.decode(token.value).jti == token.jti
    assert not SigningKey.objects.exists()  # nothing comes from the database

    # The file key signs once it is listed first; the EC key's tokens stay valid meanwhile.
    settings.OAUTHCORE = {**settings.OAUTHCORE, "SIGNING_KEYS": [specs[1], specs[0]]}
    token_2 = issue_directly(client_app, user)
    assert jwt.get_unverified_header(token_2.value)["kid"] == file_kid
    assert access_tokens.decode(token.value).jti == token.jti
    assert access_tokens.decode(token_2.value).jti == token_2.jti


def test_rotatekeys_refuses_when_keys_come_from_settings(pem_settings):
    with pytest.raises(CommandError, match="rotate them there"):
        call_command("rotatekeys")


def test_hs256_secret_signs_and_is_not_published(client, client_app, user, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "HS256_SECRET": "k" * 40}
    token = issue_directly(client_app, user)
    assert jwt.get_unverified_header(token.value)["alg"] == "HS256"
    assert access_tokens.decode(token.value).jti == token.jti
    assert published_kids(client) == []
    assert "k" * 40 not in client.get(reverse("oauthcore:jwks")).content.decode()


def test_token_of_a_key_no_longer_trusted_fails(client_app, user, settings, pem_settings):
    token = issue_directly(client_app, user)
    settings.OAUTHCORE = {**settings.OAUTHCORE, "SIGNING_KEYS": [{"private_key": pem("RS256")}]}
    with pytest.raises(errors.InvalidToken, match="unknown key"):
        access_tokens.decode(token.value)


def test_token_signed_by_a_stranger_with_our_kid_fails(client_app, user):
    genuine = issue_directly(client_app, user)
    header = jwt.get_unverified_header(genuine.value)
    stranger = keys.generate_private_key("RS256")
    forged = jwt.encode(genuine.claims, stranger, algorithm="RS256", headers=header)
    with pytest.raises(errors.InvalidToken, match="signature"):
        access_tokens.decode(forged)


def test_hs256_token_is_refused_when_the_server_signs_with_rsa(client_app, user, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "HS256_SECRET": "k" * 40}
    hs_token = issue_directly(client_app, user)
    settings.OAUTHCORE = {k: v for k, v in settings.OAUTHCORE.items() if k != "HS256_SECRET"}
    with pytest.raises(errors.InvalidToken):
        access_tokens.decode(hs_token.value)
