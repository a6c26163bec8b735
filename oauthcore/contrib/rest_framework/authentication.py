"""Bearer JWT authentication for Django REST framework (filled in by the resource-server work)."""

from rest_framework.authentication import BaseAuthentication


class JWTAuthentication(BaseAuthentication):
    def authenticate(self, request):
        return None
