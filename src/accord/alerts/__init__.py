"""Alerts: CAP 1.2 messages that Accord authors, sends to partners and the public, and imports."""
