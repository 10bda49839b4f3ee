"""Running Accord: serving, migrations, configuration, the demo world and synthetic data."""
