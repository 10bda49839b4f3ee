"""Accord: public safety and private security partners working together under agreements."""

__all__ = ["__version__"]

__version__ = "0.1.0"
