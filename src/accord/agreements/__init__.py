"""Agreements between partners: drafting, signing, lifecycle, versions, and what each enforces."""
