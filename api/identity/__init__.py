"""Who is calling: principals, the scope vocabulary and access tokens."""
