"""people and communities in the index, the expertise finder

``search_items`` gains ``restricted`` and ``restricted_terms`` (what only employees may read
and match: a person's employees-only fields), and the engine's objects index that column
too: on SQLite the FTS5 table ``search_fts`` is made again with a fourth column (its three
triggers with it) and rebuilt from ``search_items``; on PostgreSQL the GIN index is made
again on the document with the column weighted 'C'. Both are copies of
``models.ENGINE_DDL`` as it is at this revision (0001 holds the previous ones, which the
downgrade makes again).

New tables: ``search_people`` (what a person's hit shows and the finder filters on),
``search_skills`` (one declared skill of one person), ``search_skill_grams`` (the trigrams
of every known skill, for suggestions that forgive a typo), ``search_organisations`` (the
organisations' names).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-08 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

_OLD = "title_terms, terms, stemmed_as"
_NEW = "title_terms, terms, stemmed_as, restricted_terms"


def _fts(columns: str) -> tuple[str, ...]:
    """The FTS5 table and its triggers over ``columns`` of ``search_items``."""
    new = ", ".join(f"new.{c.strip()}" for c in columns.split(","))
    old = ", ".join(f"old.{c.strip()}" for c in columns.split(","))
    return (
        f"CREATE VIRTUAL TABLE search_fts USING fts5({columns}, "
        "content='search_items', content_rowid='seq', tokenize='unicode61 remove_diacritics 0')",
        "CREATE TRIGGER search_items_fts_insert AFTER INSERT ON search_items BEGIN "
        f"INSERT INTO search_fts(rowid, {columns}) VALUES (new.seq, {new}); END",
        "CREATE TRIGGER search_items_fts_delete AFTER DELETE ON search_items BEGIN "
        f"INSERT INTO search_fts(search_fts, rowid, {columns}) VALUES ('delete', old.seq, {old}); END",
        f"CREATE TRIGGER search_items_fts_update AFTER UPDATE OF {columns} ON search_items BEGIN "
        f"INSERT INTO search_fts(search_fts, rowid, {columns}) VALUES ('delete', old.seq, {old}); "
        f"INSERT INTO search_fts(rowid, {columns}) VALUES (new.seq, {new}); END",
        "INSERT INTO search_fts(search_fts) VALUES('rebuild')",
    )


_FTS_DROP = (
    "DROP TRIGGER IF EXISTS search_items_fts_insert",
    "DROP TRIGGER IF EXISTS search_items_fts_delete",
    "DROP TRIGGER IF EXISTS search_items_fts_update",
    "DROP TABLE IF EXISTS search_fts",
)

_PG_OLD = (
    "CREATE INDEX ix_search_items_document ON search_items USING gin ("
    "(setweight(to_tsvector('simple'::regconfig, title_terms), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, terms), 'B')))"
)
_PG_NEW = (
    "CREATE INDEX ix_search_items_document ON search_items USING gin ("
    "(setweight(to_tsvector('simple'::regconfig, title_terms), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, terms), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, restricted_terms), 'C')))"
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in _FTS_DROP:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_items_document")
    with op.batch_alter_table('search_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('restricted', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('restricted_terms', sa.Text(), server_default='', nullable=False))

    op.create_table('search_organisations',
    sa.Column('org_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('org_id')
    )
    op.create_table('search_people',
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('org_id', sa.String(length=64), nullable=False),
    sa.Column('guest', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('sort_name', sa.String(length=200), nullable=False),
    sa.Column('job_title', sa.String(length=200), nullable=True),
    sa.Column('department', sa.String(length=200), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('preferred_language', sa.String(length=10), nullable=True),
    sa.Column('languages_text', sa.String(length=400), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('about', sa.Text(), nullable=True),
    sa.Column('education', sa.Text(), nullable=True),
    sa.Column('education_visibility', sa.String(length=10), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('erased', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('user_id')
    )
    with op.batch_alter_table('search_people', schema=None) as batch_op:
        batch_op.create_index('ix_search_people_active_sort', ['active', 'sort_name', 'user_id'], unique=False)
        batch_op.create_index('ix_search_people_org', ['org_id'], unique=False)

    op.create_table('search_skill_grams',
    sa.Column('gram', sa.String(length=12), nullable=False),
    sa.Column('skill', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('gram', 'skill')
    )
    op.create_table('search_skills',
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('skill', sa.String(length=80), nullable=False),
    sa.Column('folded', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('user_id', 'skill')
    )
    with op.batch_alter_table('search_skills', schema=None) as batch_op:
        batch_op.create_index('ix_search_skills_folded', ['folded'], unique=False)
        batch_op.create_index('ix_search_skills_skill', ['skill'], unique=False)

    if dialect == "sqlite":
        for statement in _fts(_NEW):
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute(_PG_NEW)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in _FTS_DROP:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_items_document")
    with op.batch_alter_table('search_skills', schema=None) as batch_op:
        batch_op.drop_index('ix_search_skills_skill')
        batch_op.drop_index('ix_search_skills_folded')

    op.drop_table('search_skills')
    op.drop_table('search_skill_grams')
    with op.batch_alter_table('search_people', schema=None) as batch_op:
        batch_op.drop_index('ix_search_people_org')
        batch_op.drop_index('ix_search_people_active_sort')

    op.drop_table('search_people')
    op.drop_table('search_organisations')
    with op.batch_alter_table('search_items', schema=None) as batch_op:
        batch_op.drop_column('restricted_terms')
        batch_op.drop_column('restricted')

    if dialect == "sqlite":
        for statement in _fts(_OLD):
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute(_PG_OLD)
