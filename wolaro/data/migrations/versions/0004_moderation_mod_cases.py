"""moderation: mod_cases and mod_case_counters

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 18:29:24.372894

Moved: the moderation module's tables are created by its own Alembic branch now
(`wolaro/modules/moderation/migrations`), whose first revision
brings a database made by this revision to the same schema without touching its rows. This id stays in the core's
history so databases created before the move stay on a known graph.
"""

from collections.abc import Sequence

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # see the module's branch


def downgrade() -> None:
    pass
