"""Sign-in, MFA, browser sessions and API tokens."""
