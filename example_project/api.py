"""The example resource API of PRODUCT.md (filled in by the resource-server work)."""

from rest_framework.response import Response
from rest_framework.views import APIView


class _NotYet(APIView):
    authentication_classes = []
    permission_classes = []

    def get(self, request):
        return Response({"detail": "Not implemented yet."}, status=501)

    post = patch = get


class ProfileView(_NotYet):
    pass


class EmailView(_NotYet):
    pass


class ContactsView(_NotYet):
    pass


class PublishView(_NotYet):
    pass
