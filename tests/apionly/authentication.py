from oauthcore.contrib.rest_framework.authentication import JWTAuthentication


class TokenOnlyAuthentication(JWTAuthentication):
    load_users = False  # no user table here: request.user is a TokenUser
