"""Measurements used by bench/ and tests/ only: the app and the CLI never import them."""
