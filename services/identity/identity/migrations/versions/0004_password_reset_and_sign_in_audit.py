"""Forgotten-password links (hashed) and the audit of every sign-in

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "password_reset_links",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_password_reset_links_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_reset_links_token_hash")),
    )
    op.create_index(op.f("ix_password_reset_links_user_id"), "password_reset_links", ["user_id"], unique=False)
    op.create_table(
        "sign_in_audit",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("client_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_audit")),
    )
    op.create_index(op.f("ix_sign_in_audit_at"), "sign_in_audit", ["at"], unique=False)
    op.create_index("ix_sign_in_audit_user_id_at", "sign_in_audit", ["user_id", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sign_in_audit_user_id_at", table_name="sign_in_audit")
    op.drop_index(op.f("ix_sign_in_audit_at"), table_name="sign_in_audit")
    op.drop_table("sign_in_audit")
    op.drop_index(op.f("ix_password_reset_links_user_id"), table_name="password_reset_links")
    op.drop_table("password_reset_links")
