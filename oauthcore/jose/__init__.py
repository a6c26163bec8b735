"""Keys and JOSE: parse and make keys (``keys``), the signing keys in use (``keyring``)."""
