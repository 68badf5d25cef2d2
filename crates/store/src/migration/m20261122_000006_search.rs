//! Full-text search and the knowledge base's curated notes.
//!
//! The dialects differ here, so the schema is raw SQL per backend:
//! - **SQLite**: an FTS5 table `search_index` (columns `key`, `title`,
//!   `summary`, `causes`, `body`; `porter unicode61` tokenizer with
//!   diacritics folded) whose rowid is the `doc` number of a plain table
//!   `search_map (doc, incident_id)`. An FTS5 table cannot hold a foreign
//!   key, so the map does: deleting an incident cascades to its map row, and
//!   a trigger on the map deletes the FTS row. Every path that deletes an
//!   incident (delete, import with replace) thus leaves no stale hit.
//! - **PostgreSQL**: a table `search_documents` with the same text columns
//!   and a stored generated `tsvector` column weighted title (and key) A,
//!   summary and root causes B, everything else C, under a GIN index; the
//!   foreign key to `incidents` cascades on delete.
//!
//! Incidents that exist when this migration runs are indexed here, in SQL
//! (a migration must not call code that follows the latest schema). That
//! first index takes the plain text columns and the JSON-held lists as
//! their JSON text; the next write of an incident replaces its row with the
//! text `crate::search` builds.
//!
//! `knowledge_notes` holds the curated Markdown per category.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE TABLE search_map (
        doc INTEGER PRIMARY KEY,
        incident_id BLOB NOT NULL UNIQUE REFERENCES incidents (id) ON DELETE CASCADE
    )",
    "CREATE VIRTUAL TABLE search_index USING fts5(
        key, title, summary, causes, body,
        tokenize = 'porter unicode61 remove_diacritics 2'
    )",
    "CREATE TRIGGER search_map_delete AFTER DELETE ON search_map BEGIN
        DELETE FROM search_index WHERE rowid = old.doc;
    END",
];

const POSTGRES_UP: &[&str] = &[
    "CREATE TABLE search_documents (
        incident_id uuid PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
        key text NOT NULL,
        title text NOT NULL,
        summary text NOT NULL,
        causes text NOT NULL,
        body text NOT NULL,
        document tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('english'::regconfig, key || ' ' || title), 'A') ||
            setweight(to_tsvector('english'::regconfig, summary || ' ' || causes), 'B') ||
            setweight(to_tsvector('english'::regconfig, body), 'C')
        ) STORED
    )",
    "CREATE INDEX idx_search_documents_document ON search_documents USING GIN (document)",
];

const NOTES: &str = "CREATE TABLE knowledge_notes (
    category TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at TIMESTAMP_TZ NOT NULL,
    updated_by TEXT NOT NULL
)";

/// The `causes` and `body` text of every existing incident `i`, as SQL
/// expressions: `agg` aggregates rows with newlines, `nl` is a newline,
/// `j` turns a JSON column into text.
fn text_exprs(agg: fn(&str) -> String, nl: &str, j: fn(&str) -> String) -> (String, String) {
    let c = |e: &str| format!("coalesce({e}, '')");
    let sub = |table: &str, expr: &str| {
        format!(
            "coalesce((SELECT {} FROM {table} x WHERE x.incident_id = i.id), '')",
            agg(expr)
        )
    };
    let causes = sub(
        "root_causes",
        &format!("x.title || {nl} || {}", c("x.details")),
    );
    let parts = [
        c("i.category"),
        c("i.patient_zero"),
        c("i.fishbone_effect"),
        j("i.attack_vectors"),
        j("i.impact"),
        j("i.communications"),
        sub(
            "timeline_entries",
            &format!(
                "x.title || {nl} || {} || {nl} || {} || {nl} || {} || {nl} || {} || {nl} || {}",
                j("x.details"),
                c("x.we_knew"),
                c("x.we_didnt_know"),
                c("x.decision"),
                c("x.action_taken")
            ),
        ),
        sub(
            "five_whys",
            &format!("x.problem || {nl} || {}", j("x.steps")),
        ),
        sub("fishbone_causes", "x.text"),
        sub(
            "fmea_rows",
            &format!(
                "x.failure_mode || {nl} || x.effect || {nl} || x.cause || {nl} || x.current_controls || {nl} || x.recommended_action"
            ),
        ),
        sub(
            "findings",
            &format!(
                "x.title || {nl} || {} || {nl} || {}",
                j("x.details"),
                c("x.impact")
            ),
        ),
        sub("action_items", &format!("x.title || {nl} || x.description")),
        sub("lessons", &format!("x.text || {nl} || {}", c("x.details"))),
    ];
    (causes, parts.join(&format!(" || {nl} || ")))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                for sql in SQLITE_UP {
                    db.execute_unprepared(sql).await?;
                }
                db.execute_unprepared(&NOTES.replace("TIMESTAMP_TZ", "text"))
                    .await?;
                db.execute_unprepared(
                    "INSERT INTO search_map (incident_id) SELECT id FROM incidents ORDER BY key",
                )
                .await?;
                let (causes, body) = text_exprs(
                    |e| format!("group_concat({e}, char(10))"),
                    "char(10)",
                    |col| col.to_owned(),
                );
                db.execute_unprepared(&format!(
                    "INSERT INTO search_index (rowid, key, title, summary, causes, body)
                     SELECT m.doc, i.key, i.title, i.summary, {causes}, {body}
                     FROM incidents i JOIN search_map m ON m.incident_id = i.id"
                ))
                .await?;
            }
            DbBackend::Postgres => {
                for sql in POSTGRES_UP {
                    db.execute_unprepared(sql).await?;
                }
                db.execute_unprepared(&NOTES.replace("TIMESTAMP_TZ", "timestamp with time zone"))
                    .await?;
                let (causes, body) = text_exprs(
                    |e| format!("string_agg({e}, E'\\n')"),
                    "E'\\n'",
                    |col| format!("coalesce({col}::text, '')"),
                );
                // `left`: a tsvector holds at most 1 MB; the search code
                // caps the text it indexes the same way.
                db.execute_unprepared(&format!(
                    "INSERT INTO search_documents (incident_id, key, title, summary, causes, body)
                     SELECT i.id, i.key, i.title, i.summary, left({causes}, 200000), left({body}, 500000)
                     FROM incidents i"
                ))
                .await?;
            }
            other => {
                return Err(DbErr::Migration(format!(
                    "full-text search is not available on {other:?}"
                )));
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let drops: &[&str] = match manager.get_database_backend() {
            DbBackend::Sqlite => &[
                "DROP TRIGGER IF EXISTS search_map_delete",
                "DROP TABLE IF EXISTS search_index",
                "DROP TABLE IF EXISTS search_map",
                "DROP TABLE IF EXISTS knowledge_notes",
            ],
            _ => &[
                "DROP TABLE IF EXISTS search_documents",
                "DROP TABLE IF EXISTS knowledge_notes",
            ],
        };
        for sql in drops {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
