"""moderation: case target kind and details

Every moderation action is a numbered case now, channel actions included (purge, slowmode, lock, unlock) and
nickname changes: `target_kind` says whether `target_id` is a member or a channel (existing rows are members),
`details` keeps what else the action did (a purge's count and filters, a slowmode's delay, a nickname change).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 19:10:26.768753

Moved: the moderation module's tables are created by its own Alembic branch now
(`wolaro/modules/moderation/migrations`), whose first revision
brings a database made by this revision to the same schema without touching its rows. This id stays in the core's
history so databases created before the move stay on a known graph.
"""

from collections.abc import Sequence

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # see the module's branch


def downgrade() -> None:
    pass
