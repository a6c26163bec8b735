"""A separate API-only Django project: it knows only the issuer URL and checks tokens via its JWKS."""
