"""Alembic revisions: one file per schema change, applied in order by `wolaro.data.migrate.upgrade`."""
