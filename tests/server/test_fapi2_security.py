"""The FAPI 2.0 profile's rules on client authentication (private_key_jwt only, aud the issuer
as a string), algorithms (PS256, ES256, EdDSA only), client registration and the system checks."""

import json
import re
from datetime import timedelta
from http import HTTPStatus

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed448, rsa
from django.core.checks import run_checks
from django.core.management import CommandError, call_command

from oauthcore.jose import keyring
from oauthcore.models import Client
from oauthcore.server import registration
from tests import client_jwt, dpop_kit, fapi_kit, protocol
from tests.dpop_kit import TOKEN_URL, DPoPKey
from tests.factories import DEMO_SECRET
from tests.security import kit

pytestmark = pytest.mark.django_db

CREDENTIALS = {"grant_type": "client_credentials", "scope": "publish"}


def _machine(pair):
    return client_jwt.key_client(pair, grant_types=["client_credentials"])


def _credentials(client, app, pair, key=None, **claims):
    return fapi_kit.token(client, app, pair, CREDENTIALS, key or DPoPKey(), **claims)


@pytest.mark.parametrize("alg", ["ES256", "PS256", "EdDSA"])
def test_assertions_and_proofs_of_the_profiles_algorithms_are_accepted(client, settings, alg):
    pair = client_jwt.key_pair(alg)
    app = _machine(pair)
    fapi_kit.enable(settings)
    response = _credentials(client, app, pair, DPoPKey(alg))
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["token_type"] == "DPoP"


def test_an_rs256_assertion_is_refused(client, settings):
    pair = client_jwt.key_pair("RS256")
    app = _machine(pair)  # registered before the profile was on
    assert _credentials(client, app, pair).status_code == HTTPStatus.OK
    fapi_kit.enable(settings)
    kit.assert_json_error(
        _credentials(client, app, pair), HTTPStatus.UNAUTHORIZED, "invalid_client"
    )


def test_an_rs256_dpop_proof_is_refused(client, settings):
    pair = client_jwt.key_pair("ES256")
    app = _machine(pair)
    fapi_kit.enable(settings)
    response = _credentials(client, app, pair, DPoPKey("RS256"))
    kit.assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_dpop_proof")


def _ed448_proof() -> str:
    private_key = ed448.Ed448PrivateKey.generate()
    jwk = jwt.algorithms.OKPAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    headers = {"typ": "dpop+jwt", "jwk": jwk}
    return jwt.encode(dpop_kit.claims(), private_key, algorithm="EdDSA", headers=headers)


def test_an_ed448_dpop_proof_is_refused(client, settings):
    pair = client_jwt.key_pair("ES256")
    app = _machine(pair)
    data = fapi_kit.authenticated(app, pair, CREDENTIALS)
    assert protocol.post_token(client, data, HTTP_DPOP=_ed448_proof()).status_code == 200
    fapi_kit.enable(settings)  # 5.4.1: EdDSA with Ed25519 only
    data = fapi_kit.authenticated(app, pair, CREDENTIALS)
    response = protocol.post_token(client, data, HTTP_DPOP=_ed448_proof())
    kit.assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_dpop_proof")


@pytest.mark.parametrize(
    "aud", [["http://testserver"], "http://testserver/oauth/token/", "http://testserver/oauth/par/"]
)
def test_an_assertion_aud_other_than_the_issuer_string_is_refused(client, settings, aud):
    pair = client_jwt.key_pair("ES256")
    app = _machine(pair)
    assert _credentials(client, app, pair, aud=aud).status_code == HTTPStatus.OK
    fapi_kit.enable(settings)
    response = _credentials(client, app, pair, aud=aud)
    kit.assert_json_error(response, HTTPStatus.UNAUTHORIZED, "invalid_client")


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_secret_methods_are_refused(client, settings, client_factory, method):
    app = client_factory(token_endpoint_auth_method=method)
    data = {**CREDENTIALS}
    extra = DPoPKey().header("POST", TOKEN_URL)
    if method == "client_secret_post":
        data.update(client_id=app.client_id, client_secret=DEMO_SECRET)
    else:
        extra.update(protocol.basic_auth(app.client_id))
    assert protocol.post_token(client, data, **extra).status_code == HTTPStatus.OK
    fapi_kit.enable(settings)
    extra.update(DPoPKey().header("POST", TOKEN_URL))
    response = protocol.post_token(client, data, **extra)
    kit.assert_json_error(response, HTTPStatus.UNAUTHORIZED, "invalid_client")


def test_client_secret_jwt_is_refused(client, settings):
    app, secret = client_jwt.secret_jwt_client()
    data = client_jwt.form(client_jwt.hmac_assertion(app.client_id, secret), **CREDENTIALS)
    fapi_kit.enable(settings)
    response = protocol.post_token(client, data, **DPoPKey().header("POST", TOKEN_URL))
    kit.assert_json_error(response, HTTPStatus.UNAUTHORIZED, "invalid_client")


def _rsa_client():
    """A private_key_jwt client whose RSA key names no alg: RS256 and PS256 both fit it."""
    pair = client_jwt.key_pair("PS256")
    jwk = {name: value for name, value in pair.jwk.items() if name != "alg"}
    app, _ = registration.create_client(
        name="RSA app",
        grant_types=["authorization_code"],
        redirect_uris=["https://app.example.com/callback"],
        scope="read:profile read:email",
        token_endpoint_auth_method="private_key_jwt",
        metadata={"jwks": {"keys": [jwk]}},
    )
    return app, pair


def _push_object(client, app, pair, alg):
    signer = client_jwt.KeyPair(pair.private_key, alg, pair.kid)
    signed = client_jwt.request_object(app, signer, **protocol.authorize_params(app))
    data = fapi_kit.authenticated(app, pair, {"client_id": app.client_id, "request": signed})
    return protocol.post_form(client, fapi_kit.PAR_URL, data)


def test_an_rs256_request_object_is_refused_a_ps256_one_accepted(client, settings):
    app, pair = _rsa_client()
    assert _push_object(client, app, pair, "RS256").status_code == HTTPStatus.CREATED
    fapi_kit.enable(settings)
    response = _push_object(client, app, pair, "RS256")
    kit.assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_request_object")
    assert _push_object(client, app, pair, "PS256").status_code == HTTPStatus.CREATED


def test_an_rsa_key_under_2048_bits_is_refused(capsys, settings):
    short = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(short.public_key(), as_dict=True)
    fapi_kit.enable(settings)  # 5.4.1 2 (RFC 7518 3.3 asks it of every RSA key)
    with pytest.raises(CommandError, match="2048"):
        _createclient(capsys, token_endpoint_auth_method="private_key_jwt", jwks={"keys": [jwk]})


# Registration: createclient --metadata, dynamic registration and the admin share the validator


def _createclient(capsys, **members) -> dict:
    document = {
        "redirect_uris": ["https://app.example.com/callback"],
        "client_name": "x",
        **members,
    }
    call_command("createclient", "--metadata", json.dumps(document), "--json")
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    "members",
    [
        {"token_endpoint_auth_method": "none"},
        {},  # client_secret_basic, the default
        {"token_endpoint_auth_method": "client_secret_post"},
        {"token_endpoint_auth_method": "client_secret_jwt"},
    ],
)
def test_registration_refuses_what_the_profile_forbids(capsys, settings, members):
    fapi_kit.enable(settings)
    with pytest.raises(CommandError, match="security profile"):
        _createclient(capsys, **members)
    assert not Client.objects.exists()


def test_a_registered_fapi_client_does_not_rotate_unless_it_asks(capsys, settings):
    fapi_kit.enable(settings)
    jwks = client_jwt.key_pair().jwks
    out = _createclient(capsys, token_endpoint_auth_method="private_key_jwt", jwks=jwks)
    assert out["client_secret"] is None
    assert out["rotate_refresh_tokens"] is False
    assert not Client.objects.get(client_id=out["client_id"]).rotate_refresh_tokens
    out = _createclient(
        capsys, token_endpoint_auth_method="private_key_jwt", jwks=jwks, rotate_refresh_tokens=True
    )
    assert Client.objects.get(client_id=out["client_id"]).rotate_refresh_tokens


def test_the_rotation_member_must_be_a_boolean(capsys):
    with pytest.raises(CommandError, match="rotate_refresh_tokens"):
        _createclient(capsys, rotate_refresh_tokens="no")
    out = _createclient(capsys, rotate_refresh_tokens=False)
    assert not Client.objects.get(client_id=out["client_id"]).rotate_refresh_tokens
    assert Client.objects.get(client_id=_createclient(capsys)["client_id"]).rotate_refresh_tokens


def _rotation_box(admin_client) -> str:
    page = admin_client.get("/admin/oauthcore/client/add/").content.decode()
    (box,) = re.findall(r"<input[^>]*name=\"rotate_refresh_tokens\"[^>]*>", page)
    return box


def test_the_admin_form_offers_the_profiles_default(admin_client, settings):
    assert "checked" in _rotation_box(admin_client)
    fapi_kit.enable(settings)
    assert "checked" not in _rotation_box(admin_client)


# System checks


def _ids(**changes):
    return sorted(
        {m.id for m in run_checks(databases=["default"]) if (m.id or "").startswith("oauthcore.E")}
    )


@pytest.fixture
def checked(settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ISSUER": "https://auth.example.com"}

    def apply(**changes):
        settings.OAUTHCORE = {**settings.OAUTHCORE, **fapi_kit.FAPI, **changes}
        return _ids()

    return apply


def test_a_fapi_configuration_passes_the_checks(checked):
    assert checked() == []
    keyring.signing_key()  # an ES256 key stored
    assert _ids() == []


@pytest.mark.parametrize(
    ("changes", "check_id"),
    [
        ({"SECURITY_PROFILE": "fapi3"}, "oauthcore.E015"),
        ({"SIGNING_ALGORITHM": "RS256"}, "oauthcore.E016"),
        ({"HS256_SECRET": "s" * 40}, "oauthcore.E016"),
        ({"DPOP_SIGNING_ALGORITHMS": ["RS256"]}, "oauthcore.E016"),
        ({"AUTHORIZATION_CODE_LIFETIME": timedelta(seconds=61)}, "oauthcore.E017"),
        ({"PAR_LIFETIME": timedelta(seconds=600)}, "oauthcore.E017"),
        ({"CLOCK_SKEW": timedelta(seconds=5)}, "oauthcore.E017"),
        ({"CLOCK_SKEW": timedelta(seconds=90)}, "oauthcore.E017"),
    ],
)
def test_each_setting_the_profile_forbids_is_an_error(checked, changes, check_id):
    assert check_id in checked(**changes)


def test_a_stored_rs256_key_is_an_error(checked, settings):
    keyring.signing_key()  # RS256, made before the profile was on
    assert "oauthcore.E016" in checked()
