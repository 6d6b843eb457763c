"""`espace bench`: a reproducible benchmark of the API against raw SQL (issue #9)."""
