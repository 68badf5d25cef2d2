//! Action items across every incident: the read behind the action-item
//! list, its reviews and the trackers' views.
//!
//! [`Store::tracked_actions`] answers core [`TrackedAction`]s: each item
//! with the header fields of its incident that a list shows (key, title,
//! severity, category, status, detection time and the day horizons count
//! from).
//!
//! # Where each filter runs
//!
//! Everything cheap runs in SQL, on the `action_items` table alone: the
//! caller's visibility (a subquery on incidents and memberships, never a
//! list of ids), owner, team, statuses, priority, the due window, overdue
//! (`due < today` and the status not closed) and the title text (lower-cased
//! `LIKE`). The horizon depends on the incident's base day, which the two
//! dialects cannot subtract alike, so it is checked in Rust
//! ([`ActionFilter::matches`]).
//!
//! Without a horizon filter the count and the page come from SQL (`COUNT`,
//! `LIMIT`/`OFFSET`) and only the page's incident headers are read. With
//! one, a first pass reads only the id, incident and due day of every SQL
//! match (and the headers of their incidents), decides the horizon, counts
//! and cuts the page; a second reads the page's rows by id. Parsing whole
//! rows (their JSON columns) is what costs, so only a page's are parsed. Items are
//! ordered by due day (none last), then incident and number. The due and
//! team indexes come with migration `m20261122_000007_action_index`.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use debrief_core::Horizon;
use debrief_core::followup::{ActionFilter, IncidentRef, TrackedAction, closed_statuses};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, Order};
use sea_orm::{
    ColumnTrait, Condition, DatabaseTransaction, DbErr, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use uuid::Uuid;

use crate::convert;
use crate::entity::{action_items, incidents};
use crate::incidents::visible;
use crate::{IncidentKey, Page, Store, StoreError, Visibility};

/// Incident ids per `IN (...)` when reading a page's headers.
const ID_CHUNK: usize = 500;

/// The header fields a tracked item carries.
#[derive(Debug, FromQueryResult)]
struct HeaderRow {
    id: Uuid,
    key: String,
    title: String,
    severity: String,
    category: Option<String>,
    status: String,
    detected_at: Option<DateTime<Utc>>,
    first_activity_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

fn bad(column: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(DbErr::Type(format!("incidents.{column}: {e}")))
}

impl HeaderRow {
    fn into_ref(self) -> Result<IncidentRef, StoreError> {
        let base = self
            .detected_at
            .or(self.first_activity_at)
            .unwrap_or(self.created_at);
        Ok(IncidentRef {
            key: IncidentKey::parse(&self.key).map_err(|e| bad("key", e))?,
            title: self.title,
            severity: self.severity.parse().map_err(|e| bad("severity", e))?,
            category: self.category,
            status: self.status.parse().map_err(|e| bad("status", e))?,
            detected: self.detected_at,
            horizon_base: Some(base.date_naive()),
        })
    }
}

/// `%text%` for `LIKE ... ESCAPE '\'`, with the wildcards in `text` escaped.
fn contains_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// The SQL part of `filter` on `today`, visibility included.
fn condition(visibility: &Visibility, filter: &ActionFilter, today: NaiveDate) -> Condition {
    use action_items::Column as C;
    let mut cond = Condition::all();
    if let Some(v) = visible(visibility) {
        let ids = incidents::Entity::find()
            .select_only()
            .column(incidents::Column::Id)
            .filter(v)
            .into_query();
        cond = cond.add(C::IncidentId.in_subquery(ids));
    }
    if let Some(o) = &filter.owner {
        cond = cond.add(C::Owner.eq(o.as_str()));
    }
    if let Some(t) = &filter.team {
        cond = cond.add(C::Team.eq(t.as_str()));
    }
    if !filter.statuses.is_empty() {
        cond = cond.add(C::Status.is_in(filter.statuses.iter().map(|s| s.as_str())));
    }
    if let Some(p) = filter.priority {
        cond = cond.add(C::Priority.eq(p.as_str()));
    }
    if let Some(f) = filter.due_from {
        cond = cond.add(C::Due.gte(f));
    }
    if let Some(t) = filter.due_to {
        cond = cond.add(C::Due.lte(t));
    }
    if filter.overdue {
        cond = cond
            .add(C::Due.lt(today))
            .add(C::Status.is_not_in(closed_statuses().into_iter().map(|s| s.as_str())));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        cond = cond.add(
            Expr::expr(Func::lower(Expr::col(C::Title)))
                .like(LikeExpr::new(contains_pattern(&q.to_lowercase())).escape('\\')),
        );
    }
    cond
}

impl Store {
    /// Every action item `visibility` lets the caller see that passes
    /// `filter` on `today`, with its incident's header; ordered by due day
    /// (none last), then incident and number. `limit` of `None` answers
    /// every match; `total` counts every match either way.
    ///
    /// See the module documentation for which conditions run in SQL.
    pub async fn tracked_actions(
        &self,
        visibility: &Visibility,
        filter: &ActionFilter,
        today: NaiveDate,
        limit: Option<u64>,
        offset: u64,
    ) -> Result<Page<TrackedAction>, StoreError> {
        use action_items::Column as C;
        let txn = self.read_txn().await?;
        let query = action_items::Entity::find()
            .filter(condition(visibility, filter, today))
            .order_by(Expr::col(C::Due).is_null(), Order::Asc)
            .order_by_asc(C::Due)
            .order_by_asc(C::IncidentId)
            .order_by_asc(C::Number);
        let skip = usize::try_from(offset).unwrap_or(usize::MAX);
        let take = limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
        let (rows, total, headers) = if let Some(horizon) = filter.horizon {
            // Pass 1: only id, incident and due day of every SQL match, in
            // list order; the horizon needs the incident's base day.
            let keys: Vec<(Uuid, Uuid, Option<NaiveDate>)> = query
                .select_only()
                .columns([C::Id, C::IncidentId, C::Due])
                .into_tuple()
                .all(&txn)
                .await?;
            let headers = headers(&txn, keys.iter().map(|k| k.1)).await?;
            let picked: Vec<Uuid> = keys
                .into_iter()
                .filter(|(_, incident, due)| {
                    let base = headers.get(incident).and_then(|h| h.horizon_base);
                    matches!((base, due), (Some(b), Some(d)) if Horizon::for_due(b, *d) == horizon)
                })
                .map(|k| k.0)
                .collect();
            let total = u64::try_from(picked.len()).unwrap_or(u64::MAX);
            // Pass 2: the whole rows of the page only.
            let page: Vec<Uuid> = picked.into_iter().skip(skip).take(take).collect();
            let mut by_id = HashMap::with_capacity(page.len());
            for chunk in page.chunks(ID_CHUNK) {
                for row in action_items::Entity::find()
                    .filter(C::Id.is_in(chunk.iter().copied()))
                    .all(&txn)
                    .await?
                {
                    by_id.insert(row.id, row);
                }
            }
            let rows: Vec<_> = page.iter().filter_map(|id| by_id.remove(id)).collect();
            (rows, total, headers)
        } else {
            let (rows, total) = match limit {
                Some(limit) => {
                    let total = query.clone().count(&txn).await?;
                    (query.limit(limit).offset(offset).all(&txn).await?, total)
                }
                None => {
                    let rows = query.all(&txn).await?;
                    let total = u64::try_from(rows.len()).unwrap_or(u64::MAX);
                    (rows.into_iter().skip(skip).collect(), total)
                }
            };
            let headers = headers(&txn, rows.iter().map(|r| r.incident_id)).await?;
            (rows, total, headers)
        };
        txn.commit().await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some(incident) = headers.get(&row.incident_id) {
                let item = convert::action_item(row)?;
                items.push(TrackedAction::new(incident.clone(), item, today));
            }
        }
        Ok(Page { items, total })
    }
}

/// The headers of the incidents `ids` (repeats allowed), by id.
async fn headers(
    txn: &DatabaseTransaction,
    ids: impl Iterator<Item = Uuid>,
) -> Result<HashMap<Uuid, IncidentRef>, StoreError> {
    let mut ids: Vec<Uuid> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    let mut headers = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(ID_CHUNK) {
        let found = incidents::Entity::find()
            .select_only()
            .columns([
                incidents::Column::Id,
                incidents::Column::Key,
                incidents::Column::Title,
                incidents::Column::Severity,
                incidents::Column::Category,
                incidents::Column::Status,
                incidents::Column::DetectedAt,
                incidents::Column::FirstActivityAt,
                incidents::Column::CreatedAt,
            ])
            .filter(incidents::Column::Id.is_in(chunk.iter().copied()))
            .into_model::<HeaderRow>()
            .all(txn)
            .await?;
        for h in found {
            headers.insert(h.id, h.into_ref()?);
        }
    }
    Ok(headers)
}
