//! Full-text search over every field of every post-mortem, behind one
//! interface ([`Store::search`]) on SQLite FTS5 and PostgreSQL full-text
//! search. Raw SQL lives here because the dialects differ.
//!
//! **The index.** One row per incident (schema in migration 000006) with
//! five text columns: the key, the title, the summary, the root causes
//! (title and details) and a body holding everything else (category,
//! attack vectors and techniques, impact, patient zero, participants,
//! timeline entries with what was known and not known, decisions and facts,
//! 5 Whys, fishbone, FMEA, findings, action items with their criteria,
//! status notes and verification evidence, communications, lessons).
//! Ranking weights the key and title most, then the summary and root
//! causes, then the rest: `bm25` column weights 10/10/4/4/1 on SQLite,
//! tsvector weights A/A/B/B/C with `ts_rank` (normalised by document
//! length) on PostgreSQL.
//!
//! **Bounded work per query.** Scoring is the expensive part of a search
//! (on 100,000 incidents, bm25 over a word that nearly every incident
//! holds takes some 200 ms), so at most [`CANDIDATES`] matches are scored:
//! the newest ones that pass the filters and the caller's visibility,
//! taken in index order (SQLite: the FTS rowid, assigned when an incident
//! is first indexed; PostgreSQL: the UUID v7 id, which sorts by creation).
//! When fewer match, which is the normal case for a specific query, the
//! ranking is over every match. When more match, the best of the newest
//! 2,000 are shown, and the total is counted apart: by the text index
//! alone when nothing filters (exact, cheap), else by a counting join that
//! stops at [`MAX_COUNT`] (`total_exact` false beyond it).
//!
//! **Kept current in the write transaction.** [`reindex`] replaces an
//! incident's row; it is called by the commit points every write goes
//! through (`finish_audited` for whole-incident writes, `commit_audited`
//! for section writes, the bulk timeline append), inside the transaction,
//! so a saved edit is found by the very next search and a rolled-back write
//! leaves the index as it was. A deleted incident's row goes by cascade
//! (see the migration). Restriction and membership are not copied into the
//! index: every query joins `incidents` and `incident_members`, so a change
//! of access is effective at once.
//!
//! **User syntax never reaches the engine unquoted.** On SQLite the query
//! is parsed by [`fts5_query`]: words and `"phrases"` become quoted FTS5
//! strings, `-word` excludes, `OR` between two terms is an alternative, a
//! trailing `*` makes a prefix; everything else (parentheses, `NEAR`, `:`,
//! `^`, lone operators) is plain text. On PostgreSQL the raw text goes to
//! `websearch_to_tsquery`, which accepts any input and has the same
//! syntax (without prefixes). A query with no searchable word finds nothing.
//!
//! **Snippets.** FTS5 `snippet()` / `ts_headline` mark each hit between
//! [`HIT_START`] and [`HIT_END`], two private-use characters that are
//! stripped from indexed text, so incident text can never fake a mark. The
//! web layer escapes the snippet and only then turns the marks into
//! `<mark>` (see [`snippet_parts`]). Snippets are made in a second query
//! for the page's rows only: highlighting is the expensive part and must
//! not run for every match.
//!
//! **Size.** Each document's body is cut at [`MAX_BODY`] bytes (a
//! PostgreSQL `tsvector` holds at most 1 MB); a longer timeline is still
//! stored whole, only its tail is not searchable.

use chrono::{DateTime, Utc};
use debrief_core::{IncidentKey, IncidentStatus, PostMortem, Severity};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Statement, Value};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{Store, StoreError, Visibility};

/// Opens a highlighted hit in a snippet.
pub const HIT_START: char = '\u{E000}';
/// Closes a highlighted hit in a snippet.
pub const HIT_END: char = '\u{E001}';

/// Longest body text indexed per incident, in bytes.
pub const MAX_BODY: usize = 500_000;
/// Longest summary or root-cause text indexed per incident, in bytes.
const MAX_FIELD: usize = 200_000;

/// The default page size of a search.
pub const DEFAULT_SEARCH_LIMIT: u64 = 20;
/// The largest page a search returns.
pub const MAX_SEARCH_LIMIT: u64 = 100;
/// The longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// How many matches are ranked at most (more when the page asked for
/// reaches further): the newest ones that pass the filters.
pub const CANDIDATES: u64 = 2_000;
/// The largest total counted when filters or a user's visibility apply;
/// beyond it the total is reported as "more than" (see `total_exact`).
pub const MAX_COUNT: u64 = 10_000;

/// What to search for and how to filter and page the hits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// The user's query text (see the module docs for the syntax).
    pub q: String,
    /// Only incidents in this category (exact name).
    pub category: Option<String>,
    /// Only incidents of this severity.
    pub severity: Option<Severity>,
    /// Only incidents with this status.
    pub status: Option<IncidentStatus>,
    /// Only incidents detected at or after this instant.
    pub detected_from: Option<DateTime<Utc>>,
    /// Only incidents detected before this instant (exclusive).
    pub detected_before: Option<DateTime<Utc>>,
    /// Page size: [`DEFAULT_SEARCH_LIMIT`] when 0, at most [`MAX_SEARCH_LIMIT`].
    pub limit: u64,
    /// Number of hits to skip.
    pub offset: u64,
}

impl SearchQuery {
    /// A query for `q` with no filters and the default page.
    pub fn text(q: impl Into<String>) -> Self {
        Self {
            q: q.into(),
            ..Self::default()
        }
    }

    /// The page size actually used.
    pub fn effective_limit(&self) -> u64 {
        match self.limit {
            0 => DEFAULT_SEARCH_LIMIT,
            n => n.min(MAX_SEARCH_LIMIT),
        }
    }
}

/// One incident that matches, best first.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SearchHit {
    /// Key, e.g. `INC-2025-1128`.
    pub key: IncidentKey,
    /// Title.
    pub title: String,
    /// Category, if set.
    pub category: Option<String>,
    /// Severity.
    pub severity: Severity,
    /// Incident status.
    pub status: IncidentStatus,
    /// When the incident was detected.
    #[serde(with = "debrief_core::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub detected: Option<DateTime<Utc>>,
    /// Relevance: higher is better; comparable within one result only.
    pub score: f64,
    /// A short passage around the hits, each hit between [`HIT_START`] and
    /// [`HIT_END`]. Plain text: escape it before showing it as HTML.
    pub snippet: String,
}

/// One page of hits and the number of matching incidents.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SearchPage {
    /// The hits on this page, best first.
    pub hits: Vec<SearchHit>,
    /// How many incidents match, over all pages (see `total_exact`).
    pub total: u64,
    /// False when more than [`MAX_COUNT`] match: `total` is then a floor.
    pub total_exact: bool,
    /// The page size used.
    pub limit: u64,
    /// The hits skipped.
    pub offset: u64,
}

/// A snippet split into plain runs (`false`) and highlighted hits (`true`),
/// for a caller that escapes each run before marking it up.
pub fn snippet_parts(snippet: &str) -> Vec<(bool, String)> {
    let mut parts: Vec<(bool, String)> = Vec::new();
    let mut hit = false;
    let mut run = String::new();
    for c in snippet.chars() {
        let next = match c {
            HIT_START => Some(true),
            HIT_END => Some(false),
            _ => None,
        };
        match next {
            Some(h) => {
                if !run.is_empty() {
                    parts.push((hit, std::mem::take(&mut run)));
                }
                hit = h;
            }
            None => run.push(c),
        }
    }
    if !run.is_empty() {
        parts.push((hit, run));
    }
    parts
}

/// The snippet without its marks.
pub fn snippet_text(snippet: &str) -> String {
    snippet
        .chars()
        .filter(|c| *c != HIT_START && *c != HIT_END)
        .collect()
}

// ---------------------------------------------------------------------------
// The query language
// ---------------------------------------------------------------------------

/// One term of a parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    text: String,
    prefix: bool,
    negated: bool,
    /// An `OR` stood between this term and the one before.
    or_before: bool,
}

/// Splits the user's text into words and `"phrases"`, with `-` (exclude),
/// trailing `*` (prefix) and `OR`. Terms without a letter or digit are
/// dropped: they could only make an empty phrase.
fn terms(input: &str) -> Vec<Term> {
    let mut out: Vec<Term> = Vec::new();
    let mut pending_or = false;
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut negated = false;
        if c == '-' {
            chars.next();
            negated = true;
        }
        let quoted = chars.peek() == Some(&'"');
        let mut text = String::new();
        if quoted {
            chars.next();
            for c in chars.by_ref() {
                if c == '"' {
                    break;
                }
                text.push(c);
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                text.push(c);
                chars.next();
            }
        }
        if !quoted && !negated && text == "OR" {
            pending_or = !out.is_empty();
            continue;
        }
        let mut prefix = false;
        if !quoted && text.ends_with('*') {
            text = text.trim_end_matches('*').to_owned();
            prefix = true;
        }
        if quoted && chars.peek() == Some(&'*') {
            chars.next();
            prefix = true;
        }
        if !text.chars().any(char::is_alphanumeric) {
            continue;
        }
        out.push(Term {
            text,
            prefix,
            negated,
            or_before: pending_or && !negated,
        });
        pending_or = false;
    }
    out
}

/// The FTS5 MATCH expression for the user's text, or `None` when it holds
/// nothing to search for (no word, or only excluded words).
///
/// Every term is a quoted FTS5 string (`"` doubled inside), so no input can
/// be read as FTS5 syntax: `NEAR(`, `col:`, `^`, `AND`, parentheses stay
/// text. The positive terms are grouped in parentheses, so the excluded
/// ones apply to the whole query, whatever FTS5's operator precedence.
pub fn fts5_query(input: &str) -> Option<String> {
    let quote = |t: &Term| {
        let mut s = format!("\"{}\"", t.text.replace('"', "\"\""));
        if t.prefix {
            s.push('*');
        }
        s
    };
    let all = terms(input);
    let mut positive = String::new();
    for t in all.iter().filter(|t| !t.negated) {
        if !positive.is_empty() {
            positive.push_str(if t.or_before { " OR " } else { " " });
        }
        positive.push_str(&quote(t));
    }
    if positive.is_empty() {
        return None;
    }
    let mut expr = format!("({positive})");
    for t in all.iter().filter(|t| t.negated) {
        expr.push_str(" NOT ");
        expr.push_str(&quote(t));
    }
    Some(expr)
}

// ---------------------------------------------------------------------------
// The indexed text
// ---------------------------------------------------------------------------

/// What one incident's index row holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IndexText {
    pub key: String,
    pub title: String,
    pub summary: String,
    pub causes: String,
    pub body: String,
}

/// Collects text, one piece per line, without the highlight marks.
#[derive(Default)]
struct Lines(String);

impl Lines {
    fn add(&mut self, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        if !self.0.is_empty() {
            self.0.push('\n');
        }
        self.0
            .extend(text.chars().filter(|c| *c != HIT_START && *c != HIT_END));
    }

    fn opt(&mut self, text: Option<&String>) {
        if let Some(t) = text {
            self.add(t);
        }
    }

    /// Every string in a serializable value (communications, impact).
    fn strings_of<T: Serialize>(&mut self, value: &T) {
        fn walk(v: &serde_json::Value, out: &mut Lines) {
            match v {
                serde_json::Value::String(s) => out.add(s),
                serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
                serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, out)),
                _ => {}
            }
        }
        if let Ok(v) = serde_json::to_value(value) {
            walk(&v, self);
        }
    }

    fn cut(self, max: usize) -> String {
        let mut s = self.0;
        if s.len() > max {
            let mut end = max;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s.truncate(end);
        }
        s
    }
}

/// The index text of a document: every field a person wrote.
pub(crate) fn index_text(doc: &PostMortem) -> IndexText {
    let plain = |s: &str| {
        let mut l = Lines::default();
        l.add(s);
        l.0
    };
    let mut summary = Lines::default();
    summary.add(&doc.summary);
    let mut causes = Lines::default();
    for r in &doc.root_causes {
        causes.add(&r.title);
        causes.opt(r.details.as_ref());
    }
    let mut b = Lines::default();
    b.opt(doc.category.as_ref());
    doc.attack_vectors.iter().for_each(|v| b.add(v));
    b.strings_of(&doc.attack_techniques);
    b.opt(doc.patient_zero.as_ref());
    b.strings_of(&doc.impact);
    for p in &doc.participants {
        b.add(&p.name);
        b.opt(p.team.as_ref());
    }
    for e in &doc.timeline {
        b.add(&e.title);
        e.details.iter().for_each(|d| b.add(d));
        b.opt(e.we_knew.as_ref());
        b.opt(e.we_didnt_know.as_ref());
        b.opt(e.decision.as_ref());
        b.opt(e.action_taken.as_ref());
        for f in &e.facts {
            b.add(&f.label);
            b.add(&f.value);
        }
        b.opt(e.source.as_ref());
        e.tags.iter().for_each(|t| b.add(t));
    }
    for w in &doc.five_whys {
        b.add(&w.problem);
        for s in &w.steps {
            b.add(&s.why);
            b.add(&s.because);
        }
    }
    b.opt(doc.fishbone.effect.as_ref());
    doc.fishbone.causes.iter().for_each(|c| b.add(&c.text));
    for r in &doc.fmea {
        for t in [
            &r.failure_mode,
            &r.effect,
            &r.cause,
            &r.current_controls,
            &r.recommended_action,
        ] {
            b.add(t);
        }
    }
    for f in doc
        .findings
        .went_well
        .iter()
        .chain(&doc.findings.went_wrong)
    {
        b.add(&f.title);
        f.details.iter().for_each(|d| b.add(d));
        b.opt(f.impact.as_ref());
    }
    for a in &doc.action_items {
        b.add(&a.title);
        b.add(&a.description);
        b.opt(a.owner.as_ref());
        b.opt(a.team.as_ref());
        b.opt(a.external_ref.as_ref());
        a.success_criteria.iter().for_each(|c| b.add(&c.text));
        a.status_history.iter().for_each(|s| b.opt(s.note.as_ref()));
        if let Some(v) = &a.verification {
            b.add(&v.evidence);
        }
    }
    b.strings_of(&doc.communications);
    for l in &doc.lessons {
        b.add(&l.text);
        b.opt(l.details.as_ref());
    }
    IndexText {
        key: doc.key.as_str().to_owned(),
        title: plain(&doc.title),
        summary: summary.cut(MAX_FIELD),
        causes: causes.cut(MAX_FIELD),
        body: b.cut(MAX_BODY),
    }
}

// ---------------------------------------------------------------------------
// Writing the index
// ---------------------------------------------------------------------------

/// Replaces the index row of the incident `doc` (looked up by key) inside
/// the caller's transaction. Called at every commit point of a write.
pub(crate) async fn reindex<C: ConnectionTrait>(
    conn: &C,
    doc: &PostMortem,
) -> Result<(), StoreError> {
    let backend = conn.get_database_backend();
    let id = match one(
        conn,
        backend,
        "SELECT id FROM incidents WHERE key = ",
        vec![doc.key.as_str().into()],
    )
    .await?
    {
        Some(row) => row.try_get_by_index::<Uuid>(0)?,
        None => return Err(StoreError::incident_not_found(&doc.key)),
    };
    write_row(conn, id, &index_text(doc)).await
}

/// Replaces the index row of the incident whose document is in `conn` now
/// (used where the writer did not load it, e.g. the bulk timeline append).
pub(crate) async fn reindex_id<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<(), StoreError> {
    use sea_orm::EntityTrait;
    let header = crate::entity::incidents::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| StoreError::Database(DbErr::RecordNotFound(format!("incident {id}"))))?;
    let doc = crate::incidents::load_document(conn, header).await?;
    write_row(conn, id, &index_text(&doc)).await
}

async fn one<C: ConnectionTrait>(
    conn: &C,
    backend: DbBackend,
    sql_before_param: &str,
    values: Vec<Value>,
) -> Result<Option<QueryResult>, StoreError> {
    let p = if backend == DbBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    Ok(conn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("{sql_before_param}{p}"),
            values,
        ))
        .await?)
}

async fn write_row<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    t: &IndexText,
) -> Result<(), StoreError> {
    let backend = conn.get_database_backend();
    let text = |s: &String| Value::from(s.clone());
    match backend {
        DbBackend::Postgres => {
            conn.execute_raw(Statement::from_sql_and_values(
                backend,
                "INSERT INTO search_documents (incident_id, key, title, summary, causes, body)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (incident_id) DO UPDATE SET key = excluded.key,
                   title = excluded.title, summary = excluded.summary,
                   causes = excluded.causes, body = excluded.body",
                [
                    id.into(),
                    text(&t.key),
                    text(&t.title),
                    text(&t.summary),
                    text(&t.causes),
                    text(&t.body),
                ],
            ))
            .await?;
        }
        _ => {
            // The map row keeps its doc number; the FTS row is replaced.
            conn.execute_raw(Statement::from_sql_and_values(
                backend,
                "INSERT INTO search_map (incident_id) VALUES (?) ON CONFLICT (incident_id) DO NOTHING",
                [id.into()],
            ))
            .await?;
            let doc: i64 = one(
                conn,
                backend,
                "SELECT doc FROM search_map WHERE incident_id = ",
                vec![id.into()],
            )
            .await?
            .ok_or_else(|| StoreError::Database(DbErr::RecordNotFound("search_map row".into())))?
            .try_get_by_index(0)?;
            conn.execute_raw(Statement::from_sql_and_values(
                backend,
                "DELETE FROM search_index WHERE rowid = ?",
                [doc.into()],
            ))
            .await?;
            conn.execute_raw(Statement::from_sql_and_values(
                backend,
                "INSERT INTO search_index (rowid, key, title, summary, causes, body)
                 VALUES (?, ?, ?, ?, ?, ?)",
                [
                    doc.into(),
                    text(&t.key),
                    text(&t.title),
                    text(&t.summary),
                    text(&t.causes),
                    text(&t.body),
                ],
            ))
            .await?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Querying
// ---------------------------------------------------------------------------

/// A statement under construction: text and bound values, with the
/// placeholder style of the backend.
struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            text: String::new(),
            values: Vec::new(),
        }
    }

    /// Binds a value and returns its placeholder.
    fn bind(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }

    fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    fn statement(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// The filter and visibility conditions on `incidents i`, each starting
/// with ` AND `.
fn filters(sql: &mut Sql, visibility: &Visibility, q: &SearchQuery) {
    if let Visibility::User(user) = visibility {
        let p = sql.bind(*user);
        sql.push(&format!(
            " AND (NOT i.restricted OR i.id IN (SELECT incident_id FROM incident_members WHERE user_id = {p}))"
        ));
    }
    if let Some(c) = &q.category {
        let p = sql.bind(c.clone());
        sql.push(&format!(" AND i.category = {p}"));
    }
    if let Some(s) = q.severity {
        let p = sql.bind(s.as_str());
        sql.push(&format!(" AND i.severity = {p}"));
    }
    if let Some(s) = q.status {
        let p = sql.bind(s.as_str());
        sql.push(&format!(" AND i.status = {p}"));
    }
    if let Some(t) = q.detected_from {
        let p = sql.bind(t);
        sql.push(&format!(" AND i.detected_at >= {p}"));
    }
    if let Some(t) = q.detected_before {
        let p = sql.bind(t);
        sql.push(&format!(" AND i.detected_at < {p}"));
    }
}

/// A hit as the first query reads it, before its snippet.
struct Row {
    hit: SearchHit,
    /// FTS5 rowid (SQLite) or incident id (PostgreSQL) for the snippet query.
    doc: DocRef,
    total: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DocRef {
    Rowid(i64),
    Id(Uuid),
}

fn hit_of(row: &QueryResult, score: f64) -> Result<SearchHit, StoreError> {
    let bad = |what: &str, e: String| StoreError::Database(DbErr::Type(format!("{what}: {e}")));
    let key: String = row.try_get("", "key")?;
    let severity: String = row.try_get("", "severity")?;
    let status: String = row.try_get("", "status")?;
    Ok(SearchHit {
        key: IncidentKey::parse(&key).map_err(|e| bad("incidents.key", e))?,
        title: row.try_get("", "title")?,
        category: row.try_get("", "category")?,
        severity: severity.parse().map_err(|e| bad("incidents.severity", e))?,
        status: status.parse().map_err(|e| bad("incidents.status", e))?,
        detected: row.try_get("", "detected_at")?,
        score,
        snippet: String::new(),
    })
}

/// The `ts_headline` options: our marks, two fragments of about 30 words.
fn headline_options() -> String {
    format!(
        "StartSel=\"{HIT_START}\", StopSel=\"{HIT_END}\", MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=\" … \""
    )
}

impl Store {
    /// The incidents matching `query` that `visibility` lets the caller
    /// see, best first, with a highlighted snippet each and the total
    /// number of matches. Restricted incidents are found only by their
    /// members and by callers who see every incident. Any query text is
    /// accepted: one that holds nothing searchable finds nothing.
    pub async fn search(
        &self,
        visibility: &Visibility,
        query: &SearchQuery,
    ) -> Result<SearchPage, StoreError> {
        let limit = query.effective_limit();
        let empty = SearchPage {
            hits: Vec::new(),
            total: 0,
            total_exact: true,
            limit,
            offset: query.offset,
        };
        let Some(fts) = fts5_query(&query.q) else {
            return Ok(empty);
        };
        let backend = self.db.get_database_backend();
        let txn = self.read_txn().await?;
        // Rank at most `cap` candidates: the newest matches that pass the
        // filters (see CANDIDATES).
        let cap = CANDIDATES.max(query.offset.saturating_add(limit));
        let rows = match backend {
            DbBackend::Postgres => {
                let mut sql = Sql::new(backend);
                let q = sql.bind(query.q.clone());
                sql.push(&format!(
                    "WITH q AS (SELECT websearch_to_tsquery('english', {q}) AS query),
                     c AS MATERIALIZED (
                        SELECT s.incident_id, s.document FROM search_documents s
                        JOIN incidents i ON i.id = s.incident_id, q
                        WHERE s.document @@ q.query"
                ));
                filters(&mut sql, visibility, query);
                let c = sql.bind(page_size(cap));
                // Ids are UUID v7: by id is by creation.
                sql.push(&format!(
                    " ORDER BY s.incident_id DESC LIMIT {c})
                     SELECT i.key, i.title, i.category, i.severity, i.status, i.detected_at, c.incident_id,
                            ts_rank(c.document, q.query, 1)::float8 AS score, count(*) OVER () AS total
                     FROM c JOIN incidents i ON i.id = c.incident_id, q"
                ));
                let (l, o) = (sql.bind(page_size(limit)), sql.bind(offset(query)));
                sql.push(&format!(" ORDER BY score DESC, i.key LIMIT {l} OFFSET {o}"));
                let mut out = Vec::new();
                for row in txn.query_all_raw(sql.statement()).await? {
                    let score: f64 = row.try_get("", "score")?;
                    out.push(Row {
                        hit: hit_of(&row, score)?,
                        doc: DocRef::Id(row.try_get("", "incident_id")?),
                        total: count(&row)?,
                    });
                }
                out
            }
            _ => {
                let mut sql = Sql::new(backend);
                let m = sql.bind(fts.clone());
                // The candidates come newest first straight from the FTS
                // cursor (rowid order), joined and filtered as they come,
                // and bm25() is computed for them only. bm25() works only
                // in the FTS query itself, which a window function would
                // move it out of: hence the materialized CTE.
                sql.push(&format!(
                    "WITH f AS MATERIALIZED (
                        SELECT search_index.rowid AS doc,
                               bm25(search_index, 10.0, 10.0, 4.0, 4.0, 1.0) AS rank,
                               i.key, i.title, i.category, i.severity, i.status, i.detected_at
                        FROM search_index
                        JOIN search_map m ON m.doc = search_index.rowid
                        JOIN incidents i ON i.id = m.incident_id
                        WHERE search_index MATCH {m}"
                ));
                filters(&mut sql, visibility, query);
                let c = sql.bind(page_size(cap));
                sql.push(&format!(
                    " ORDER BY search_index.rowid DESC LIMIT {c})
                     SELECT key, title, category, severity, status, detected_at, doc, rank,
                            count(*) OVER () AS total
                     FROM f"
                ));
                let (l, o) = (sql.bind(page_size(limit)), sql.bind(offset(query)));
                sql.push(&format!(" ORDER BY rank, key LIMIT {l} OFFSET {o}"));
                let mut out = Vec::new();
                for row in txn.query_all_raw(sql.statement()).await? {
                    // bm25 is lower-is-better and negative; flip it.
                    let rank: f64 = row.try_get("", "rank")?;
                    out.push(Row {
                        hit: hit_of(&row, -rank)?,
                        doc: DocRef::Rowid(row.try_get("", "doc")?),
                        total: count(&row)?,
                    });
                }
                out
            }
        };
        let candidates = rows.first().map(|r| r.total);
        let (total, total_exact) = match candidates {
            // Fewer candidates than the cap: they are all the matches.
            Some(n) if n < cap => (n, true),
            // Past the last page the window count is not there, or the cap
            // was reached: count every match.
            _ if candidates.is_some() || query.offset > 0 => {
                self.count_matches(&txn, visibility, query, &fts).await?
            }
            _ => (0, true),
        };
        let snippets = self.snippets(&txn, query, &fts, &rows).await?;
        txn.commit().await?;
        let hits = rows
            .into_iter()
            .map(|r| {
                let mut hit = r.hit;
                hit.snippet = snippets
                    .iter()
                    .find(|(d, _)| *d == r.doc)
                    .map(|(_, s)| s.clone())
                    .unwrap_or_default();
                hit
            })
            .collect();
        Ok(SearchPage {
            hits,
            total,
            total_exact,
            limit,
            offset: query.offset,
        })
    }

    /// The number of matches, and whether it is exact: with filters or a
    /// user's visibility every match is joined to its incident, so that
    /// count stops at [`MAX_COUNT`] (reported as not exact).
    async fn count_matches(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        visibility: &Visibility,
        query: &SearchQuery,
        fts: &str,
    ) -> Result<(u64, bool), StoreError> {
        let backend = self.db.get_database_backend();
        let mut sql = Sql::new(backend);
        // Nothing to filter: the text index alone knows the count, without
        // a join per match.
        let unfiltered = *visibility == Visibility::All
            && query.category.is_none()
            && query.severity.is_none()
            && query.status.is_none()
            && query.detected_from.is_none()
            && query.detected_before.is_none();
        let matches = match backend {
            DbBackend::Postgres => {
                let q = sql.bind(query.q.clone());
                format!(
                    "FROM search_documents s{} WHERE s.document @@ websearch_to_tsquery('english', {q})",
                    if unfiltered {
                        ""
                    } else {
                        " JOIN incidents i ON i.id = s.incident_id"
                    }
                )
            }
            _ => {
                let m = sql.bind(fts.to_owned());
                format!(
                    "FROM search_index{} WHERE search_index MATCH {m}",
                    if unfiltered {
                        ""
                    } else {
                        " JOIN search_map m ON m.doc = search_index.rowid JOIN incidents i ON i.id = m.incident_id"
                    }
                )
            }
        };
        if unfiltered {
            sql.push(&format!("SELECT count(*) AS total {matches}"));
        } else {
            sql.push(&format!(
                "SELECT count(*) AS total FROM (SELECT 1 {matches}"
            ));
            filters(&mut sql, visibility, query);
            let l = sql.bind(page_size(MAX_COUNT + 1));
            sql.push(&format!(" LIMIT {l}) t"));
        }
        let n = match txn.query_one_raw(sql.statement()).await? {
            Some(row) => count(&row)?,
            None => 0,
        };
        Ok(if n > MAX_COUNT {
            (MAX_COUNT, false)
        } else {
            (n, true)
        })
    }

    /// The highlighted passages of the page's rows.
    async fn snippets(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        query: &SearchQuery,
        fts: &str,
        rows: &[Row],
    ) -> Result<Vec<(DocRef, String)>, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let backend = self.db.get_database_backend();
        let mut sql = Sql::new(backend);
        let mut out = Vec::new();
        match backend {
            DbBackend::Postgres => {
                let q = sql.bind(query.q.clone());
                let o = sql.bind(headline_options());
                let ids: Vec<String> = rows
                    .iter()
                    .filter_map(|r| match r.doc {
                        DocRef::Id(id) => Some(sql.bind(id)),
                        DocRef::Rowid(_) => None,
                    })
                    .collect();
                sql.push(&format!(
                    "SELECT incident_id, ts_headline('english',
                        title || E'\\n' || summary || E'\\n' || causes || E'\\n' || body,
                        websearch_to_tsquery('english', {q}), {o}) AS snippet
                     FROM search_documents WHERE incident_id IN ({})",
                    ids.join(", ")
                ));
                for row in txn.query_all_raw(sql.statement()).await? {
                    out.push((
                        DocRef::Id(row.try_get("", "incident_id")?),
                        row.try_get("", "snippet")?,
                    ));
                }
            }
            _ => {
                let (a, b) = (
                    sql.bind(HIT_START.to_string()),
                    sql.bind(HIT_END.to_string()),
                );
                let m = sql.bind(fts.to_owned());
                let ids: Vec<String> = rows
                    .iter()
                    .filter_map(|r| match r.doc {
                        DocRef::Rowid(d) => Some(sql.bind(d)),
                        DocRef::Id(_) => None,
                    })
                    .collect();
                sql.push(&format!(
                    "SELECT rowid AS doc, snippet(search_index, -1, {a}, {b}, '…', 32) AS snippet
                     FROM search_index WHERE search_index MATCH {m} AND rowid IN ({})",
                    ids.join(", ")
                ));
                for row in txn.query_all_raw(sql.statement()).await? {
                    out.push((
                        DocRef::Rowid(row.try_get("", "doc")?),
                        row.try_get("", "snippet")?,
                    ));
                }
            }
        }
        Ok(out)
    }

    /// Rebuilds the whole search index from the stored documents, in
    /// batches of one transaction each; for after a restore or a change
    /// of the indexing rules. Returns how many incidents were indexed. It
    /// changes no post-mortem and so leaves no audit entry.
    pub async fn rebuild_search_index(&self) -> Result<u64, StoreError> {
        use sea_orm::{EntityTrait, QueryOrder, QuerySelect};
        let ids: Vec<Uuid> = crate::entity::incidents::Entity::find()
            .select_only()
            .column(crate::entity::incidents::Column::Id)
            .order_by_asc(crate::entity::incidents::Column::Key)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut n = 0;
        for chunk in ids.chunks(200) {
            let txn = self.write_txn().await?;
            for id in chunk {
                reindex_id(&txn, *id).await?;
                n += 1;
            }
            txn.commit().await?;
        }
        Ok(n)
    }
}

fn page_size(limit: u64) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

fn offset(q: &SearchQuery) -> i64 {
    i64::try_from(q.offset).unwrap_or(i64::MAX)
}

fn count(row: &QueryResult) -> Result<u64, StoreError> {
    let n: i64 = row.try_get("", "total")?;
    Ok(u64::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_quoted_strings_and_operators_stay_text() {
        assert_eq!(
            fts5_query("backup codes").as_deref(),
            Some(r#"("backup" "codes")"#)
        );
        assert_eq!(
            fts5_query(r#"NEAR(a b) col:x ^y AND"#).as_deref(),
            Some(r#"("NEAR(a" "b)" "col:x" "^y" "AND")"#)
        );
        assert_eq!(
            fts5_query(r#"say "it's ""quoted"#).as_deref(),
            Some(r#"("say" "it's " "quoted")"#)
        );
    }

    #[test]
    fn exclusion_prefix_and_or_are_understood() {
        assert_eq!(
            fts5_query("mfa -sms hard* OR key").as_deref(),
            Some(r#"("mfa" "hard"* OR "key") NOT "sms""#)
        );
        assert_eq!(
            fts5_query(r#""sim swap"*"#).as_deref(),
            Some(r#"("sim swap"*)"#)
        );
    }

    #[test]
    fn nothing_searchable_is_none() {
        for q in ["", "   ", "(((", "-sms", "OR", "* - \"\"", "🙂"] {
            assert_eq!(fts5_query(q), None, "{q}");
        }
        assert_eq!(fts5_query("OR mfa").as_deref(), Some(r#"("mfa")"#));
    }

    #[test]
    fn snippets_split_on_the_marks_only() {
        let s = format!("a <b> {HIT_START}hit{HIT_END} & c");
        assert_eq!(
            snippet_parts(&s),
            [
                (false, "a <b> ".to_owned()),
                (true, "hit".to_owned()),
                (false, " & c".to_owned())
            ]
        );
        assert_eq!(snippet_text(&s), "a <b> hit & c");
    }

    #[test]
    fn indexed_text_cannot_carry_marks() {
        let mut doc = debrief_core::demo::documents().unwrap().remove(0);
        doc.summary = format!("x{HIT_START}y{HIT_END}z");
        assert_eq!(index_text(&doc).summary, "xyz");
    }
}
