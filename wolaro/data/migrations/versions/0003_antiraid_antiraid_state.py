"""antiraid: antiraid_state (one row per guild: raid mode on or off, and what to restore at its end)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:27:11.632599

Moved: the antiraid module's tables are created by its own Alembic branch now
(`wolaro/modules/antiraid/migrations`), whose first revision
brings a database made by this revision to the same schema without touching its rows. This id stays in the core's
history so databases created before the move stay on a known graph.
"""

from collections.abc import Sequence

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # see the module's branch


def downgrade() -> None:
    pass
