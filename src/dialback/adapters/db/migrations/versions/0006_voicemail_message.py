"""V3: leave a prepared message on voicemail

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 08:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dialback.adapters.db.tables

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("widgets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("leave_message", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("legs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("message_left_at", dialback.adapters.db.tables.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("legs", schema=None) as batch_op:
        batch_op.drop_column("message_left_at")
    with op.batch_alter_table("widgets", schema=None) as batch_op:
        batch_op.drop_column("leave_message")
