"""createregistrationtoken, createclient --metadata (RFC 7591) and cleartokens' unused clients."""

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from oauthcore import crypto
from oauthcore.models import Client, InitialAccessToken
from tests import protocol

pytestmark = pytest.mark.django_db

WEB = "https://app.example.com/callback"


def run(capsys, *args) -> dict:
    call_command("createclient", *args, "--json")
    return json.loads(capsys.readouterr().out)


def metadata(**members) -> str:
    return json.dumps({"redirect_uris": [WEB], "client_name": "From JSON", **members})


# createregistrationtoken


def test_the_token_is_printed_once_and_stored_hashed(capsys):
    call_command("createregistrationtoken", "--uses", "3", "--expires-in", "3600")
    raw = capsys.readouterr().out.strip()
    token = InitialAccessToken.objects.get()
    assert token.token_hash == crypto.hash_token(raw) and raw not in token.token_hash
    assert token.remaining_uses == 3
    assert 3500 < (token.expires_at - timezone.now()).total_seconds() <= 3600
    assert InitialAccessToken.objects.usable().by_value(raw).exists()


def test_without_options_a_token_never_expires_and_has_no_limit(capsys):
    call_command("createregistrationtoken", "--description", "partner X")
    token = InitialAccessToken.objects.get()
    assert (token.expires_at, token.remaining_uses, str(token)) == (None, None, "partner X")


@pytest.mark.parametrize("args", [["--uses", "0"], ["--expires-in", "-5"]])
def test_nonsense_options_are_refused(args):
    with pytest.raises(CommandError):
        call_command("createregistrationtoken", *args)
    assert not InitialAccessToken.objects.exists()


# createclient --metadata


def test_metadata_is_validated_and_kept(capsys):
    document = metadata(logo_uri="https://app.example.com/logo.png", scope="read:profile")
    out = run(capsys, "--metadata", document)
    client = Client.objects.get(client_id=out["client_id"])
    assert client.check_secret(out["client_secret"])
    assert client.name == "From JSON" and client.redirect_uris == [WEB]
    assert client.grant_types == ["authorization_code"]  # the RFC 7591 default
    assert client.token_endpoint_auth_method == "client_secret_basic"
    assert client.metadata["logo_uri"] == "https://app.example.com/logo.png"
    assert client.origin == Client.Origin.STAFF


def test_flags_given_beside_the_metadata_win(capsys):
    out = run(
        capsys,
        "--metadata",
        metadata(client_name="JSON name", token_endpoint_auth_method="client_secret_post"),
        "--name",
        "Flag name",
        "--public",
        "--grant-types",
        "authorization_code",
        "refresh_token",
        "--scopes",
        "read:email",
    )
    client = Client.objects.get(client_id=out["client_id"])
    assert out["client_secret"] is None and client.is_public
    assert client.name == "Flag name" and client.allowed_scopes == ["read:email"]
    assert client.grant_types == ["authorization_code", "refresh_token"]


def test_staff_may_still_make_a_machine_client_from_metadata(capsys):
    document = json.dumps({"client_name": "Cron", "grant_types": ["client_credentials"]})
    out = run(capsys, "--metadata", document, "--scopes", "publish")
    assert out["grant_types"] == ["client_credentials"] and out["client_secret"]


@pytest.mark.parametrize(
    "document, message",
    [
        (metadata(token_endpoint_auth_method="private_key_jwt"), "needs the client's keys"),
        (
            metadata(token_endpoint_auth_method="private_key_jwt", jwks={"keys": [{"kty": "oct"}]}),
            "public keys only",
        ),
        (metadata(redirect_uris=["http://app.example.com/cb"]), "https"),
        (metadata(application_type="native", redirect_uris="x"), "array"),
        (metadata(response_types=["token"]), "response type"),
        ("{not json", "not a JSON object"),
        ("[1]", "JSON object"),
    ],
)
def test_metadata_is_refused_as_registration_refuses_it(document, message):
    with pytest.raises(CommandError) as raised:
        call_command("createclient", "--metadata", document)
    assert message in str(raised.value)
    assert not Client.objects.exists()


def test_without_metadata_name_and_grant_types_are_required():
    with pytest.raises(CommandError, match="--name and --grant-types"):
        call_command("createclient", "--name", "App")


# First use and cleartokens


def dynamic_client(client_factory, **fields):
    return client_factory(origin=Client.Origin.DYNAMIC, **fields)


def test_the_first_token_marks_a_self_registered_client_used_once(client, client_factory, user):
    app = dynamic_client(client_factory)
    protocol.tokens_for(client, app, user)
    first = Client.objects.get(pk=app.pk).first_used_at
    assert first is not None
    protocol.tokens_for(client, app, user)
    assert Client.objects.get(pk=app.pk).first_used_at == first


def test_a_staff_client_is_not_marked(client, client_app, user):
    protocol.tokens_for(client, client_app, user)
    assert Client.objects.get(pk=client_app.pk).first_used_at is None


def test_cleartokens_deletes_only_old_unused_self_registered_clients(client_factory, capsys):
    old = timezone.now() - timedelta(days=2)
    unused = dynamic_client(client_factory)
    used = dynamic_client(client_factory, first_used_at=old)
    young = dynamic_client(client_factory)
    staff = client_factory()
    Client.objects.exclude(pk=young.pk).update(created_at=old)
    call_command("cleartokens")
    assert "1 unused self-registered clients" in capsys.readouterr().out
    left = set(Client.objects.values_list("pk", flat=True))
    assert left == {used.pk, young.pk, staff.pk} and unused.pk not in left
