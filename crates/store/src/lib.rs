//! Persistence for debrief: one codebase on sea-orm for SQLite (the embedded
//! default) and PostgreSQL (the scale-out path), chosen by the database URL.
//!
//! The unit of exchange is the core [`PostMortem`] document, but the schema is
//! normalized: the incident header lives in `incidents` and every section in
//! a table of its own (`timeline_entries`, `five_whys`, `root_causes`,
//! `fishbone_causes`, `fmea_rows`, `findings`, `action_items`, `lessons`), so
//! that lists, filters and bulk timeline imports never have to read or write
//! whole documents. JSON columns hold only small nested lists (details,
//! facts, tags, status history...).
//!
//! Every write is one transaction that
//! 1. raises the incident's version with `UPDATE incidents SET version =
//!    version + 1 ... WHERE key = ? AND version = ?` and checks the rows
//!    affected; that row lock is what makes optimistic concurrency hold across
//!    several server processes on one PostgreSQL (on SQLite, write
//!    transactions start with `BEGIN IMMEDIATE`, so writers queue up instead
//!    of failing on a lock upgrade);
//! 2. loads what it needs and applies the change with the core domain types;
//! 3. validates with the core rules and returns [`StoreError::Invalid`] with
//!    field paths before anything is committed.
//!
//! A failed write of any kind leaves the database exactly as it was.
//!
//! Every write also takes a [`Ctx`] (who acts, when, from where) and appends
//! exactly one entry to the hash-chained audit trail ([`audit`]) inside the
//! same transaction, as its last statement: a change without its audit
//! entry, or an audit entry for a change that rolled back, cannot happen.
//! Accounts, sessions, API tokens, MFA and restricted incidents live in
//! [`accounts`].

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, IsolationLevel, QueryOrder, Set, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use debrief_auth::{Secret, ThrottlePolicy, TotpSecret};
pub use debrief_core::access::{IncidentAccess, Principal, Scope, UserRole};
pub use debrief_core::audit::{AuditEntry, Verification};
pub use debrief_core::{
    ActionItem, Communications, FishboneCause, FiveWhys, FmeaRow, IncidentKey, IncidentStatus,
    Lesson, PostMortem, PostmortemStatus, PostmortemType, RootCause, Severity, TimelineEntry,
    ValidationErrors,
};
pub use debrief_core::{Finding, IncidentPatch, NewIncident};
pub use uuid::Uuid;

pub use accounts::{
    ApiToken, BACKUP_CODE_TTL_DAYS, IncidentGate, LoginOutcome, MfaOutcome, NewUser, Notification,
    SessionInfo, SessionPolicy, User,
};
pub use audit::AuditFilter;
pub use knowledge::{CategoryCount, KnowledgeNote};
pub use outbox::{DueCandidate, NewEvent};
pub use search::{SearchHit, SearchPage, SearchQuery};
pub use webhooks::{
    Attempt, AttemptRecord, Delivery, DeliveryStatus, DueDelivery, NewWebhook, NextStep, Webhook,
    WebhookFormat,
};

pub mod accounts;
mod actions;
pub mod audit;
mod convert;
mod dashboard;
pub mod entity;
pub mod feeds;
mod incidents;
pub mod knowledge;
pub mod migration;
pub mod outbox;
pub mod search;
mod sections;
pub mod similar;
pub mod testing;
pub mod tracker;
pub mod webhooks;

use entity::categories;

/// The database behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file (or memory) database.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The incident, item, user or token does not exist, e.g. "incident INC-2025-9999".
    #[error("{what} not found")]
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// Something with that identity exists already, e.g. "incident
    /// INC-2025-1128" on create, or on import without replace.
    #[error("{what} already exists")]
    AlreadyExists {
        /// What collided.
        what: String,
    },
    /// The write named a version that is no longer current; nothing was written.
    #[error(
        "version mismatch: the change was made against version {expected}, but the incident is at version {actual}"
    )]
    VersionMismatch {
        /// The version the caller had.
        expected: i64,
        /// The version stored.
        actual: i64,
    },
    /// The change breaks a domain rule; nothing was written.
    #[error("invalid input: {0}")]
    Invalid(ValidationErrors),
    /// Anything else the database reported.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

impl StoreError {
    /// An [`StoreError::Invalid`] naming one field.
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errs = ValidationErrors::default();
        errs.push(field, message);
        StoreError::Invalid(errs)
    }

    /// Turns a non-empty list of problems into an error.
    pub(crate) fn check(errs: ValidationErrors) -> Result<(), StoreError> {
        errs.into_result().map_err(StoreError::Invalid)
    }

    pub(crate) fn incident_not_found(key: &IncidentKey) -> Self {
        StoreError::NotFound {
            what: format!("incident {key}"),
        }
    }
}

/// Who acts, when, from where: passed to every write and recorded in the
/// audit trail.
///
/// The time is a parameter like everywhere else in debrief: the store never
/// reads the clock for a write.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// When the write happens; becomes `updated_at` and the audit time.
    pub now: DateTime<Utc>,
    /// Who acts.
    pub actor: Actor,
    /// The source address of the request, if any.
    pub source: Option<String>,
    /// The request id the user can quote, if any.
    pub request_id: Option<String>,
}

/// Someone who acts, as the audit trail names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user's id; `None` for the system and for anonymous callers.
    pub user_id: Option<Uuid>,
    /// The user's name, `system` or `anonymous`.
    pub name: String,
}

impl Actor {
    /// The installation itself: the CLI, demo loading, migrations.
    pub fn system() -> Actor {
        Actor {
            user_id: None,
            name: "system".to_owned(),
        }
    }

    /// A caller who has not (yet) proved who they are, e.g. before login.
    pub fn anonymous() -> Actor {
        Actor {
            user_id: None,
            name: "anonymous".to_owned(),
        }
    }

    /// A known user.
    pub fn user(user_id: Uuid, name: impl Into<String>) -> Actor {
        Actor {
            user_id: Some(user_id),
            name: name.into(),
        }
    }
}

impl From<&Principal> for Actor {
    fn from(p: &Principal) -> Actor {
        Actor::user(p.user_id, p.name.clone())
    }
}

impl From<&User> for Actor {
    fn from(u: &User) -> Actor {
        Actor::user(u.id, u.name.clone())
    }
}

impl Ctx {
    /// A context for the system acting at `now`: the CLI and demo loading.
    pub fn system(now: DateTime<Utc>) -> Ctx {
        Ctx::new(now, Actor::system())
    }

    /// A context for `actor` at `now`, without source or request id.
    pub fn new(now: DateTime<Utc>, actor: Actor) -> Ctx {
        Ctx {
            now,
            actor,
            source: None,
            request_id: None,
        }
    }

    /// The same context with a source address.
    pub fn with_source(mut self, source: impl Into<String>) -> Ctx {
        self.source = Some(source.into());
        self
    }

    /// The same context with a request id.
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Ctx {
        self.request_id = Some(request_id.into());
        self
    }

    /// The same context with another actor (e.g. the user who just logged in).
    pub(crate) fn as_actor(&self, actor: Actor) -> Ctx {
        Ctx {
            actor,
            ..self.clone()
        }
    }
}

/// Which incidents a caller may see in lists: everything, or what one user
/// may see (unrestricted incidents and the restricted ones they are a
/// member of). Filtering happens in SQL, so totals and pages are right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Every incident: admins, auditors, the CLI.
    All,
    /// Unrestricted incidents and those the user is a member of.
    User(Uuid),
}

impl Visibility {
    /// What `p` may see: everything for roles that see all incidents,
    /// otherwise unrestricted ones plus memberships.
    pub fn for_principal(p: &Principal) -> Visibility {
        if p.role.sees_all_incidents() {
            Visibility::All
        } else {
            Visibility::User(p.user_id)
        }
    }
}

/// How [`Store::list`] orders incidents. Ties are broken by key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Most recently detected first; undetected incidents last.
    #[default]
    DetectedDesc,
    /// Earliest detected first; undetected incidents last.
    DetectedAsc,
    /// Most recently changed first.
    UpdatedDesc,
    /// Critical first, then by detection time, newest first.
    Severity,
    /// By key, ascending.
    Key,
}

impl SortOrder {
    /// The stable text form, as in a query string.
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::DetectedDesc => "detected_desc",
            SortOrder::DetectedAsc => "detected_asc",
            SortOrder::UpdatedDesc => "updated_desc",
            SortOrder::Severity => "severity",
            SortOrder::Key => "key",
        }
    }
}

impl FromStr for SortOrder {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "detected_desc" | "-detected" => Ok(SortOrder::DetectedDesc),
            "detected_asc" | "detected" => Ok(SortOrder::DetectedAsc),
            "updated_desc" | "-updated" => Ok(SortOrder::UpdatedDesc),
            "severity" => Ok(SortOrder::Severity),
            "key" => Ok(SortOrder::Key),
            _ => Err(format!(
                "`{s}` is not one of: detected_desc, detected_asc, updated_desc, severity, key"
            )),
        }
    }
}

impl fmt::Display for SortOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The default page size of [`Store::list`].
pub const DEFAULT_LIMIT: u64 = 50;
/// The largest page [`Store::list`] returns.
pub const MAX_LIMIT: u64 = 500;

/// Which incidents [`Store::list`] returns, in which order, which page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentFilter {
    /// Only incidents with this status.
    pub status: Option<IncidentStatus>,
    /// Only incidents of this severity.
    pub severity: Option<Severity>,
    /// Only incidents in this category (exact name).
    pub category: Option<String>,
    /// Only incidents whose post-mortem types include this one.
    pub types: Option<PostmortemType>,
    /// Case-insensitive substring of the key, title or summary.
    pub q: Option<String>,
    /// Only incidents detected at or after this instant.
    pub detected_from: Option<DateTime<Utc>>,
    /// Only incidents detected at or before this instant.
    pub detected_to: Option<DateTime<Utc>>,
    /// Order of the results.
    pub sort: SortOrder,
    /// Page size: [`DEFAULT_LIMIT`] when 0, at most [`MAX_LIMIT`].
    pub limit: u64,
    /// Number of results to skip.
    pub offset: u64,
}

impl Default for IncidentFilter {
    fn default() -> Self {
        Self {
            status: None,
            severity: None,
            category: None,
            types: None,
            q: None,
            detected_from: None,
            detected_to: None,
            sort: SortOrder::default(),
            limit: DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

impl IncidentFilter {
    /// The page size actually used: 0 means the default, and the maximum caps it.
    pub fn effective_limit(&self) -> u64 {
        match self.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        }
    }
}

/// One page of results and the total number of matches.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Page<T> {
    /// The results on this page.
    pub items: Vec<T>,
    /// How many results match the filter, over all pages.
    pub total: u64,
}

/// One line of the incident list.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IncidentSummary {
    /// Key, e.g. `INC-2025-1128`.
    pub key: IncidentKey,
    /// Short title.
    pub title: String,
    /// Category, if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Post-mortem types.
    pub types: Vec<PostmortemType>,
    /// Current severity.
    pub severity: Severity,
    /// Incident status.
    pub status: IncidentStatus,
    /// Post-mortem status.
    pub postmortem_status: PostmortemStatus,
    /// When the incident was detected.
    #[serde(with = "debrief_core::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub detected: Option<DateTime<Utc>>,
    /// Action items not yet complete, verified or dropped.
    pub action_items_open: u64,
    /// Current version.
    pub version: i64,
    /// When the incident last changed.
    #[serde(with = "debrief_core::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: DateTime<Utc>,
}

/// The sections of a post-mortem that hold lists of items. The serde form
/// is the [`Section::as_str`] text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// `timeline`
    Timeline,
    /// `five_whys`
    FiveWhys,
    /// `root_causes`
    RootCauses,
    /// `fishbone_causes`
    FishboneCauses,
    /// `fmea`
    Fmea,
    /// `went_well`
    WentWell,
    /// `went_wrong`
    WentWrong,
    /// `action_items`
    ActionItems,
    /// `lessons`
    Lessons,
}

impl Section {
    /// Every section, in document order.
    pub const ALL: &'static [Section] = &[
        Section::Timeline,
        Section::FiveWhys,
        Section::RootCauses,
        Section::FishboneCauses,
        Section::Fmea,
        Section::WentWell,
        Section::WentWrong,
        Section::ActionItems,
        Section::Lessons,
    ];

    /// The stable text form, as in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Timeline => "timeline",
            Section::FiveWhys => "five_whys",
            Section::RootCauses => "root_causes",
            Section::FishboneCauses => "fishbone_causes",
            Section::Fmea => "fmea",
            Section::WentWell => "went_well",
            Section::WentWrong => "went_wrong",
            Section::ActionItems => "action_items",
            Section::Lessons => "lessons",
        }
    }

    /// What one item of the section is called in messages.
    pub fn item_name(self) -> &'static str {
        match self {
            Section::Timeline => "timeline entry",
            Section::FiveWhys => "5 whys chain",
            Section::RootCauses => "root cause",
            Section::FishboneCauses => "fishbone cause",
            Section::Fmea => "FMEA row",
            Section::WentWell => "went-well finding",
            Section::WentWrong => "went-wrong finding",
            Section::ActionItems => "action item",
            Section::Lessons => "lesson",
        }
    }
}

impl FromStr for Section {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Section::ALL
            .iter()
            .copied()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "`{s}` is not one of: {}",
                    Section::ALL
                        .iter()
                        .map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One item of one section, as added or replaced through the item API.
#[derive(Debug, Clone, PartialEq)]
pub enum SectionItem {
    /// A timeline entry.
    Timeline(TimelineEntry),
    /// A 5 Whys chain.
    FiveWhys(FiveWhys),
    /// A root cause, contributing factor or systemic issue.
    RootCause(RootCause),
    /// A fishbone cause.
    FishboneCause(FishboneCause),
    /// An FMEA row.
    Fmea(FmeaRow),
    /// Something that went well.
    WentWell(Finding),
    /// Something that went wrong.
    WentWrong(Finding),
    /// An action item.
    ActionItem(ActionItem),
    /// A lesson learned.
    Lesson(Lesson),
}

impl SectionItem {
    /// The section the item belongs to.
    pub fn section(&self) -> Section {
        match self {
            SectionItem::Timeline(_) => Section::Timeline,
            SectionItem::FiveWhys(_) => Section::FiveWhys,
            SectionItem::RootCause(_) => Section::RootCauses,
            SectionItem::FishboneCause(_) => Section::FishboneCauses,
            SectionItem::Fmea(_) => Section::Fmea,
            SectionItem::WentWell(_) => Section::WentWell,
            SectionItem::WentWrong(_) => Section::WentWrong,
            SectionItem::ActionItem(_) => Section::ActionItems,
            SectionItem::Lesson(_) => Section::Lessons,
        }
    }

    /// Reads the body of an item of `section` (e.g. a request body), so a
    /// caller can wrap the deserializer with `serde_path_to_error` for paths.
    pub fn deserialize_for<'de, D: serde::Deserializer<'de>>(
        section: Section,
        d: D,
    ) -> Result<Self, D::Error> {
        Ok(match section {
            Section::Timeline => SectionItem::Timeline(Deserialize::deserialize(d)?),
            Section::FiveWhys => SectionItem::FiveWhys(Deserialize::deserialize(d)?),
            Section::RootCauses => SectionItem::RootCause(Deserialize::deserialize(d)?),
            Section::FishboneCauses => SectionItem::FishboneCause(Deserialize::deserialize(d)?),
            Section::Fmea => SectionItem::Fmea(Deserialize::deserialize(d)?),
            Section::WentWell => SectionItem::WentWell(Deserialize::deserialize(d)?),
            Section::WentWrong => SectionItem::WentWrong(Deserialize::deserialize(d)?),
            Section::ActionItems => SectionItem::ActionItem(Deserialize::deserialize(d)?),
            Section::Lessons => SectionItem::Lesson(Deserialize::deserialize(d)?),
        })
    }

    /// The item's id (nil when the server is to assign one).
    pub fn id(&self) -> Uuid {
        match self {
            SectionItem::Timeline(x) => x.id,
            SectionItem::FiveWhys(x) => x.id,
            SectionItem::RootCause(x) => x.id,
            SectionItem::FishboneCause(x) => x.id,
            SectionItem::Fmea(x) => x.id,
            SectionItem::WentWell(x) | SectionItem::WentWrong(x) => x.id,
            SectionItem::ActionItem(x) => x.id,
            SectionItem::Lesson(x) => x.id,
        }
    }

    /// Sets the item's id.
    pub fn set_id(&mut self, id: Uuid) {
        match self {
            SectionItem::Timeline(x) => x.id = id,
            SectionItem::FiveWhys(x) => x.id = id,
            SectionItem::RootCause(x) => x.id = id,
            SectionItem::FishboneCause(x) => x.id = id,
            SectionItem::Fmea(x) => x.id = id,
            SectionItem::WentWell(x) | SectionItem::WentWrong(x) => x.id = id,
            SectionItem::ActionItem(x) => x.id = id,
            SectionItem::Lesson(x) => x.id = id,
        }
    }
}

/// The persistence layer: a pool of connections to one database. Cloning is
/// cheap and shares the pool.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) db: DatabaseConnection,
    backend: Backend,
    /// Back-off after failed logins and MFA attempts.
    pub(crate) throttle: ThrottlePolicy,
    /// Lifetime given to sessions made at login.
    pub(crate) sessions: SessionPolicy,
    /// A temporary directory holding the database file, removed when the
    /// last clone of the store is dropped (test stores only).
    pub(crate) temp_dir: Option<std::sync::Arc<tempfile::TempDir>>,
}

/// The PostgreSQL advisory lock key that serializes migrations ("debrief"
/// in ASCII).
const MIGRATION_LOCK: i64 = 0x0064_6562_7269_6566;

/// How long a SQLite connection waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

impl Store {
    /// Connects to the database named by `url`:
    /// - `sqlite://path/to/file.db` (the file is created when missing) or
    ///   `sqlite::memory:`;
    /// - `postgres://user@host:port/db` (or `postgresql://`).
    ///
    /// SQLite connections run in WAL mode with `synchronous=FULL` (a committed
    /// post-mortem survives a power cut), foreign keys on and a 5 s busy
    /// timeout, set on every pooled connection.
    ///
    /// Does not migrate: call [`Store::migrate`].
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.sqlx_logging(false);
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::Database(DbErr::Custom(format!(
                "unsupported database URL `{}`; use sqlite://path/to/file.db, sqlite::memory: or postgres://...",
                redact(url)
            ))));
        };
        if backend == Backend::Sqlite {
            let memory = url.contains(":memory:") || url.contains("mode=memory");
            opts.map_sqlx_sqlite_opts(move |o| {
                let o = o
                    .foreign_keys(true)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .synchronous(SqliteSynchronous::Full)
                    // 16 MiB of page cache per connection (the default is
                    // 2 MiB): bulk timeline imports touch many index pages.
                    .pragma("cache_size", "-16384");
                if memory {
                    o
                } else {
                    o.create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                }
            });
            if memory {
                // Every connection to `:memory:` is a database of its own, and
                // it vanishes with its connection: keep exactly one, forever.
                opts.max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None);
            } else {
                // WAL lets readers run beside the one writer.
                opts.max_connections(8).min_connections(1);
            }
        } else {
            opts.max_connections(16);
        }
        let db = Database::connect(opts).await?;
        Ok(Store {
            db,
            backend,
            throttle: ThrottlePolicy::default(),
            sessions: SessionPolicy::default(),
            temp_dir: None,
        })
    }

    /// The same store with another back-off policy for failed logins and
    /// MFA attempts (the default allows 5 free failures, then doubles).
    pub fn with_throttle_policy(mut self, policy: ThrottlePolicy) -> Store {
        self.throttle = policy;
        self
    }

    /// The same store with another session lifetime; [`Store::login`] sets
    /// a new session's absolute expiry from it.
    pub fn with_session_policy(mut self, policy: SessionPolicy) -> Store {
        self.sessions = policy;
        self
    }

    /// Which database this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The underlying sea-orm connection, for code that needs raw access
    /// (full-text search, administration).
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Brings the schema up to date. Migrations are append-only.
    ///
    /// On PostgreSQL the migration runs in one transaction under an advisory
    /// lock: when several servers start at once, the first migrates and the
    /// others wait, then find nothing left to do.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => migration::Migrator::up(&self.db, None).await?,
            Backend::Postgres => {
                let txn = self.db.begin().await?;
                txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
                    .await?;
                migration::Migrator::up(&txn, None).await?;
                txn.commit().await?;
            }
        }
        Ok(())
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await?;
        Ok(())
    }

    /// The managed list of incident categories, sorted by name.
    pub async fn categories(&self) -> Result<Vec<String>, StoreError> {
        let rows = categories::Entity::find()
            .order_by_asc(categories::Column::Name)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|c| c.name).collect())
    }

    /// Adds a category to the managed list; adding one that exists is a no-op
    /// (and leaves no audit entry). A blank name is refused.
    pub async fn add_category(&self, name: &str, ctx: &Ctx) -> Result<(), StoreError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::invalid("name", "must not be empty"));
        }
        if name.chars().count() > MAX_CATEGORY {
            return Err(StoreError::invalid(
                "name",
                format!("is longer than {MAX_CATEGORY} characters"),
            ));
        }
        let txn = self.write_txn().await?;
        if ensure_category(&txn, name, ctx.now).await? {
            audit::append(
                &txn,
                ctx,
                "category.create",
                &format!("category:{name}"),
                None,
                Some(audit::json(&serde_json::json!({ "name": name }))),
            )
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE`: the
    /// write lock is taken up front, so two writers queue (up to the busy
    /// timeout) instead of one failing when it upgrades a read lock.
    pub(crate) async fn write_txn(&self) -> Result<DatabaseTransaction, StoreError> {
        let opts = match self.backend {
            Backend::Sqlite => TransactionOptions {
                sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                ..Default::default()
            },
            Backend::Postgres => TransactionOptions::default(),
        };
        Ok(self.db.begin_with_options(opts).await?)
    }

    /// Starts a read transaction: several queries that see one snapshot, so a
    /// document is never assembled from two versions.
    pub(crate) async fn read_txn(&self) -> Result<DatabaseTransaction, StoreError> {
        let opts = match self.backend {
            // A deferred SQLite transaction reads from one snapshot from its
            // first read on.
            Backend::Sqlite => TransactionOptions::default(),
            Backend::Postgres => TransactionOptions {
                isolation_level: Some(IsolationLevel::RepeatableRead),
                access_mode: Some(sea_orm::AccessMode::ReadOnly),
                ..Default::default()
            },
        };
        Ok(self.db.begin_with_options(opts).await?)
    }
}

/// Longest category name, in characters.
pub const MAX_CATEGORY: usize = 100;

/// Inserts a category unless it exists; true when it was inserted.
pub(crate) async fn ensure_category<C: ConnectionTrait>(
    conn: &C,
    name: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    // ON CONFLICT DO NOTHING: two servers adding the same category at once
    // must both succeed.
    let inserted = categories::Entity::insert(categories::ActiveModel {
        name: Set(name.to_owned()),
        created_at: Set(now),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(conn)
    .await?;
    Ok(matches!(inserted, sea_orm::TryInsertResult::Inserted(n) if n > 0))
}

/// The URL without a password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
