from rest_framework.response import Response
from rest_framework.views import APIView

from oauthcore.contrib.rest_framework.permissions import HasScope


class PublishView(APIView):
    permission_classes = [HasScope.of("publish")]

    def get(self, request):
        token = request.auth
        return Response({"sub": token.subject, "client_id": token.client_id, "jti": token.jti})
