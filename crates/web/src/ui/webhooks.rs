//! The webhooks admin page: every webhook, a form to register one (its
//! signing secret shown once, on the answer to the form), removal, a test
//! event, and each webhook's delivery log with every attempt.
//!
//! Admins only (`ManageIntegrations`). Names and URLs are user text and go
//! through askama's escaping like everything else.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use debrief_core::notify::EventKind;
use debrief_store::{Delivery, DeliveryStatus, NewWebhook, Secret, Webhook, WebhookFormat};
use serde::Deserialize;
use uuid::Uuid;

use super::{FieldErrors, Layout, PageError, render, see_other};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// Deliveries shown on a webhook's log page.
const LOG_LIMIT: u64 = 200;

/// One webhook as listed.
pub struct WebhookRow {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Target URL.
    pub url: String,
    /// `Generic JSON` or `Slack`.
    pub format: &'static str,
    /// Subscribed kinds, as labels.
    pub events: String,
    /// When and by whom it was registered.
    pub created: String,
}

fn row(w: Webhook) -> WebhookRow {
    WebhookRow {
        id: w.id,
        name: w.name,
        url: w.url,
        format: format_label(w.format),
        events: w
            .events
            .iter()
            .map(|e| e.label())
            .collect::<Vec<_>>()
            .join(", "),
        created: format!("{} by {}", stamp(w.created_at), w.created_by),
    }
}

fn format_label(f: WebhookFormat) -> &'static str {
    match f {
        WebhookFormat::Generic => "Generic JSON",
        WebhookFormat::Slack => "Slack",
    }
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The webhooks page.
#[derive(Template)]
#[template(path = "admin_webhooks.html")]
pub struct WebhooksPage {
    /// Layout.
    pub layout: Layout,
    /// Every webhook.
    pub webhooks: Vec<WebhookRow>,
    /// The webhook just created and its secret, shown this once.
    pub created: Option<(String, String)>,
    /// The form, as sent back after an error.
    pub form: WebhookForm,
    /// Errors next to their fields.
    pub errors: FieldErrors,
}

/// The form that registers a webhook. Each event kind is a checkbox of
/// its own: a form posts repeated names, which a plain struct cannot read.
/// No `Debug`: it may hold a secret, which must never reach a log.
#[derive(Clone, Default, Deserialize)]
pub struct WebhookForm {
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Target URL.
    #[serde(default)]
    pub url: String,
    /// `generic` or `slack`.
    #[serde(default)]
    pub format: String,
    /// Optional secret; generated when empty.
    #[serde(default)]
    pub secret: String,
    /// Checkbox `due_soon`.
    #[serde(default)]
    pub ev_due_soon: Option<String>,
    /// Checkbox `overdue`.
    #[serde(default)]
    pub ev_overdue: Option<String>,
    /// Checkbox `completed`.
    #[serde(default)]
    pub ev_completed: Option<String>,
    /// Checkbox `reopened`.
    #[serde(default)]
    pub ev_reopened: Option<String>,
}

impl WebhookForm {
    /// A fresh form: generic format, every event ticked.
    fn fresh() -> Self {
        let on = Some("on".to_owned());
        WebhookForm {
            format: "generic".to_owned(),
            ev_due_soon: on.clone(),
            ev_overdue: on.clone(),
            ev_completed: on.clone(),
            ev_reopened: on,
            ..Self::default()
        }
    }

    fn events(&self) -> Vec<EventKind> {
        [
            (&self.ev_due_soon, EventKind::DueSoon),
            (&self.ev_overdue, EventKind::Overdue),
            (&self.ev_completed, EventKind::Completed),
            (&self.ev_reopened, EventKind::Reopened),
        ]
        .into_iter()
        .filter(|(v, _)| v.is_some())
        .map(|(_, k)| k)
        .collect()
    }

    /// Whether the checkbox of `kind` is ticked (for the template).
    pub fn has(&self, kind: &str) -> bool {
        match kind {
            "due_soon" => self.ev_due_soon.is_some(),
            "overdue" => self.ev_overdue.is_some(),
            "completed" => self.ev_completed.is_some(),
            "reopened" => self.ev_reopened.is_some(),
            _ => false,
        }
    }
}

async fn page_of(state: &AppState, caller: &Caller) -> Result<WebhooksPage, PageError> {
    Ok(WebhooksPage {
        layout: Layout::of(caller, "Webhooks", "admin").await?,
        webhooks: state.store.webhooks().await?.into_iter().map(row).collect(),
        created: None,
        form: WebhookForm::fresh(),
        errors: FieldErrors::default(),
    })
}

/// `GET /admin/webhooks`.
pub async fn page(State(state): State<AppState>, caller: Caller) -> Result<Response, PageError> {
    Ok(render(StatusCode::OK, &page_of(&state, &caller).await?))
}

/// `POST /admin/webhooks`: registers a webhook and shows its secret once.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Form(form): Form<WebhookForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::default();
    let format = match form.format.parse::<WebhookFormat>() {
        Ok(f) => Some(f),
        Err(_) => {
            errors.push("format", "choose generic JSON or Slack");
            None
        }
    };
    if errors.is_empty()
        && let Some(format) = format
    {
        let secret = form.secret.trim();
        let new = NewWebhook {
            name: form.name.clone(),
            url: form.url.clone(),
            format,
            events: form.events(),
            secret: (!secret.is_empty()).then(|| Secret::new(secret)),
        };
        match state
            .store
            .create_webhook(new, &caller.ctx(state.clock.now()))
            .await
            .map_err(ApiError::from)
        {
            Ok((hook, secret)) => {
                let mut page = page_of(&state, &caller).await?;
                page.created = Some((hook.name, secret.expose().to_owned()));
                return Ok(render(StatusCode::CREATED, &page));
            }
            Err(e) => match FieldErrors::of(&e) {
                Some(f) => errors = f,
                None => return Err(PageError(e)),
            },
        }
    }
    let mut page = page_of(&state, &caller).await?;
    // The secret is not sent back into the form: it must not sit in a
    // page that may be cached or shared.
    page.form = WebhookForm {
        secret: String::new(),
        ..form
    };
    page.errors = errors;
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

fn id_of(raw: &str) -> Result<Uuid, PageError> {
    raw.parse()
        .map_err(|_| PageError(ApiError::NotFound(format!("webhook {raw}"))))
}

/// `POST /admin/webhooks/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    state
        .store
        .delete_webhook(id_of(&raw)?, &caller.ctx(state.clock.now()))
        .await?;
    Ok(see_other("/admin/webhooks", false))
}

/// `POST /admin/webhooks/{id}/test`: queues a test event, then shows the log.
pub async fn test(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let id = id_of(&raw)?;
    state
        .store
        .queue_test_event(id, &caller.ctx(state.clock.now()))
        .await?;
    Ok(see_other(&format!("/admin/webhooks/{id}"), false))
}

/// One delivery as shown in the log.
pub struct DeliveryRow {
    /// Event kind label.
    pub kind: &'static str,
    /// When the event happened.
    pub event_at: String,
    /// `Pending`, `Delivered` or `Failed`.
    pub status: &'static str,
    /// Attempts made.
    pub attempts: u32,
    /// When it is tried next (pending only), or empty.
    pub next: String,
    /// Every attempt: time, and status code or error.
    pub log: Vec<(String, String)>,
}

fn delivery_row(d: Delivery) -> DeliveryRow {
    DeliveryRow {
        kind: d.kind.label(),
        event_at: stamp(d.event_at),
        status: match d.status {
            DeliveryStatus::Pending => "Pending",
            DeliveryStatus::Delivered => "Delivered",
            DeliveryStatus::Failed => "Failed",
        },
        attempts: d.attempts,
        next: if d.status == DeliveryStatus::Pending {
            stamp(d.next_attempt_at)
        } else {
            String::new()
        },
        log: d
            .attempt_log
            .into_iter()
            .map(|a| {
                let outcome = match (a.status_code, a.error) {
                    (_, Some(e)) => e,
                    (Some(c), None) => format!("HTTP {c}"),
                    (None, None) => "ok".to_owned(),
                };
                (stamp(a.at), outcome)
            })
            .collect(),
    }
}

/// The delivery log page of one webhook.
#[derive(Template)]
#[template(path = "admin_webhook_log.html")]
pub struct WebhookLogPage {
    /// Layout.
    pub layout: Layout,
    /// The webhook.
    pub webhook: WebhookRow,
    /// Its deliveries, newest first.
    pub deliveries: Vec<DeliveryRow>,
}

/// `GET /admin/webhooks/{id}`: the delivery log.
pub async fn log(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let id = id_of(&raw)?;
    let webhook = row(state.store.webhook(id).await?);
    let deliveries = state
        .store
        .webhook_deliveries(id, LOG_LIMIT)
        .await?
        .into_iter()
        .map(delivery_row)
        .collect();
    let page = WebhookLogPage {
        layout: Layout::of(&caller, "Webhook deliveries", "admin").await?,
        webhook,
        deliveries,
    };
    Ok(render(StatusCode::OK, &page))
}
