"""The prevention agenda: the national programmes as data (programmes.toml) and
the pure rules engine that turns a person's facts and evidence into proposals."""
