"""The benchmark of issue 9: a national-like dataset on PostgreSQL and the runs over it."""
