"""Registration errors are the OAuth errors of RFC 7591 3.2.2, shown as before to people."""

from http import HTTPStatus

import pytest
from django.core.management import CommandError, call_command

from oauthcore import errors
from oauthcore.server import registration

pytestmark = pytest.mark.django_db

HTTP_URI = "http://app.example.com/cb"


def create(**fields):
    return registration.create_client(
        **{"name": "App", "grant_types": ["client_credentials"], **fields}
    )


@pytest.mark.parametrize(
    "uris",
    [[HTTP_URI], ["https://app.example.com/cb#frag"], ["https://app.example.com/a b"]],
)
def test_a_bad_redirect_uri_is_invalid_redirect_uri(uris):
    with pytest.raises(errors.InvalidRedirectUri) as raised:
        create(grant_types=["authorization_code"], redirect_uris=uris)
    error = raised.value
    assert isinstance(error, errors.InvalidClientMetadata)
    assert isinstance(error, errors.OAuthError)
    assert error.status == HTTPStatus.BAD_REQUEST
    assert error.as_dict()["error"] == "invalid_redirect_uri"


@pytest.mark.parametrize(
    "fields",
    [
        {"scope": "admin:all"},
        {"grant_types": ["password"]},
        {"public": True},
        {"client_id": "42"},
        {"name": " "},
    ],
)
def test_other_metadata_is_invalid_client_metadata(fields):
    with pytest.raises(errors.InvalidClientMetadata) as raised:
        create(**fields)
    assert not isinstance(raised.value, errors.InvalidRedirectUri)
    assert raised.value.as_dict()["error"] == "invalid_client_metadata"
    assert raised.value.status == HTTPStatus.BAD_REQUEST


def test_people_see_the_message_as_written_the_wire_sees_the_rfc_charset():
    uri = 'https://app.example.com/"cb"\u00e9#x'
    with pytest.raises(errors.InvalidRedirectUri) as raised:
        create(grant_types=["authorization_code"], redirect_uris=[uri])
    assert uri in str(raised.value)  # admin and createclient show it as before
    description = raised.value.as_dict()["error_description"]
    assert '"' not in description and "\u00e9" not in description


def test_createclient_shows_the_message(capsys):
    with pytest.raises(CommandError) as raised:
        call_command(
            "createclient",
            "--name=App",
            "--grant-types=authorization_code",
            f"--redirect-uris={HTTP_URI}",
        )
    assert str(raised.value) == (
        f"A redirect URI must be https (http only on a loopback host): {HTTP_URI!r}."
    )
