"""OpenAPI: the OAuth 2.0 security scheme and each operation's scopes (drf-spectacular, optional)."""

import pytest

pytest.importorskip("drf_spectacular")

from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from oauthcore.contrib.rest_framework.permissions import HasScope

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


def test_composed_permissions_name_their_scopes(settings):
    class Composed(APIView):
        permission_classes = [
            (HasScope.of("read:profile") & HasScope.of("read:email")) | IsAdminUser
        ]

        def get(self, request):
            return Response({})

    class Negated(APIView):
        permission_classes = [~HasScope.of("publish")]

        def get(self, request):
            return Response({})

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    }
    patterns = [path("composed/", Composed.as_view()), path("negated/", Negated.as_view())]
    document = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    assert document["paths"]["/composed/"]["get"]["security"] == [
        {"oauth2": ["read:profile", "read:email"]}
    ]
    assert document["paths"]["/negated/"]["get"]["security"] == [{"oauth2": []}]
