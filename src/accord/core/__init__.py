"""The small core every feature builds on: database, ids, clock, errors, audit, security."""
