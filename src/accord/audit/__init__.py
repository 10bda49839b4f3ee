"""The audit log's public face: its JSON API, console pages and the `accord audit` commands."""
