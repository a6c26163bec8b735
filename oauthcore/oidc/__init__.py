"""OpenID Connect: ID tokens and the sign-in sessions they describe. Imports ``jose`` and the foundation."""
