"""A Django Ninja API beside the DRF one (docs/ninja.md): the profile, sync and async.

    GET /ninja/profile        needs read:profile (a sync operation)
    GET /ninja/profile/async  needs read:profile (async: the token is checked in the event loop)

Mounted by example_project/urls.py when django-ninja is installed (the ``ninja`` extra).
"""

from ninja import NinjaAPI

from oauthcore.contrib.ninja import security

api = security.install(NinjaAPI(title="oauthcore example (Django Ninja)", urls_namespace="ninja"))


def _profile(request, user) -> dict:
    return {"sub": request.auth.subject, "username": user.get_username()}


@api.get("/profile", auth=security.OAuth2Bearer(scopes=["read:profile"]))
def profile(request):
    return _profile(request, request.user)


@api.get("/profile/async", auth=security.AsyncOAuth2Bearer(scopes=["read:profile"]))
async def profile_async(request):
    return _profile(request, await request.auser())
