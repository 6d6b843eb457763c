"""`espace bench`: a national-like dataset on PostgreSQL, and the API measured against raw SQL
over it (issue #9)."""
