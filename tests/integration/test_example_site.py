"""The example site lets a person run the code flow by hand (what `make demo` serves)."""

import re
from http import HTTPStatus
from urllib.parse import urlencode, urlsplit

import pytest
from django.core.management import call_command

from tests import browser

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ISSUER": "http://127.0.0.1:8000"}
    call_command("seeddemo", verbosity=0)


def test_home_to_callback_to_tokens(client, demo):
    client.login(username="alice", password="alice-demo-password")
    home = client.get("/").content.decode()
    link = re.search(r'href="(/oauth/authorize/\?[^"]+)"', home).group(1).replace("&amp;", "&")
    consent = client.get(link)
    assert consent.status_code == HTTPStatus.OK
    form = browser.form_with_button(consent.content.decode(), "Allow")
    response = client.post(
        form.action,
        urlencode(form.data("Allow")),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == HTTPStatus.FOUND
    location = urlsplit(response["Location"])
    assert location.path == "/demo/callback/"
    page = client.get(f"{location.path}?{location.query}").content.decode()
    # The page shows the command a person pastes: run its request with the test client.
    command = re.search(r"<pre[^>]*>(.*?)</pre>", page, re.S).group(1)
    params = dict(re.findall(r"-d (\w+)=(\S+)", command))
    assert params["code_verifier"] != "YOUR_VERIFIER"
    response = client.post(
        "/oauth/token/",
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION="Basic ZGVtby13ZWI6ZGVtby13ZWItc2VjcmV0",  # demo-web:demo-web-secret
    )
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["token_type"] == "Bearer"


def test_callback_shows_errors(client):
    page = client.get("/demo/callback/?error=access_denied&state=x").content.decode()
    assert "access_denied" in page
