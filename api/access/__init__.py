"""The access policy: which rows of which space a principal may touch.

Every service asks here; resolvers never decide access themselves.
"""
