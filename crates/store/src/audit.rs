//! The tamper-evident audit trail: one hash-chained row per write, login
//! event and read of a restricted incident.
//!
//! Rows are appended by [`append`] inside the transaction of the write they
//! record, as its last statement, so the trail and the data never disagree.
//! The application only ever inserts into `audit_log`: nothing here (or
//! anywhere else in the store) updates or deletes a row. The chain itself
//! is [`debrief_core::audit`]: each row's hash covers the previous hash and
//! a canonical, length-prefixed encoding of the row.
//!
//! Appends are serialized so that seq numbers have no gaps and every row
//! chains onto the row before it: on SQLite by the write lock every write
//! transaction takes up front (`BEGIN IMMEDIATE`), on PostgreSQL by a
//! transaction-scoped advisory lock, which also orders appends from
//! several server processes sharing one database.

use chrono::{DateTime, Utc};
use debrief_core::audit::{AuditEvent, GENESIS, Verifier};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use crate::entity::audit_log;
use crate::{AuditEntry, Ctx, Page, Store, StoreError, Verification};

/// The PostgreSQL advisory lock key that serializes audit appends ("audit"
/// in ASCII), distinct from the migration lock.
const AUDIT_LOCK: i64 = 0x0061_7564_6974;

/// Rows read per query by [`Store::audit_verify`].
const VERIFY_PAGE: u64 = 1_000;

/// The default page size of [`Store::audit_list`].
pub const DEFAULT_AUDIT_LIMIT: u64 = 100;
/// The largest page [`Store::audit_list`] returns.
pub const MAX_AUDIT_LIMIT: u64 = 1_000;

/// Which audit entries [`Store::audit_list`] returns. Entries come newest
/// first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only entries by this actor (exact name).
    pub actor: Option<String>,
    /// Only entries whose action starts with this, e.g. `login.`.
    pub action: Option<String>,
    /// Only entries whose object starts with this, e.g. `incident:INC-2025-1128`.
    pub object: Option<String>,
    /// Only entries at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only entries at or before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Page size: [`DEFAULT_AUDIT_LIMIT`] when 0, at most [`MAX_AUDIT_LIMIT`].
    pub limit: u64,
    /// Number of entries to skip.
    pub offset: u64,
}

impl AuditFilter {
    /// The page size actually used: 0 means the default, and the maximum caps it.
    pub fn effective_limit(&self) -> u64 {
        match self.limit {
            0 => DEFAULT_AUDIT_LIMIT,
            n => Ord::min(n, MAX_AUDIT_LIMIT),
        }
    }
}

/// Compact JSON of a value for the `before`/`after` of an entry. A value
/// that cannot be serialized (which the store's own types never are)
/// records the failure instead of failing the write.
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("{{\"unserializable\":\"{e}\"}}"))
}

/// Appends one entry to the trail inside `txn` and returns it.
///
/// Call it as the last statement of a write transaction: on PostgreSQL it
/// takes the audit lock, held until commit, and anything done after it
/// would hold up every other writer.
pub(crate) async fn append<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    action: &str,
    object: &str,
    before: Option<String>,
    after: Option<String>,
) -> Result<AuditEntry, StoreError> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({AUDIT_LOCK})"))
            .await?;
    }
    let last: Option<(i64, String)> = audit_log::Entity::find()
        .select_only()
        .column(audit_log::Column::Seq)
        .column(audit_log::Column::Hash)
        .order_by_desc(audit_log::Column::Seq)
        .limit(1)
        .into_tuple()
        .one(txn)
        .await?;
    let (seq, prev) = last.unwrap_or_else(|| (0, GENESIS.to_owned()));
    let entry = AuditEvent {
        at: ctx.now,
        actor: ctx.actor.name.clone(),
        actor_id: ctx.actor.user_id,
        action: action.to_owned(),
        object: object.to_owned(),
        before,
        after,
        source: ctx.source.clone(),
        request_id: ctx.request_id.clone(),
    }
    .chain(seq, &prev);
    let e = &entry.event;
    audit_log::Entity::insert(audit_log::ActiveModel {
        seq: Set(entry.seq),
        at: Set(e.at),
        actor: Set(e.actor.clone()),
        actor_id: Set(e.actor_id),
        action: Set(e.action.clone()),
        object: Set(e.object.clone()),
        before_json: Set(e.before.clone()),
        after_json: Set(e.after.clone()),
        source: Set(e.source.clone()),
        request_id: Set(e.request_id.clone()),
        prev_hash: Set(entry.prev_hash.clone()),
        hash: Set(entry.hash.clone()),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(entry)
}

/// A stored row as a chained entry.
fn entry(m: audit_log::Model) -> AuditEntry {
    AuditEntry {
        seq: m.seq,
        event: AuditEvent {
            at: m.at,
            actor: m.actor,
            actor_id: m.actor_id,
            action: m.action,
            object: m.object,
            before: m.before_json,
            after: m.after_json,
            source: m.source,
            request_id: m.request_id,
        },
        prev_hash: m.prev_hash,
        hash: m.hash,
    }
}

/// A LIKE pattern matching values that start with `text`, with LIKE's
/// wildcards escaped by `\`.
fn prefix_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl Store {
    /// Records an event that is not part of another write, such as a read
    /// of a restricted incident, in a transaction of its own.
    pub async fn audit_record(
        &self,
        ctx: &Ctx,
        action: &str,
        object: &str,
        before: Option<String>,
        after: Option<String>,
    ) -> Result<(), StoreError> {
        let txn = self.write_txn().await?;
        append(&txn, ctx, action, object, before, after).await?;
        txn.commit().await?;
        Ok(())
    }

    /// One page of audit entries matching `filter`, newest first, and how
    /// many match in all.
    pub async fn audit_list(&self, filter: &AuditFilter) -> Result<Page<AuditEntry>, StoreError> {
        use audit_log::Column as C;
        let mut cond = Condition::all();
        if let Some(actor) = &filter.actor {
            cond = cond.add(C::Actor.eq(actor.as_str()));
        }
        for (col, prefix) in [(C::Action, &filter.action), (C::Object, &filter.object)] {
            if let Some(p) = prefix.as_deref().filter(|p| !p.is_empty()) {
                cond = cond.add(Expr::col(col).like(LikeExpr::new(prefix_pattern(p)).escape('\\')));
            }
        }
        if let Some(from) = filter.from {
            cond = cond.add(C::At.gte(from));
        }
        if let Some(to) = filter.to {
            cond = cond.add(C::At.lte(to));
        }
        let txn = self.read_txn().await?;
        let base = audit_log::Entity::find().filter(cond);
        let total = base.clone().count(&txn).await?;
        let rows = base
            .order_by_desc(C::Seq)
            .limit(filter.effective_limit())
            .offset(filter.offset)
            .all(&txn)
            .await?;
        txn.commit().await?;
        Ok(Page {
            items: rows.into_iter().map(entry).collect(),
            total,
        })
    }

    /// Walks the whole trail in seq order and reports the first broken
    /// link. With `known_head` (a head hash kept outside the database), a
    /// trail whose tail was cut is reported too.
    ///
    /// Rows are read [`VERIFY_PAGE`] at a time, so a long trail is checked
    /// in constant memory.
    pub async fn audit_verify(
        &self,
        known_head: Option<String>,
    ) -> Result<Verification, StoreError> {
        let mut verifier = Verifier::new(known_head);
        let mut after: Option<i64> = None;
        loop {
            let mut q = audit_log::Entity::find().order_by_asc(audit_log::Column::Seq);
            if let Some(seq) = after {
                q = q.filter(audit_log::Column::Seq.gt(seq));
            }
            let rows = q.limit(VERIFY_PAGE).all(&self.db).await?;
            let Some(last) = rows.last().map(|r| r.seq) else {
                break;
            };
            let full = rows.len() as u64 == VERIFY_PAGE;
            for row in rows {
                verifier.push(&entry(row));
            }
            after = Some(last);
            if !full {
                break;
            }
        }
        Ok(verifier.finish())
    }

    /// The seq and hash of the newest entry, `None` for an empty trail:
    /// the value to keep outside the database (`debrief audit head`).
    pub async fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError> {
        Ok(audit_log::Entity::find()
            .select_only()
            .column(audit_log::Column::Seq)
            .column(audit_log::Column::Hash)
            .order_by_desc(audit_log::Column::Seq)
            .limit(1)
            .into_tuple()
            .one(&self.db)
            .await?)
    }
}
