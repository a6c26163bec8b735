"""The admin's lists at any size: no unfiltered COUNT(*), no DISTINCT over a table for a filter,
no LIKE scan for a search; counts stop at a limit; searches are exact on indexed columns."""

import re
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oauthcore.models import AuditEvent, RefreshToken
from oauthcore.ops import admin_lists
from tests import factories

pytestmark = pytest.mark.django_db

MODELS = [
    "client",
    "initialaccesstoken",
    "signingkey",
    "authorizationcode",
    "refreshtoken",
    "consent",
    "revokedaccesstoken",
    "auditevent",
]
COUNT = re.compile(r"\bCOUNT\(", re.IGNORECASE)


@pytest.fixture
def rows(user, client_app):
    """A few rows in every table the admin lists."""
    other = factories.UserFactory(username="other")
    for owner in (user, other):
        factories.ConsentFactory(user=owner, client=factories.ClientFactory())
        factories.RefreshTokenFactory.create_with_raw(user=owner, client=client_app)
        factories.AuditEventFactory(user=owner, event="token_issued")
        factories.make_code(client_app, owner)
    factories.RevokedAccessTokenFactory()
    factories.SigningKeyFactory()
    return {"user": user, "other": other, "app": client_app}


def changelist(model: str) -> str:
    return reverse(f"admin:oauthcore_{model}_changelist")


def served(admin_client, url, params=None):
    """GET a changelist; return the page and the SQL it ran (after the login's own queries)."""
    admin_client.get(reverse("admin:index"))  # the session and user are read alike each time
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(url, params or {})
    assert response.status_code == HTTPStatus.OK
    return response.content.decode(), [query["sql"] for query in queries.captured_queries]


def assert_scales(sql: list[str]) -> None:
    """Every count is bounded by a LIMIT; no filter reads a table's distinct values; no search
    is a LIKE scan."""
    for statement in sql:
        if COUNT.search(statement):
            assert "LIMIT" in statement.upper(), statement
        assert "DISTINCT" not in statement.upper(), statement
        assert " LIKE " not in statement.upper(), statement


@pytest.mark.parametrize("model", MODELS)
def test_no_changelist_counts_a_whole_table(admin_client, rows, model):
    _page, sql = served(admin_client, changelist(model))
    assert_scales(sql)
    assert any(COUNT.search(statement) for statement in sql)  # a bounded count, not none


@pytest.mark.parametrize(
    ("model", "params"),
    [
        ("client", {"origin__exact": "dynamic"}),
        ("client", {"is_active__exact": "0", "q": "nothing"}),
        ("refreshtoken", {"revoked_at__isnull": "True"}),
        ("refreshtoken", {"q": "alice"}),
        ("authorizationcode", {"q": "alice"}),
        ("consent", {"user": "1", "client": "1"}),
        ("auditevent", {"event": "token_issued", "q": "127.0.0.1"}),
        ("revokedaccesstoken", {"q": "some-jti"}),
    ],
)
def test_filters_and_searches_use_indexed_columns(admin_client, rows, model, params):
    _page, sql = served(admin_client, changelist(model), params)
    assert_scales(sql)


@pytest.mark.parametrize(
    ("model", "queries"),
    [
        # session; user; the bounded count; the page (clients have no foreign key shown)
        ("client", 4),
        # session; user; the bounded count; the page with its client and user (select_related)
        ("refreshtoken", 4),
        ("authorizationcode", 4),
        ("consent", 4),
        ("auditevent", 4),
        ("revokedaccesstoken", 4),
    ],
)
def test_query_counts(admin_client, rows, django_assert_num_queries, model, queries):
    admin_client.get(changelist(model))  # warm: the admin's content types are cached
    with django_assert_num_queries(queries):
        assert admin_client.get(changelist(model)).status_code == HTTPStatus.OK


def test_the_count_stops_at_the_limit_and_says_more(admin_client, rows, monkeypatch):
    monkeypatch.setattr(admin_lists, "LIMIT", 1)
    page, _sql = served(admin_client, changelist("refreshtoken"))
    assert "more than 1 refresh tokens" in page
    page, _sql = served(admin_client, changelist("refreshtoken"), {"p": "2"})
    assert "?e=1" not in page  # the second page of a capped count is still a page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_class.reltuples")
def test_an_unfiltered_list_on_postgresql_shows_the_estimate(admin_client, rows, monkeypatch):
    monkeypatch.setattr(admin_lists, "LIMIT", 1)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {AuditEvent._meta.db_table}")
    page, _sql = served(admin_client, changelist("auditevent"))
    assert "about 2 audit events" in page
    page, _sql = served(admin_client, changelist("auditevent"), {"event": "token_issued"})
    assert "more than 1 audit events" in page  # filtered: no estimate of the whole table


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("alice", ["alice"]),  # an exact username
        ("ALICE", []),  # exact: no case folding, so the unique index serves it
        ("ali", []),  # no prefix or substring scans
        ("not-a-uuid", []),
        ("", ["alice", "other"]),
    ],
)
def test_refresh_tokens_are_searched_exactly(admin_client, rows, term, found):
    page, _sql = served(admin_client, changelist("refreshtoken"), {"q": term})
    shown = [name for name in ("alice", "other") if f">{name}<" in page]
    assert shown == found


def test_a_family_id_and_a_client_id_are_found(admin_client, rows):
    family = RefreshToken.objects.filter(user=rows["user"]).get().family_id
    page, _sql = served(admin_client, changelist("refreshtoken"), {"q": str(family)})
    assert ">alice<" in page and ">other<" not in page
    page, _sql = served(admin_client, changelist("refreshtoken"), {"q": rows["app"].client_id})
    assert ">alice<" in page and ">other<" in page


@pytest.mark.parametrize("params", [{"user": "x"}, {"client": "1e9"}, {"user": "99999"}])
def test_a_malformed_or_unknown_filter_value_is_an_empty_list(admin_client, rows, params):
    page, _sql = served(admin_client, changelist("consent"), params)
    assert "0 consents" in page


def test_audit_search_takes_an_ip_or_a_client_id_and_refuses_nothing(admin_client, rows):
    factories.AuditEventFactory(ip="192.0.2.7", client_identifier="the-app", event="token_denied")
    for term in ("192.0.2.7", "the-app"):
        page, _sql = served(admin_client, changelist("auditevent"), {"q": term})
        assert "token_denied" in page and "alice" not in page
    page, _sql = served(admin_client, changelist("auditevent"), {"q": "192.0.2"})
    assert "0 audit events" in page


def test_no_date_hierarchy_reads_every_date(admin_client, rows):
    page, sql = served(admin_client, changelist("auditevent"))
    assert "xfull" not in page and 'class="xfull"' not in page
    assert not any("django_datetime_trunc" in statement for statement in sql)
