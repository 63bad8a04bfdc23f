"""web: dashboard sessions keep Discord's tokens encrypted

The plaintext `access_token` and `refresh_token` columns give way to `discord_tokens`: one Fernet token (key
derived from SECRET_KEY) holding the access and refresh tokens. Open sessions are dropped, because their plaintext
tokens must not survive and their ids do not name their user: everyone logs in again once.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.text("DELETE FROM dashboard_sessions"))
    with op.batch_alter_table("dashboard_sessions") as batch:
        batch.drop_column("access_token")
        batch.drop_column("refresh_token")
        batch.add_column(sa.Column("discord_tokens", sa.Text(), nullable=False))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM dashboard_sessions"))
    with op.batch_alter_table("dashboard_sessions") as batch:
        batch.drop_column("discord_tokens")
        batch.add_column(sa.Column("access_token", sa.Text(), nullable=False))
        batch.add_column(sa.Column("refresh_token", sa.Text(), nullable=True))
