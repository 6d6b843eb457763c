"""The demo personas of ../shared/docs/PERSONAS.md and their data."""
