"""Alembic environment and revisions of Wolaro's schema (one linear history for the platform and its modules)."""
