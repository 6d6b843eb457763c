"""Espace Santé: one GraphQL API over a person's whole health space."""

__version__ = "0.1.0"
