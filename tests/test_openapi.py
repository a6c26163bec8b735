"""OpenAPI: the OAuth 2.0 security scheme and each operation's scopes (drf-spectacular, optional)."""

import pytest

pytest.importorskip("drf_spectacular")

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    }
    document = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(document)
    return document


def test_security_scheme_describes_both_flows(schema):
    scheme = schema["components"]["securitySchemes"]["oauth2"]
    assert scheme["type"] == "oauth2"
    code = scheme["flows"]["authorizationCode"]
    assert code["authorizationUrl"] == "http://testserver/oauth/authorize/"
    assert code["tokenUrl"] == "http://testserver/oauth/token/"
    assert code["scopes"]["read:email"] == "Read your email address"
    machine = scheme["flows"]["clientCredentials"]
    assert machine["tokenUrl"] == "http://testserver/oauth/token/"
    assert set(machine["scopes"]) == {
        "read:profile",
        "write:profile",
        "read:email",
        "read:contacts",
        "publish",
    }


@pytest.mark.parametrize(
    "path,method,scopes",
    [
        ("/api/profile/", "get", ["read:profile"]),
        ("/api/profile/", "patch", ["write:profile"]),
        ("/api/email/", "get", ["read:email"]),
        ("/api/contacts/", "get", ["read:contacts"]),
        ("/api/publish/", "post", ["publish"]),
    ],
)
def test_each_operation_names_its_scopes(schema, path, method, scopes):
    operation = schema["paths"][path][method]
    assert operation["security"] == [{"oauth2": scopes}]
