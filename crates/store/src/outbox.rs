//! The outbox of action-item events that webhooks deliver.
//!
//! An event is a row in `action_events` plus one `webhook_deliveries` row
//! for every active webhook subscribed to its kind, written together in one
//! transaction. The dispatcher (crate `debrief-notify`) later reads the due
//! deliveries and sends them; nothing here talks to the network.
//!
//! Decisions:
//! - `completed` and `reopened` are written by [`record_action_transition`]
//!   inside the transaction of the action item change that causes them
//!   ([`Store::update_item`]): the event exists exactly when the change
//!   committed, and a slow or broken webhook target cannot hold up or fail
//!   the user's request, which only writes rows.
//! - Due-date events come from a scanner ([`Store::due_candidates`], then
//!   [`Store::enqueue_events`]); `dedupe_key` is unique in the schema, so a
//!   second scan (or a second server scanning at once) adds nothing.
//! - Deliveries are fanned out when the event is written, to the webhooks
//!   active at that moment: a webhook added later does not receive history,
//!   and removing one drops its pending deliveries with it.
//! - Outbox rows written by the scanner are system bookkeeping, not changes
//!   anyone made, so they leave no audit entry (they would flood the trail);
//!   events written with an item change are covered by that change's entry.

use chrono::{DateTime, NaiveDate, Utc};
use debrief_core::notify::{ActionEvent, EventKind, transition_event};
use debrief_core::{ActionItem, ActionStatus};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::convert;
use crate::entity::{action_events, action_items, incidents, webhook_deliveries, webhooks};
use crate::incidents::new_id;
use crate::{Store, StoreError};

/// Delivery states, as stored.
pub(crate) const PENDING: &str = "pending";

/// One event to write: the event and what makes it unique.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// The event with its payload facts.
    pub event: ActionEvent,
    /// The unique key: one event per key, ever.
    pub dedupe_key: String,
    /// The incident's id, when the event is about one.
    pub incident_id: Option<Uuid>,
}

/// An open action item with a due date, and its incident: what the due-date
/// scanner looks at.
#[derive(Debug, Clone, PartialEq)]
pub struct DueCandidate {
    /// The incident's id.
    pub incident_id: Uuid,
    /// The incident's key.
    pub key: String,
    /// The incident's title.
    pub title: String,
    /// Whether the incident is restricted.
    pub restricted: bool,
    /// The action item.
    pub item: ActionItem,
}

/// Writes `new` and its deliveries unless an event with its dedupe key
/// exists; true when it was written.
pub(crate) async fn insert_event<C: ConnectionTrait>(
    conn: &C,
    new: &NewEvent,
    only_webhook: Option<Uuid>,
) -> Result<bool, StoreError> {
    let payload = convert::to_json(&new.event)?;
    let inserted = action_events::Entity::insert(action_events::ActiveModel {
        id: Set(new.event.id),
        at: Set(new.event.occurred_at),
        kind: Set(new.event.kind.as_str().to_owned()),
        incident_id: Set(new.incident_id),
        // A test event is about no real item.
        action_item_id: Set((new.event.kind != EventKind::Test).then_some(new.event.item.id)),
        dedupe_key: Set(new.dedupe_key.clone()),
        payload: Set(payload),
    })
    .on_conflict(
        OnConflict::column(action_events::Column::DedupeKey)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    if inserted == 0 {
        return Ok(false);
    }
    let mut q = webhooks::Entity::find().filter(webhooks::Column::Active.eq(true));
    if let Some(id) = only_webhook {
        q = q.filter(webhooks::Column::Id.eq(id));
    }
    let hooks = q.all(conn).await?;
    let kind = new.event.kind;
    let rows: Vec<webhook_deliveries::ActiveModel> = hooks
        .into_iter()
        .filter(|h| only_webhook.is_some() || subscribed(&h.events, kind))
        .map(|h| webhook_deliveries::ActiveModel {
            id: Set(new_id(new.event.occurred_at)),
            webhook_id: Set(h.id),
            event_id: Set(new.event.id),
            status: Set(PENDING.to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(new.event.occurred_at),
            last_attempt_at: Set(None),
            last_status: Set(None),
            last_error: Set(None),
            delivered_at: Set(None),
        })
        .collect();
    if !rows.is_empty() {
        webhook_deliveries::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(true)
}

/// Whether a webhook's stored event list includes `kind`.
pub(crate) fn subscribed(events: &serde_json::Value, kind: EventKind) -> bool {
    events
        .as_array()
        .is_some_and(|a| a.iter().any(|e| e.as_str() == Some(kind.as_str())))
}

/// Records the `completed` or `reopened` event of an action item changed
/// from `old` to `new` in incident `incident_id`, inside the transaction of
/// that change; nothing when the status did not cross the done line.
pub(crate) async fn record_action_transition<C: ConnectionTrait>(
    txn: &C,
    now: DateTime<Utc>,
    incident_id: Uuid,
    old: &ActionItem,
    new: &ActionItem,
) -> Result<(), StoreError> {
    let Some(kind) = transition_event(old.status, new.status) else {
        return Ok(());
    };
    let header = incidents::Entity::find_by_id(incident_id)
        .one(txn)
        .await?
        .ok_or_else(|| {
            StoreError::Database(DbErr::RecordNotFound(format!("incident {incident_id}")))
        })?;
    let id = new_id(now);
    let event = ActionEvent::new(
        id,
        kind,
        now,
        &header.key,
        &header.title,
        header.restricted,
        new,
    );
    // Every transition is an event of its own: completing, reopening and
    // completing again are three events.
    let dedupe_key = format!("{}:{}:{id}", kind.as_str(), new.id);
    insert_event(
        txn,
        &NewEvent {
            event,
            dedupe_key,
            incident_id: Some(incident_id),
        },
        None,
    )
    .await?;
    Ok(())
}

/// Statuses that need no more work: never due soon or overdue.
const CLOSED: [ActionStatus; 3] = [
    ActionStatus::Complete,
    ActionStatus::Verified,
    ActionStatus::WontDo,
];

impl Store {
    /// Open action items (not complete, verified or won't do) due on or
    /// before `until`, of every incident (closed incidents included: overdue
    /// detection keeps working after the incident is closed), oldest due
    /// date first.
    pub async fn due_candidates(&self, until: NaiveDate) -> Result<Vec<DueCandidate>, StoreError> {
        let items = action_items::Entity::find()
            .filter(action_items::Column::Due.lte(until))
            .filter(action_items::Column::Status.is_not_in(CLOSED.iter().map(|s| s.as_str())))
            .order_by_asc(action_items::Column::Due)
            .order_by_asc(action_items::Column::Id)
            .all(&self.db)
            .await?;
        let mut ids: Vec<Uuid> = items.iter().map(|i| i.incident_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut headers = std::collections::HashMap::new();
        // Chunked: PostgreSQL and SQLite both cap the bind parameters of
        // one statement.
        for chunk in ids.chunks(500) {
            let rows: Vec<(Uuid, String, String, bool)> = incidents::Entity::find()
                .select_only()
                .column(incidents::Column::Id)
                .column(incidents::Column::Key)
                .column(incidents::Column::Title)
                .column(incidents::Column::Restricted)
                .filter(incidents::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(&self.db)
                .await?;
            for (id, key, title, restricted) in rows {
                headers.insert(id, (key, title, restricted));
            }
        }
        let mut out = Vec::with_capacity(items.len());
        for m in items {
            let Some((key, title, restricted)) = headers.get(&m.incident_id).cloned() else {
                continue;
            };
            let incident_id = m.incident_id;
            out.push(DueCandidate {
                incident_id,
                key,
                title,
                restricted,
                item: convert::action_item(m)?,
            });
        }
        Ok(out)
    }

    /// Writes the events whose dedupe key is new, with their deliveries, in
    /// one transaction; returns how many were written.
    pub async fn enqueue_events(&self, events: &[NewEvent]) -> Result<usize, StoreError> {
        if events.is_empty() {
            return Ok(0);
        }
        // Most keys of a scan exist already (an overdue item is seen on
        // every scan): find those with one query per chunk first, so the
        // write transaction only inserts what is new.
        let mut known = std::collections::HashSet::new();
        for chunk in events.chunks(500) {
            let keys: Vec<String> = action_events::Entity::find()
                .select_only()
                .column(action_events::Column::DedupeKey)
                .filter(
                    action_events::Column::DedupeKey
                        .is_in(chunk.iter().map(|e| e.dedupe_key.clone())),
                )
                .into_tuple()
                .all(&self.db)
                .await?;
            known.extend(keys);
        }
        let fresh: Vec<&NewEvent> = events
            .iter()
            .filter(|e| !known.contains(&e.dedupe_key))
            .collect();
        if fresh.is_empty() {
            return Ok(0);
        }
        let txn = self.write_txn().await?;
        let mut written = 0;
        for e in fresh {
            if insert_event(&txn, e, None).await? {
                written += 1;
            }
        }
        txn.commit().await?;
        Ok(written)
    }

    /// The events written so far, oldest first, at most `limit`: for tests
    /// and diagnostics.
    pub async fn action_events(&self, limit: u64) -> Result<Vec<ActionEvent>, StoreError> {
        let rows = action_events::Entity::find()
            .order_by_asc(action_events::Column::At)
            .order_by_asc(action_events::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|r| {
                serde_json::from_value(r.payload)
                    .map_err(|e| StoreError::Database(DbErr::Json(format!("action_events: {e}"))))
            })
            .collect()
    }
}
