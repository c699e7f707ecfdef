"""OpenID Connect Core 1.0 and Discovery 1.0 on top of the OAuth 2.0 protocol objects."""
