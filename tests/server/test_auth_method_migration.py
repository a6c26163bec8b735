"""Migration 0004 gives existing clients the method they used: public none, others Basic."""

import importlib

import pytest
from django.apps import apps as current_apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from oauthcore.models import Client
from tests import factories

APP = "oauthcore"
BEFORE = (APP, "0002_sync_generation")
AFTER = (APP, "0004_client_token_endpoint_auth_method")
migration = importlib.import_module("oauthcore.migrations.0004_client_token_endpoint_auth_method")


@pytest.mark.django_db
def test_the_data_step_maps_rows_without_a_method():
    public = factories.ClientFactory(public=True)
    confidential = factories.ClientFactory()
    Client.objects.update(token_endpoint_auth_method="")  # as the new column starts out
    migration.fill_auth_methods(current_apps, connection.schema_editor())
    methods = dict(Client.objects.values_list("pk", "token_endpoint_auth_method"))
    assert methods == {public.pk: "none", confidential.pk: "client_secret_basic"}


@pytest.mark.django_db(transaction=True)
def test_migrating_forward_fills_existing_clients():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes(APP)
    try:
        executor.migrate([BEFORE])
        old = executor.loader.project_state([BEFORE]).apps.get_model(APP, "Client")
        old.objects.create(client_id="spa", name="SPA", client_type="public")
        old.objects.create(client_id="web", name="Web", client_type="confidential")
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([AFTER])
        new = executor.loader.project_state([AFTER]).apps.get_model(APP, "Client")
        methods = dict(new.objects.values_list("client_id", "token_endpoint_auth_method"))
        assert methods == {"spa": "none", "web": "client_secret_basic"}
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)
