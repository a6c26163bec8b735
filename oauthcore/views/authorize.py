"""The authorization endpoint (RFC 6749 4.1.1) and the consent decision."""

from django.http import HttpResponse
from django.views import View


class AuthorizeView(View):
    def get(self, request):
        return HttpResponse("Not implemented yet.", status=501)
