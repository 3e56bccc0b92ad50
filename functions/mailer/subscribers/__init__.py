"""Subscribers: their records, life cycle, signed links, notices, limits and bounces."""
