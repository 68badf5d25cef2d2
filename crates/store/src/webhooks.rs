//! Outbound webhooks: registration by an administrator, and the delivery
//! state the dispatcher (crate `debrief-notify`) reads and writes.
//!
//! Decisions:
//! - The secret signs every delivery (HMAC-SHA256), so it is stored as is,
//!   not hashed. It is returned once, by [`Store::create_webhook`], and never
//!   again: [`Webhook`] has no secret field, and only [`DueDelivery`] (the
//!   dispatcher's view) carries it, wrapped in a [`Secret`] whose `Debug`
//!   prints `***`. When none is given, 32 random bytes are generated.
//! - A URL must be `http://` or `https://` with a host; the field is named
//!   in the error. Nothing else about the target is checked: an operator
//!   may well point a webhook at an internal host.
//! - Create, delete and queueing a test event are audited writes; the
//!   audit entry never holds the secret. Delivery bookkeeping (claims,
//!   attempts) is not audited: it is the system's own retry state.
//! - Several servers may share one PostgreSQL: a delivery is claimed with a
//!   compare-and-set on `next_attempt_at` (moved a lease into the future
//!   only while it is still due), so two dispatchers never send the same
//!   attempt at once. Delivery is at least once: a server that dies between
//!   sending and recording sends again after the lease; receivers drop
//!   duplicates by event id.

use chrono::{DateTime, Duration, Utc};
use debrief_core::ActionStatus;
use debrief_core::notify::{ActionEvent, EventIncident, EventItem, EventKind};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit;
use crate::entity::{action_events, webhook_attempts, webhook_deliveries, webhooks};
use crate::incidents::new_id;
use crate::outbox::{NewEvent, PENDING, insert_event};
use crate::{Ctx, Secret, Store, StoreError};

/// Longest webhook name, in characters.
pub const MAX_WEBHOOK_NAME: usize = 100;
/// Longest webhook URL, in bytes.
pub const MAX_WEBHOOK_URL: usize = 2_000;
/// Shortest secret accepted when the caller brings one.
pub const MIN_SECRET_LEN: usize = 16;
/// Longest secret accepted.
pub const MAX_SECRET_LEN: usize = 256;
/// Longest error text kept per attempt.
const MAX_ERROR_LEN: usize = 500;

/// How a webhook's payload is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    /// debrief's own JSON event.
    #[default]
    Generic,
    /// A Slack incoming-webhook message (`text` and `blocks`).
    Slack,
}

impl WebhookFormat {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Generic => "generic",
            WebhookFormat::Slack => "slack",
        }
    }
}

impl std::str::FromStr for WebhookFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "generic" => Ok(WebhookFormat::Generic),
            "slack" => Ok(WebhookFormat::Slack),
            _ => Err(format!("`{s}` is not one of: generic, slack")),
        }
    }
}

/// A registered webhook, as listed. It never carries the secret.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Webhook {
    /// Id.
    pub id: Uuid,
    /// A name for people.
    pub name: String,
    /// Where deliveries are POSTed.
    pub url: String,
    /// Payload shape.
    pub format: WebhookFormat,
    /// The event kinds it receives.
    pub events: Vec<EventKind>,
    /// Whether it receives new events.
    pub active: bool,
    /// When it was registered.
    #[serde(with = "debrief_core::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// Who registered it.
    pub created_by: String,
}

/// What registering a webhook takes.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    /// A name for people.
    pub name: String,
    /// Where deliveries are POSTed: `http://` or `https://`.
    pub url: String,
    /// Payload shape.
    pub format: WebhookFormat,
    /// The event kinds it receives (not `test`); at least one.
    pub events: Vec<EventKind>,
    /// The signing secret; generated when `None`.
    pub secret: Option<Secret>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not yet delivered; will be tried (again) at `next_attempt_at`.
    Pending,
    /// The target answered 2xx.
    Delivered,
    /// Given up after the last allowed attempt.
    Failed,
}

impl DeliveryStatus {
    fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => PENDING,
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            PENDING => Ok(DeliveryStatus::Pending),
            "delivered" => Ok(DeliveryStatus::Delivered),
            "failed" => Ok(DeliveryStatus::Failed),
            other => Err(StoreError::Database(DbErr::Type(format!(
                "webhook_deliveries.status: `{other}`"
            )))),
        }
    }
}

/// One HTTP attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Attempt {
    /// When it was made.
    #[serde(with = "debrief_core::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
    /// The HTTP status the target answered, if it answered.
    pub status_code: Option<u16>,
    /// What went wrong, when it did (never the secret).
    pub error: Option<String>,
    /// Whether it counted as delivered.
    pub ok: bool,
}

/// One delivery of one event to one webhook, with its attempts: a line of
/// the delivery log.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Delivery {
    /// Delivery id (the `X-Debrief-Delivery` header).
    pub id: Uuid,
    /// The webhook.
    pub webhook_id: Uuid,
    /// The event (the same in every delivery of it).
    pub event_id: Uuid,
    /// The event's kind.
    pub kind: EventKind,
    /// When the event happened.
    #[serde(with = "debrief_core::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub event_at: DateTime<Utc>,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: u32,
    /// When it is tried next (pending); when it was settled otherwise.
    #[serde(with = "debrief_core::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub next_attempt_at: DateTime<Utc>,
    /// The last attempt's HTTP status, if the target answered.
    pub last_status: Option<u16>,
    /// The last attempt's error, if any.
    pub last_error: Option<String>,
    /// When it was delivered.
    #[serde(with = "debrief_core::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<DateTime<Utc>>,
    /// Every attempt, oldest first.
    pub attempt_log: Vec<Attempt>,
}

/// A delivery the dispatcher has claimed: everything it needs to send it.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    /// Delivery id.
    pub id: Uuid,
    /// Attempts made before this one.
    pub attempts: u32,
    /// The webhook's id.
    pub webhook_id: Uuid,
    /// The target URL.
    pub url: String,
    /// Payload shape.
    pub format: WebhookFormat,
    /// The signing secret.
    pub secret: Secret,
    /// The event.
    pub event: ActionEvent,
}

/// How an attempt ended, and what happens next.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRecord {
    /// When the attempt was made.
    pub at: DateTime<Utc>,
    /// The HTTP status, if the target answered.
    pub status_code: Option<u16>,
    /// What went wrong (never the secret).
    pub error: Option<String>,
    /// What to do next.
    pub next: NextStep,
}

/// What follows an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Delivered: done.
    Delivered,
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// Give up: the delivery is failed.
    GiveUp,
}

/// Checks a webhook URL: `http` or `https`, a host, no spaces or control
/// characters, not too long.
pub fn check_webhook_url(url: &str) -> Result<(), String> {
    if url.len() > MAX_WEBHOOK_URL {
        return Err(format!("is longer than {MAX_WEBHOOK_URL} bytes"));
    }
    let lower = url.to_ascii_lowercase();
    let rest = if let Some(r) = lower.strip_prefix("https://") {
        r
    } else if let Some(r) = lower.strip_prefix("http://") {
        r
    } else {
        return Err("must be an http:// or https:// URL".to_owned());
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters".to_owned());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default();
    // An IPv6 literal starts with `[`; its colons are not a port.
    if host.is_empty() && !authority.contains('[') {
        return Err("must name a host".to_owned());
    }
    Ok(())
}

fn webhook(m: webhooks::Model) -> Result<Webhook, StoreError> {
    let format = m
        .format
        .parse()
        .map_err(|e| StoreError::Database(DbErr::Type(format!("webhooks.format: {e}"))))?;
    let events = serde_json::from_value(m.events)
        .map_err(|e| StoreError::Database(DbErr::Json(format!("webhooks.events: {e}"))))?;
    Ok(Webhook {
        id: m.id,
        name: m.name,
        url: m.url,
        format,
        events,
        active: m.active,
        created_at: m.created_at,
        created_by: m.created_by,
    })
}

fn event_of(m: &action_events::Model) -> Result<ActionEvent, StoreError> {
    serde_json::from_value(m.payload.clone())
        .map_err(|e| StoreError::Database(DbErr::Json(format!("action_events.payload: {e}"))))
}

fn status_u16(v: Option<i32>) -> Option<u16> {
    v.and_then(|s| u16::try_from(s).ok())
}

fn not_found(id: Uuid) -> StoreError {
    StoreError::NotFound {
        what: format!("webhook {id}"),
    }
}

impl Store {
    /// Registers a webhook; returns it and its secret, which is never
    /// returned again. One audited write.
    pub async fn create_webhook(
        &self,
        new: NewWebhook,
        ctx: &Ctx,
    ) -> Result<(Webhook, Secret), StoreError> {
        let mut errs = debrief_core::ValidationErrors::default();
        let name = new.name.trim().to_owned();
        if name.is_empty() {
            errs.push("name", "must not be empty");
        } else if name.chars().count() > MAX_WEBHOOK_NAME {
            errs.push(
                "name",
                format!("is longer than {MAX_WEBHOOK_NAME} characters"),
            );
        }
        let url = new.url.trim().to_owned();
        if let Err(m) = check_webhook_url(&url) {
            errs.push("url", m);
        }
        let mut events = Vec::new();
        for e in &new.events {
            if *e == EventKind::Test {
                errs.push(
                    "events",
                    "`test` cannot be subscribed to; use the test action",
                );
            } else if !events.contains(e) {
                events.push(*e);
            }
        }
        if new.events.is_empty() {
            errs.push("events", "must name at least one event kind");
        }
        if let Some(s) = &new.secret {
            let n = s.expose().chars().count();
            if n < MIN_SECRET_LEN {
                errs.push(
                    "secret",
                    format!("must be at least {MIN_SECRET_LEN} characters"),
                );
            } else if n > MAX_SECRET_LEN {
                errs.push(
                    "secret",
                    format!("must be at most {MAX_SECRET_LEN} characters"),
                );
            }
        }
        StoreError::check(errs)?;
        events.sort();
        // 32 random bytes from the OS generator, base64url: the same
        // strength as a session token, with a prefix people recognise.
        let secret = new.secret.unwrap_or_else(|| {
            Secret::new(format!(
                "whsec_{}",
                debrief_auth::tokens::new_session_token().expose()
            ))
        });
        let id = new_id(ctx.now);
        let model = webhooks::ActiveModel {
            id: Set(id),
            name: Set(name),
            url: Set(url),
            format: Set(new.format.as_str().to_owned()),
            secret: Set(secret.expose().to_owned()),
            events: Set(crate::convert::to_json(&events)?),
            active: Set(true),
            created_at: Set(ctx.now),
            created_by: Set(ctx.actor.name.clone()),
        };
        let txn = self.write_txn().await?;
        let m = model.insert(&txn).await?;
        let hook = webhook(m)?;
        audit::append(
            &txn,
            ctx,
            "webhook.create",
            &format!("webhook:{id}"),
            None,
            Some(audit::json(&hook)),
        )
        .await?;
        txn.commit().await?;
        Ok((hook, secret))
    }

    /// Every webhook, oldest first.
    pub async fn webhooks(&self) -> Result<Vec<Webhook>, StoreError> {
        webhooks::Entity::find()
            .order_by_asc(webhooks::Column::CreatedAt)
            .order_by_asc(webhooks::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(webhook)
            .collect()
    }

    /// One webhook.
    pub async fn webhook(&self, id: Uuid) -> Result<Webhook, StoreError> {
        let m = webhooks::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))?;
        webhook(m)
    }

    /// Removes a webhook with its deliveries (pending ones are dropped).
    /// One audited write.
    pub async fn delete_webhook(&self, id: Uuid, ctx: &Ctx) -> Result<(), StoreError> {
        let txn = self.write_txn().await?;
        let m = webhooks::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(|| not_found(id))?;
        let before = webhook(m)?;
        // Explicitly, not only by the foreign key's cascade: SQLite
        // connections might run without foreign keys enforced.
        let deliveries: Vec<Uuid> = webhook_deliveries::Entity::find()
            .select_only()
            .column(webhook_deliveries::Column::Id)
            .filter(webhook_deliveries::Column::WebhookId.eq(id))
            .into_tuple()
            .all(&txn)
            .await?;
        for chunk in deliveries.chunks(500) {
            webhook_attempts::Entity::delete_many()
                .filter(webhook_attempts::Column::DeliveryId.is_in(chunk.iter().copied()))
                .exec(&txn)
                .await?;
        }
        webhook_deliveries::Entity::delete_many()
            .filter(webhook_deliveries::Column::WebhookId.eq(id))
            .exec(&txn)
            .await?;
        webhooks::Entity::delete_by_id(id).exec(&txn).await?;
        audit::append(
            &txn,
            ctx,
            "webhook.delete",
            &format!("webhook:{id}"),
            Some(audit::json(&before)),
            None,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Queues a `test` event for webhook `id` only (sample data, no real
    /// incident); returns the event id. One audited write.
    pub async fn queue_test_event(&self, id: Uuid, ctx: &Ctx) -> Result<Uuid, StoreError> {
        let txn = self.write_txn().await?;
        if webhooks::Entity::find_by_id(id).one(&txn).await?.is_none() {
            return Err(not_found(id));
        }
        let event_id = new_id(ctx.now);
        let event = ActionEvent {
            id: event_id,
            kind: EventKind::Test,
            occurred_at: ctx.now,
            incident: EventIncident {
                key: "INC-0000-0000".to_owned(),
                title: Some("Test event from debrief".to_owned()),
                restricted: false,
            },
            item: EventItem {
                id: Uuid::nil(),
                number: 1,
                title: Some("This is a test delivery; nothing is due".to_owned()),
                owner: Some(ctx.actor.name.clone()),
                team: None,
                due: Some(ctx.now.date_naive()),
                status: ActionStatus::Planned,
                path: "/incidents".to_owned(),
            },
        };
        insert_event(
            &txn,
            &NewEvent {
                event,
                dedupe_key: format!("test:{event_id}"),
                incident_id: None,
            },
            Some(id),
        )
        .await?;
        audit::append(
            &txn,
            ctx,
            "webhook.test",
            &format!("webhook:{id}"),
            None,
            Some(audit::json(&serde_json::json!({ "event_id": event_id }))),
        )
        .await?;
        txn.commit().await?;
        Ok(event_id)
    }

    /// The delivery log of webhook `id`, newest event first, at most
    /// `limit` deliveries, each with its attempts.
    pub async fn webhook_deliveries(
        &self,
        id: Uuid,
        limit: u64,
    ) -> Result<Vec<Delivery>, StoreError> {
        if webhooks::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .is_none()
        {
            return Err(not_found(id));
        }
        let rows = webhook_deliveries::Entity::find()
            .filter(webhook_deliveries::Column::WebhookId.eq(id))
            .order_by_desc(webhook_deliveries::Column::Id)
            .limit(limit.clamp(1, 1_000))
            .all(&self.db)
            .await?;
        let event_ids: Vec<Uuid> = rows.iter().map(|r| r.event_id).collect();
        let events = action_events::Entity::find()
            .filter(action_events::Column::Id.is_in(event_ids))
            .all(&self.db)
            .await?;
        let delivery_ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let attempts = webhook_attempts::Entity::find()
            .filter(webhook_attempts::Column::DeliveryId.is_in(delivery_ids))
            .order_by_asc(webhook_attempts::Column::At)
            .order_by_asc(webhook_attempts::Column::Id)
            .all(&self.db)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let Some(ev) = events.iter().find(|e| e.id == r.event_id) else {
                continue;
            };
            let kind = ev.kind.parse().map_err(|e| {
                StoreError::Database(DbErr::Type(format!("action_events.kind: {e}")))
            })?;
            out.push(Delivery {
                id: r.id,
                webhook_id: r.webhook_id,
                event_id: r.event_id,
                kind,
                event_at: ev.at,
                status: DeliveryStatus::parse(&r.status)?,
                attempts: u32::try_from(r.attempts).unwrap_or(0),
                next_attempt_at: r.next_attempt_at,
                last_status: status_u16(r.last_status),
                last_error: r.last_error,
                delivered_at: r.delivered_at,
                attempt_log: attempts
                    .iter()
                    .filter(|a| a.delivery_id == r.id)
                    .map(|a| Attempt {
                        at: a.at,
                        status_code: status_u16(a.status_code),
                        error: a.error.clone(),
                        ok: a.ok,
                    })
                    .collect(),
            });
        }
        Ok(out)
    }

    /// Claims up to `limit` pending deliveries due at `now` (oldest first)
    /// for one attempt: each is moved `lease` into the future, only while it
    /// is still due, so another dispatcher does not take it too. A claimed
    /// delivery that is never recorded is tried again after the lease.
    pub async fn claim_due_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u64,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let due = webhook_deliveries::Entity::find()
            .filter(webhook_deliveries::Column::Status.eq(PENDING))
            .filter(webhook_deliveries::Column::NextAttemptAt.lte(now))
            .order_by_asc(webhook_deliveries::Column::NextAttemptAt)
            .order_by_asc(webhook_deliveries::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        let mut out = Vec::with_capacity(due.len());
        for d in due {
            let claimed = webhook_deliveries::Entity::update_many()
                .col_expr(
                    webhook_deliveries::Column::NextAttemptAt,
                    Expr::value(now + lease),
                )
                .filter(webhook_deliveries::Column::Id.eq(d.id))
                .filter(webhook_deliveries::Column::Status.eq(PENDING))
                .filter(webhook_deliveries::Column::NextAttemptAt.lte(now))
                .exec(&self.db)
                .await?;
            if claimed.rows_affected != 1 {
                continue;
            }
            let Some(hook) = webhooks::Entity::find_by_id(d.webhook_id)
                .one(&self.db)
                .await?
            else {
                continue;
            };
            let Some(ev) = action_events::Entity::find_by_id(d.event_id)
                .one(&self.db)
                .await?
            else {
                continue;
            };
            let format = hook
                .format
                .parse()
                .map_err(|e| StoreError::Database(DbErr::Type(format!("webhooks.format: {e}"))))?;
            out.push(DueDelivery {
                id: d.id,
                attempts: u32::try_from(d.attempts).unwrap_or(0),
                webhook_id: hook.id,
                url: hook.url,
                format,
                secret: Secret::new(hook.secret),
                event: event_of(&ev)?,
            });
        }
        Ok(out)
    }

    /// Records one attempt of delivery `id` and what follows it, in one
    /// transaction. The error text is cut to 500 characters.
    pub async fn record_delivery_attempt(
        &self,
        id: Uuid,
        record: AttemptRecord,
    ) -> Result<(), StoreError> {
        let error = record
            .error
            .map(|e| e.chars().take(MAX_ERROR_LEN).collect::<String>());
        let txn = self.write_txn().await?;
        let Some(d) = webhook_deliveries::Entity::find_by_id(id).one(&txn).await? else {
            // Deleted with its webhook while the attempt ran: nothing to record.
            return Ok(());
        };
        let attempts = d.attempts.saturating_add(1);
        let mut row = d.into_active_model();
        row.attempts = Set(attempts);
        row.last_attempt_at = Set(Some(record.at));
        row.last_status = Set(record.status_code.map(i32::from));
        row.last_error = Set(error.clone());
        match record.next {
            NextStep::Delivered => {
                row.status = Set(DeliveryStatus::Delivered.as_str().to_owned());
                row.delivered_at = Set(Some(record.at));
                // Drop the claim's lease time: nothing is due any more.
                row.next_attempt_at = Set(record.at);
            }
            NextStep::RetryAt(at) => {
                row.status = Set(DeliveryStatus::Pending.as_str().to_owned());
                row.next_attempt_at = Set(at);
            }
            NextStep::GiveUp => {
                row.status = Set(DeliveryStatus::Failed.as_str().to_owned());
                row.next_attempt_at = Set(record.at);
            }
        }
        row.update(&txn).await?;
        webhook_attempts::ActiveModel {
            id: Set(new_id(record.at)),
            delivery_id: Set(id),
            at: Set(record.at),
            status_code: Set(record.status_code.map(i32::from)),
            error: Set(error),
            ok: Set(record.next == NextStep::Delivered),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(())
    }
}
