"""Admin lists that stay fast at ten million rows (oauthcore/admin/; docs/revocation.md).

- ``BoundedPaginator`` never counts a whole table: it counts at most ``LIMIT`` rows (a
  ``COUNT(*)`` over a ``LIMIT``ed subquery without ``ORDER BY``, so the database stops early);
  past that the list says "more than" and, unfiltered on PostgreSQL, shows the planner's
  estimate (``pg_class.reltuples``, free to read).
- ``IndexedSearchMixin``: a search term is matched exactly against indexed columns, a username
  or a client_id looked up in its own table first (by its unique index), so the list's query is
  an OR of index scans on its own table, never a ``LIKE '%term%'`` over a join.
- ``UserFilter`` and ``ClientFilter`` list only the user or client chosen (from a link or
  ``?user=<pk>``), never every distinct value of a big table; ``EventFilter`` lists the known
  audit events.
"""

import ipaddress
import uuid
from functools import cached_property

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from oauthcore.models import Client
from oauthcore.ops import audit

LIMIT = 10_000  # rows counted at most: 100 pages of the admin's 100 rows


class BoundedPaginator(Paginator):
    """Count at most ``LIMIT`` rows; ``capped`` tells whether there are more."""

    capped = False

    @cached_property
    def count(self) -> int:
        found = self.object_list.order_by()[: LIMIT + 1].count()
        self.capped = found > LIMIT
        return min(found, LIMIT)

    @cached_property
    def estimate(self) -> int | None:
        """Return PostgreSQL's estimate of the table's rows for an unfiltered list, else None."""
        query = self.object_list.query
        connection = connections[self.object_list.db]
        if query.where or connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            table = query.model._meta.db_table
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table]
            )
            row = cursor.fetchone()
        return row[0] if row and row[0] > 0 else None


class FastListMixin:
    """No full count, a bounded paginator (``list_select_related`` is set per admin)."""

    show_full_result_count = False
    paginator = BoundedPaginator


class IndexedSearchMixin:
    """Search ``search_fields`` by exact value: local indexed columns, plus ``"user"`` (an exact
    username) and ``"client"`` (an exact client_id) for the foreign keys of those names."""

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        match = Q(pk__in=[])
        for name in self.get_search_fields(request):
            match |= self._match(name, term)
        return queryset.filter(match), False

    def _match(self, name: str, term: str) -> Q:
        if name == "user":
            model = get_user_model()
            users = model._default_manager.filter(**{model.USERNAME_FIELD: term})
            return Q(user__in=list(users.values_list("pk", flat=True)[:1]))
        if name == "client":
            return Q(
                client__in=list(Client.objects.filter(client_id=term).values_list("pk", flat=True))
            )
        kind = self.model._meta.get_field(name).get_internal_type()
        if kind == "UUIDField":
            try:
                return Q(**{name: uuid.UUID(term)})
            except ValueError:
                return Q(pk__in=[])
        if kind == "GenericIPAddressField" and not _is_ip(term):
            return Q(pk__in=[])
        return Q(**{name: term})


def _is_ip(term: str) -> bool:
    try:
        ipaddress.ip_address(term)
    except ValueError:
        return False
    return True


class _ChosenFilter(admin.SimpleListFilter):
    """A filter on a foreign key that lists only the row chosen, not every distinct value."""

    model = None

    def chosen(self):
        """Return the primary key in the query string, or None if absent or malformed."""
        try:
            return self.model._meta.pk.to_python(self.value())
        except ValidationError:
            return None

    def lookups(self, request, model_admin):
        """Offer the chosen row only; a value that names none is listed too, so it applies."""
        if self.value() is None:
            return []
        pk = self.chosen()
        found = self.model._default_manager.filter(pk=pk).first() if pk is not None else None
        return [(self.value(), str(found) if found else _("none (%s)") % self.value())]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        pk = self.chosen()
        return queryset.none() if pk is None else queryset.filter(**{self.parameter_name: pk})


class UserFilter(_ChosenFilter):
    title = _("user")
    parameter_name = "user"

    @property
    def model(self):
        return get_user_model()


class ClientFilter(_ChosenFilter):
    title = _("client")
    parameter_name = "client"
    model = Client


class EventFilter(admin.SimpleListFilter):
    """The audit events oauthcore records (``audit.EVENTS``), without reading the table."""

    title = _("event")
    parameter_name = "event"

    def lookups(self, request, model_admin):
        return [(event, event) for event in audit.EVENTS]

    def queryset(self, request, queryset):
        return queryset.filter(event=self.value()) if self.value() else queryset
