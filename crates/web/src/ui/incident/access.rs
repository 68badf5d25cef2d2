//! The access part, shown to those who may manage it (admins and incident
//! commanders): restrict the incident to its members, and manage the
//! members. Restricting does not change the post-mortem, so these forms
//! carry no version; each change is audited by the store and takes effect
//! on the member's next request.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use debrief_core::PostMortem;
use debrief_core::access::UserRole;
use debrief_store::StoreError;
use serde::Deserialize;

use super::form::general;
use super::{Input, Loaded, Part, Refusal, Submission, answer};
use crate::AppState;
use crate::auth::Caller;
use crate::extract::key;
use crate::ui::incidents::Choice;
use crate::ui::{FieldErrors, PageError};

/// The add-member form's input, kept on error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MemberForm {
    /// The user's name.
    pub name: String,
}

/// The restrict form: a checkbox, absent when unticked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RestrictForm {
    /// `on` to restrict.
    pub restricted: String,
}

/// The access section (also answered alone to htmx).
pub struct AccessView {
    /// Incident key.
    pub key: String,
    /// The session's CSRF token for forms posted without JavaScript.
    pub csrf: String,
    /// Whether the incident is restricted.
    pub restricted: bool,
    /// Members' names.
    pub members: Vec<String>,
    /// Enabled users who are not members yet.
    pub candidates: Vec<Choice>,
    /// Error of the member form.
    pub error: Option<String>,
    /// Other errors.
    pub general_errors: Vec<String>,
}

impl AccessView {
    /// Reads the members and the users who could become members.
    pub async fn load(
        state: &AppState,
        l: &Loaded,
        r: Option<&Refusal>,
    ) -> Result<Self, PageError> {
        let members = state.store.members(&l.doc.key).await?;
        let typed = match r.map(|r| &r.input) {
            Some(Input::Member(f)) => f.name.clone(),
            _ => String::new(),
        };
        let candidates = state
            .store
            .users()
            .await?
            .into_iter()
            .filter(|u| !u.disabled && !members.contains(&u.name))
            .map(|u| Choice {
                selected: u.name == typed,
                label: format!("{} ({})", u.name, u.role.label()),
                value: u.name,
            })
            .collect();
        let errors = r.map(|r| r.errors.clone()).unwrap_or_default();
        Ok(Self {
            key: l.doc.key.to_string(),
            csrf: String::new(),
            restricted: l.restricted,
            members,
            candidates,
            error: errors.get("user").or(errors.get("name")).map(str::to_owned),
            general_errors: general(&errors, |f| f == "user" || f == "name"),
        })
    }
}

/// The access section alone, for htmx.
#[derive(Template)]
#[template(path = "partials/incident_access.html")]
pub struct AccessPartial {
    /// The section.
    pub access: AccessView,
}

/// The document after an access change (which does not change it).
async fn after(
    state: &AppState,
    raw: &str,
    done: Result<(), StoreError>,
) -> Result<Result<PostMortem, StoreError>, PageError> {
    let k = key(raw)?;
    Ok(match done {
        Ok(()) => Ok(state.store.get(&k).await?),
        Err(e) => Err(e),
    })
}

/// `POST /incidents/{key}/access`: restricts the incident to its members,
/// or opens it again.
pub async fn set_restricted(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<RestrictForm>,
) -> Result<Response, PageError> {
    let on = !form.restricted.is_empty();
    let k = key(&raw)?;
    let ctx = caller.ctx(state.clock.now());
    // Restricting locks out everyone but members, admins and auditors: a
    // commander who is not a member would lose the incident they just
    // restricted, so they are asked to add themselves first.
    let sees_all = matches!(caller.principal.role, UserRole::Admin | UserRole::Auditor);
    let done = if on
        && !sees_all
        && !state
            .store
            .members(&k)
            .await?
            .contains(&caller.principal.name)
    {
        let mut errs = FieldErrors::default();
        errs.push(
            "name",
            "add yourself as a member first: restricting would otherwise lock you out",
        );
        Err(super::form::invalid(&errs))
    } else {
        state.store.set_restricted(&k, on, &ctx).await
    };
    let result = after(&state, &raw, done).await?;
    let sub = Submission::new(Part::Access, String::new(), Input::Nothing);
    answer(&state, &caller, &headers, &raw, sub, result).await
}

/// `POST /incidents/{key}/members`: makes a user a member.
pub async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<MemberForm>,
) -> Result<Response, PageError> {
    let done = match form.name.trim() {
        "" => {
            let mut errs = FieldErrors::default();
            errs.push("name", "choose a user");
            Err(super::form::invalid(&errs))
        }
        name => {
            let ctx = caller.ctx(state.clock.now());
            state.store.add_member(&key(&raw)?, name, &ctx).await
        }
    };
    let result = after(&state, &raw, done).await?;
    let sub = Submission::new(Part::Access, String::new(), Input::Member(form));
    answer(&state, &caller, &headers, &raw, sub, result).await
}

/// `POST /incidents/{key}/members/{name}/delete`: removes a member.
pub async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((raw, name)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let ctx = caller.ctx(state.clock.now());
    let done = state.store.remove_member(&key(&raw)?, &name, &ctx).await;
    let result = after(&state, &raw, done).await?;
    let sub = Submission::new(Part::Access, String::new(), Input::Nothing);
    answer(&state, &caller, &headers, &raw, sub, result).await
}
