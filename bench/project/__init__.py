"""A small Django project serving oauthcore and django-oauth-toolkit side by side (``make bench``)."""
