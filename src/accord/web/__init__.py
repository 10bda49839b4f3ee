"""The operator console's shared layer: templates, middleware, static files, health."""
