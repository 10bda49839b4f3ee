"""Add the sharing engine, agreements and notes

Revision ID: 0003_sharing
Revises: 0002_people_name_index
Create Date: 2026-11-22 03:20:15.938075
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import accord.core.db

revision: str = "0003_sharing"
down_revision: str | None = "0002_people_name_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sharing_grants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "active",
                "suspended",
                "terminated",
                name="grant_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "tlp_ceiling",
            sa.Enum(
                "clear",
                "green",
                "amber",
                "amber+strict",
                "red",
                name="tlp",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("covered_mask", sa.Integer(), nullable=False),
        sa.Column("sensitive_mask", sa.Integer(), nullable=False),
        sa.Column(
            "purposes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("effective_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", accord.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("retention_days", sa.Integer(), nullable=True),
        sa.Column("has_area", sa.Boolean(), nullable=False),
        sa.Column(
            "party_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "area_cells",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("onward_sharing", sa.Boolean(), nullable=False),
        sa.Column("updated_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_grants")),
    )
    op.create_table(
        "sharing_grant_cells",
        sa.Column("grant_id", sa.Uuid(), nullable=False),
        sa.Column("cell", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["sharing_grants.id"],
            name=op.f("fk_sharing_grant_cells_grant_id_sharing_grants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("grant_id", "cell", name=op.f("pk_sharing_grant_cells")),
    )
    op.create_table(
        "sharing_grant_parties",
        sa.Column("grant_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["sharing_grants.id"],
            name=op.f("fk_sharing_grant_parties_grant_id_sharing_grants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_sharing_grant_parties_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("grant_id", "org_id", name=op.f("pk_sharing_grant_parties")),
    )
    with op.batch_alter_table("sharing_grant_parties", schema=None) as batch_op:
        batch_op.create_index("ix_sharing_grant_parties_org", ["org_id", "grant_id"], unique=False)

    op.create_table(
        "agreements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "information_sharing",
                "mutual_aid",
                "camera_access",
                "alarm_verification",
                "memorandum_of_understanding",
                name="agreement_kind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "proposed",
                "active",
                "suspended",
                "terminated",
                "expired",
                name="agreement_status",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("status_changed_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("drafted_by_org_id", sa.Uuid(), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=True),
        sa.Column("expires_at", accord.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["people.id"],
            name=op.f("fk_agreements_created_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["drafted_by_org_id"],
            ["organizations.id"],
            name=op.f("fk_agreements_drafted_by_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
    )
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.create_index("ix_agreements_created", ["created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_agreements_status_expires", ["status", "expires_at"], unique=False
        )

    op.create_table(
        "shared_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("owner_org_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column(
            "tlp",
            sa.Enum(
                "clear",
                "green",
                "amber",
                "amber+strict",
                "red",
                name="tlp",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("categories_mask", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "summary_category",
            sa.Enum(
                "general",
                "personal_data",
                "cji",
                "video",
                "person_location",
                "critical_infrastructure",
                name="category",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column(
            "geometry",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["people.id"],
            name=op.f("fk_shared_records_author_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_org_id"],
            ["organizations.id"],
            name=op.f("fk_shared_records_owner_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_records")),
    )
    with op.batch_alter_table("shared_records", schema=None) as batch_op:
        batch_op.create_index("ix_shared_records_created", ["created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_shared_records_author_created", ["author_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_shared_records_kind_created", ["kind", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_shared_records_lat_lon", ["lat", "lon"], unique=False)
        batch_op.create_index(
            "ix_shared_records_owner_created", ["owner_org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_shared_records_owner_tlp_created",
            ["owner_org_id", "tlp", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_shared_records_tlp_created", ["tlp", "created_at", "id"], unique=False
        )

    op.create_table(
        "agreement_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "proposed",
                "in_force",
                "superseded",
                "withdrawn",
                name="agreement_version_state",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "information_sharing",
                "mutual_aid",
                "camera_access",
                "alarm_verification",
                "memorandum_of_understanding",
                name="agreement_kind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "terms",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "party_groups",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("proposed_digest", sa.String(length=64), nullable=True),
        sa.Column("proposed_at", accord.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("proposed_by_id", sa.Uuid(), nullable=True),
        sa.Column("in_force_at", accord.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("document_filename", sa.String(length=255), nullable=True),
        sa.Column("document_media_type", sa.String(length=100), nullable=True),
        sa.Column("document_size", sa.Integer(), nullable=True),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.Column("document_bytes", sa.LargeBinary(), nullable=True),
        sa.Column("document_uploaded_at", accord.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_versions_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["people.id"],
            name=op.f("fk_agreement_versions_created_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["people.id"],
            name=op.f("fk_agreement_versions_proposed_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_versions")),
        sa.UniqueConstraint("agreement_id", "number", name="uq_agreement_versions_number"),
    )
    op.create_table(
        "notes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "body_category",
            sa.Enum(
                "general",
                "personal_data",
                "cji",
                "video",
                "person_location",
                "critical_infrastructure",
                name="category",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("personal_details", sa.Text(), nullable=False),
        sa.Column("declared_mask", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["id"],
            ["shared_records.id"],
            name=op.f("fk_notes_id_shared_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )
    op.create_table(
        "record_cells",
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("cell", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["shared_records.id"],
            name=op.f("fk_record_cells_record_id_shared_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", "cell", name=op.f("pk_record_cells")),
    )
    with op.batch_alter_table("record_cells", schema=None) as batch_op:
        batch_op.create_index("ix_record_cells_cell", ["cell", "record_id"], unique=False)

    op.create_table(
        "record_recipients",
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "organization",
                "group",
                "person",
                name="recipient_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("record_created_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("added_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("added_by_org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_org_id"],
            ["organizations.id"],
            name=op.f("fk_record_recipients_added_by_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["shared_records.id"],
            name=op.f("fk_record_recipients_record_id_shared_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "record_id", "kind", "target_id", name=op.f("pk_record_recipients")
        ),
    )
    with op.batch_alter_table("record_recipients", schema=None) as batch_op:
        batch_op.create_index(
            "ix_record_recipients_target",
            ["kind", "target_id", "record_created_at", "record_id"],
            unique=False,
        )

    op.create_table(
        "sharing_reads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("viewer_id", sa.Uuid(), nullable=False),
        sa.Column("viewer_org_id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=True),
        sa.Column("owner_org_id", sa.Uuid(), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=True),
        sa.Column("basis", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_org_id"],
            ["organizations.id"],
            name=op.f("fk_sharing_reads_owner_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["shared_records.id"],
            name=op.f("fk_sharing_reads_record_id_shared_records"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["viewer_id"], ["people.id"], name=op.f("fk_sharing_reads_viewer_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["viewer_org_id"],
            ["organizations.id"],
            name=op.f("fk_sharing_reads_viewer_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_reads")),
    )
    with op.batch_alter_table("sharing_reads", schema=None) as batch_op:
        batch_op.create_index("ix_sharing_reads_agreement", ["agreement_id", "at"], unique=False)
        batch_op.create_index("ix_sharing_reads_record", ["record_id", "at"], unique=False)

    op.create_table(
        "agreement_parties",
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("via_group_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_agreement_parties_org_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["agreement_versions.id"],
            name=op.f("fk_agreement_parties_version_id_agreement_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["via_group_id"],
            ["groups.id"],
            name=op.f("fk_agreement_parties_via_group_id_groups"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("version_id", "org_id", name=op.f("pk_agreement_parties")),
    )
    with op.batch_alter_table("agreement_parties", schema=None) as batch_op:
        batch_op.create_index("ix_agreement_parties_org", ["org_id", "version_id"], unique=False)

    op.create_table(
        "agreement_signatures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("signed_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_agreement_signatures_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_agreement_signatures_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["agreement_versions.id"],
            name=op.f("fk_agreement_signatures_version_id_agreement_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_signatures")),
        sa.UniqueConstraint(
            "version_id", "org_id", "digest", name="uq_agreement_signatures_version_org"
        ),
    )
    op.create_table(
        "note_attachments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("note_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=130), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "general",
                "personal_data",
                "cji",
                "video",
                "person_location",
                "critical_infrastructure",
                name="category",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("added_at", accord.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("added_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["people.id"],
            name=op.f("fk_note_attachments_added_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["note_id"],
            ["notes.id"],
            name=op.f("fk_note_attachments_note_id_notes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_attachments")),
    )
    with op.batch_alter_table("note_attachments", schema=None) as batch_op:
        batch_op.create_index("ix_note_attachments_note", ["note_id", "added_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("note_attachments", schema=None) as batch_op:
        batch_op.drop_index("ix_note_attachments_note")

    op.drop_table("note_attachments")
    op.drop_table("agreement_signatures")
    with op.batch_alter_table("agreement_parties", schema=None) as batch_op:
        batch_op.drop_index("ix_agreement_parties_org")

    op.drop_table("agreement_parties")
    with op.batch_alter_table("sharing_reads", schema=None) as batch_op:
        batch_op.drop_index("ix_sharing_reads_record")
        batch_op.drop_index("ix_sharing_reads_agreement")

    op.drop_table("sharing_reads")
    with op.batch_alter_table("record_recipients", schema=None) as batch_op:
        batch_op.drop_index("ix_record_recipients_target")

    op.drop_table("record_recipients")
    with op.batch_alter_table("record_cells", schema=None) as batch_op:
        batch_op.drop_index("ix_record_cells_cell")

    op.drop_table("record_cells")
    op.drop_table("notes")
    op.drop_table("agreement_versions")
    with op.batch_alter_table("shared_records", schema=None) as batch_op:
        batch_op.drop_index("ix_shared_records_tlp_created")
        batch_op.drop_index("ix_shared_records_owner_tlp_created")
        batch_op.drop_index("ix_shared_records_owner_created")
        batch_op.drop_index("ix_shared_records_lat_lon")
        batch_op.drop_index("ix_shared_records_kind_created")
        batch_op.drop_index("ix_shared_records_author_created")
        batch_op.drop_index("ix_shared_records_created")

    op.drop_table("shared_records")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_index("ix_agreements_status_expires")
        batch_op.drop_index("ix_agreements_created")

    op.drop_table("agreements")
    with op.batch_alter_table("sharing_grant_parties", schema=None) as batch_op:
        batch_op.drop_index("ix_sharing_grant_parties_org")

    op.drop_table("sharing_grant_parties")
    op.drop_table("sharing_grant_cells")
    op.drop_table("sharing_grants")
