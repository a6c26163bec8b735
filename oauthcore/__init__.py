"""oauthcore: an OAuth 2.0 authorization server and JWT resource server for Django."""

__version__ = "0.1.0"
