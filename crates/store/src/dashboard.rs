//! The read behind the metrics dashboard, shaped for a hundred thousand
//! incidents.
//!
//! The dashboard ([`debrief_core::dashboard`]) needs of each incident only
//! its lifecycle times, whether it repeats another, and of each action item
//! only its due day and status. [`Store::dashboard_inputs`] reads exactly
//! those columns (no JSON column is decoded, no text but the key) and
//! returns skeleton documents holding them, so the pure computation runs
//! unchanged on a fraction of the bytes [`Store::headers_and_action_items`]
//! would read.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use debrief_core::action::ActionStatus;
use debrief_core::{ActionItem, IncidentKey, PostMortem};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, QueryTrait};
use uuid::Uuid;

use crate::entity::{action_items, incidents};
use crate::incidents::visible;
use crate::{Store, StoreError, Visibility};

type Times = (
    Uuid,
    String,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<String>,
    DateTime<Utc>,
);

/// An empty document to fill in: cloning it is cheaper than building one.
fn skeleton() -> Result<(PostMortem, ActionItem), StoreError> {
    let bad = |e: serde_json::Error| StoreError::Database(DbErr::Custom(e.to_string()));
    let doc: PostMortem = serde_json::from_value(serde_json::json!({
        "key": "SKEL-0", "title": "", "severity": "low", "status": "open", "postmortem_status": "draft"
    }))
    .map_err(bad)?;
    let item: ActionItem = serde_json::from_value(serde_json::json!({
        "title": "", "priority": "medium", "status": "planned"
    }))
    .map_err(bad)?;
    Ok((doc, item))
}

impl Store {
    /// Every incident `visibility` lets the caller see, as skeleton
    /// documents holding only what the dashboard reads: the key, the
    /// lifecycle times, `repeat_of`, the creation time, and action items
    /// with only their due day and status (and a title left empty). Two
    /// queries in one read transaction.
    ///
    /// Callers that pass [`Visibility::All`] must reveal nothing of
    /// restricted incidents but aggregates.
    pub async fn dashboard_inputs(
        &self,
        visibility: &Visibility,
    ) -> Result<Vec<PostMortem>, StoreError> {
        use incidents::Column as C;
        let (blank, blank_item) = skeleton()?;
        let txn = self.read_txn().await?;
        let mut q = incidents::Entity::find().select_only().columns([
            C::Id,
            C::Key,
            C::FirstActivityAt,
            C::DetectedAt,
            C::RespondedAt,
            C::EscalatedAt,
            C::ContainedAt,
            C::RecoveredAt,
            C::ResolvedAt,
            C::ClosedAt,
            C::RepeatOf,
            C::CreatedAt,
        ]);
        if let Some(v) = visible(visibility) {
            q = q.filter(v);
        }
        let headers: Vec<Times> = q.into_tuple().all(&txn).await?;
        let mut items = action_items::Entity::find().select_only().columns([
            action_items::Column::IncidentId,
            action_items::Column::Due,
            action_items::Column::Status,
        ]);
        if let Some(v) = visible(visibility) {
            let ids = incidents::Entity::find()
                .select_only()
                .column(C::Id)
                .filter(v)
                .into_query();
            items = items.filter(action_items::Column::IncidentId.in_subquery(ids));
        }
        let rows: Vec<(Uuid, Option<NaiveDate>, String)> = items.into_tuple().all(&txn).await?;
        txn.commit().await?;

        let mut by_incident: HashMap<Uuid, Vec<ActionItem>> = HashMap::new();
        for (incident, due, status) in rows {
            let status: ActionStatus = status.parse().map_err(|e: String| {
                StoreError::Database(DbErr::Type(format!("action_items.status: {e}")))
            })?;
            let mut item = blank_item.clone();
            item.due = due;
            item.status = status;
            by_incident.entry(incident).or_default().push(item);
        }
        let key = |k: &str, field: &str| {
            IncidentKey::parse(k)
                .map_err(|e| StoreError::Database(DbErr::Type(format!("incidents.{field}: {e}"))))
        };
        headers
            .into_iter()
            .map(
                |(
                    id,
                    k,
                    first,
                    detected,
                    responded,
                    escalated,
                    contained,
                    recovered,
                    resolved,
                    closed,
                    repeat_of,
                    created,
                )| {
                    let mut doc = blank.clone();
                    doc.key = key(&k, "key")?;
                    doc.lifecycle.first_activity = first;
                    doc.lifecycle.detected = detected;
                    doc.lifecycle.responded = responded;
                    doc.lifecycle.escalated = escalated;
                    doc.lifecycle.contained = contained;
                    doc.lifecycle.recovered = recovered;
                    doc.lifecycle.resolved = resolved;
                    doc.lifecycle.closed = closed;
                    doc.repeat_of = repeat_of
                        .as_deref()
                        .map(|r| key(r, "repeat_of"))
                        .transpose()?;
                    doc.created_at = Some(created);
                    doc.action_items = by_incident.remove(&id).unwrap_or_default();
                    Ok(doc)
                },
            )
            .collect()
    }
}
