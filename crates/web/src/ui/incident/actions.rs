//! The action items part: a table with owner, due date, priority, horizon,
//! status and the success-criteria checklist; overdue items stand out. Rows
//! change status and tick criteria in place; "Edit" opens the item's form in
//! the section's edit panel.
//!
//! A complete item also has a "Verify" form: effective or not, with
//! evidence. It applies the core rule ([`debrief_core::followup::verify`]:
//! effective needs every success criterion met, either verdict needs
//! evidence) and saves through the same item update as every other change
//! here; a refusal is shown in the item's own form, with the evidence kept.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::NaiveDate;
use debrief_core::{ActionItem, ActionStatus, Criterion, PostMortem, Priority};
use debrief_store::{SectionItem, StoreError};
use serde::Deserialize;

use super::form::{
    day, general, item_id, lines, no_version, opt, parse_choice, parse_day, require, version_of,
};
use super::items::{add_checked, update_checked};
use super::{Input, Part, Refusal, Submission, answer};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::key;
use crate::ui::incidents::Choice;
use crate::ui::{FieldErrors, PageError, choices};

/// One action item row.
pub struct ActionRow {
    /// Item id.
    pub id: String,
    /// Number within the incident.
    pub number: u32,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Owner, with team in brackets.
    pub owner: String,
    /// Due day, or empty.
    pub due: String,
    /// Priority label.
    pub priority: &'static str,
    /// Priority machine form (badge class).
    pub priority_slug: &'static str,
    /// Horizon label, or empty.
    pub horizon: &'static str,
    /// Status label.
    pub status: &'static str,
    /// Status choices with the current one selected.
    pub statuses: Vec<Choice>,
    /// Success criteria met.
    pub criteria_done: usize,
    /// Success criteria in all.
    pub criteria_total: usize,
    /// Success criteria: text and whether met.
    pub criteria: Vec<(String, bool)>,
    /// Past due and still open.
    pub overdue: bool,
    /// Whether its checklist is shown open.
    pub open: bool,
    /// The coach's notes on this item.
    pub notes: Vec<super::review::CoachNote>,
    /// Whether a verdict may be given: complete (either verdict) or
    /// verified (a later failure).
    pub can_verify: bool,
    /// The verdict so far: "effective", "ineffective" or empty.
    pub verdict: &'static str,
    /// Its evidence and day, or empty.
    pub verdict_note: String,
    /// The verify form's input after a refusal.
    pub verify_evidence: String,
    /// Whether "not effective" was chosen in the refused form.
    pub verify_ineffective: bool,
    /// Why the verdict was refused.
    pub verify_errors: Vec<String>,
}

/// An action item form's input (add or edit), kept on error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ActionForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// Title.
    pub title: String,
    /// Details.
    pub description: String,
    /// Owner.
    pub owner: String,
    /// Team.
    pub team: String,
    /// Due day.
    pub due: String,
    /// Priority.
    pub priority: String,
    /// Success criteria, one per line.
    pub success_criteria: String,
    /// The item this form edits (from the address, never the body); empty
    /// for the add form.
    #[serde(skip)]
    pub editing: String,
    /// The row whose checklist stays open after the answer (from the
    /// address, never the body).
    #[serde(skip)]
    pub open: String,
    /// The item a refused verdict was for (never from the body).
    #[serde(skip)]
    pub verifying: String,
    /// The refused verdict: `effective` or `ineffective`.
    #[serde(skip)]
    pub verdict: String,
    /// The refused verdict's evidence.
    #[serde(skip)]
    pub evidence: String,
}

impl ActionForm {
    /// The form filled in from a stored item.
    pub fn of(a: &ActionItem, version: i64) -> Self {
        Self {
            version: version.to_string(),
            title: a.title.clone(),
            description: a.description.clone(),
            owner: a.owner.clone().unwrap_or_default(),
            team: a.team.clone().unwrap_or_default(),
            due: a.due.map(day).unwrap_or_default(),
            priority: a.priority.as_str().to_owned(),
            success_criteria: a
                .success_criteria
                .iter()
                .map(|c| c.text.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            editing: a.id.to_string(),
            ..Self::default()
        }
    }

    fn blank(version: String) -> Self {
        Self {
            version,
            priority: Priority::Medium.as_str().to_owned(),
            ..Self::default()
        }
    }

    /// The item the form describes: a new planned item, or `old` with the
    /// form's fields (criteria whose text is unchanged keep their tick;
    /// status, history and links are kept). `None` with `errors` filled in.
    pub fn item(
        &self,
        old: Option<&ActionItem>,
        errors: &mut FieldErrors,
    ) -> Result<Option<SectionItem>, PageError> {
        require(errors, "title", &self.title);
        let priority: Option<Priority> = parse_choice(errors, "priority", &self.priority);
        let due = parse_day(errors, "due", &self.due);
        let Some(priority) = priority.filter(|_| errors.is_empty()) else {
            return Ok(None);
        };
        let criteria: Vec<Criterion> = lines(&self.success_criteria)
            .into_iter()
            .map(|text| Criterion {
                done: old
                    .is_some_and(|o| o.success_criteria.iter().any(|c| c.done && c.text == text)),
                text,
            })
            .collect();
        let mut item = match old {
            Some(o) => o.clone(),
            None => serde_json::from_value(serde_json::json!({
                "title": "-", "priority": priority, "status": "planned"
            }))
            .map_err(|e| ApiError::Internal(format!("action item form: {e}")))?,
        };
        item.title = self.title.trim().to_owned();
        item.description = self.description.trim().to_owned();
        item.owner = opt(&self.owner);
        item.team = opt(&self.team);
        item.due = due;
        item.priority = priority;
        item.success_criteria = criteria;
        // The horizon follows the due date; the store derives it again.
        item.horizon = None;
        Ok(Some(SectionItem::ActionItem(item)))
    }
}

/// The status form of one row.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StatusForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// New status.
    pub status: String,
}

/// An action item's edit form, in the section's edit panel.
pub struct ActionEdit {
    /// Incident key.
    pub key: String,
    /// The form.
    pub form: ActionForm,
    /// Priority choices.
    pub priority_choices: Vec<Choice>,
    /// Field errors.
    pub errors: FieldErrors,
}

fn priority_choices(current: &str) -> Vec<Choice> {
    choices(
        current,
        Priority::ALL.iter().map(|p| (p.as_str(), p.label())),
    )
}

impl ActionEdit {
    /// The edit form of an item.
    pub fn of(key: &str, form: ActionForm, errors: FieldErrors) -> Self {
        Self {
            key: key.to_owned(),
            priority_choices: priority_choices(&form.priority),
            form,
            errors,
        }
    }
}

/// An action item's edit form alone, fetched when the user asks to edit.
#[derive(Template)]
#[template(path = "partials/action_edit.html")]
pub struct ActionEditPartial {
    /// The form.
    pub ed: ActionEdit,
    /// CSRF token (empty for htmx, which sends the header).
    pub csrf: String,
}

/// The action items section (also answered alone to htmx).
pub struct ActionsView {
    /// Incident key.
    pub key: String,
    /// Version the forms are made against.
    pub version: i64,
    /// Whether edit controls are shown.
    pub can_edit: bool,
    /// The session's CSRF token for forms posted without JavaScript.
    pub csrf: String,
    /// Rows by number.
    pub rows: Vec<ActionRow>,
    /// Overdue rows.
    pub overdue: usize,
    /// Today, as used for overdue.
    pub today: String,
    /// Add form input.
    pub form: ActionForm,
    /// Priority choices.
    pub priority_choices: Vec<Choice>,
    /// An item's edit form, open after "Edit" or a refused edit.
    pub editing: Option<ActionEdit>,
    /// Field errors of the add form.
    pub errors: FieldErrors,
    /// Errors not about a field of the add form (e.g. of a status change).
    pub general_errors: Vec<String>,
    /// Whether the last write was refused as stale.
    pub conflict: bool,
}

/// The item form's fields; errors about anything else are listed above the table.
const ACTION_FIELDS: &[&str] = &[
    "title",
    "description",
    "owner",
    "team",
    "due",
    "priority",
    "success_criteria",
];

impl ActionsView {
    /// The action items of `doc` as of `today`, with a refused write shown.
    pub fn of(doc: &PostMortem, can_edit: bool, today: NaiveDate, r: Option<&Refusal>) -> Self {
        let key = doc.key.to_string();
        let version = Refusal::version(r, doc.version);
        let base = doc.horizon_base();
        let mut items: Vec<&ActionItem> = doc.action_items.iter().collect();
        items.sort_by_key(|a| a.number);
        let rows: Vec<ActionRow> = items
            .into_iter()
            .map(|a| {
                let mut owner = a.owner.clone().unwrap_or_default();
                if let Some(t) = a.team.as_deref().filter(|t| !t.trim().is_empty()) {
                    owner = if owner.is_empty() {
                        t.to_owned()
                    } else {
                        format!("{owner} ({t})")
                    };
                }
                ActionRow {
                    id: a.id.to_string(),
                    number: a.number,
                    title: a.title.clone(),
                    description: a.description.clone(),
                    owner,
                    due: a.due.map(day).unwrap_or_default(),
                    priority: a.priority.label(),
                    priority_slug: a.priority.as_str(),
                    horizon: a
                        .derived_horizon(base)
                        .or(a.horizon)
                        .map_or("", |h| h.label()),
                    status: a.status.label(),
                    statuses: choices(
                        a.status.as_str(),
                        ActionStatus::ALL.iter().map(|s| (s.as_str(), s.label())),
                    ),
                    criteria_done: a.success_criteria.iter().filter(|c| c.done).count(),
                    criteria_total: a.success_criteria.len(),
                    criteria: a
                        .success_criteria
                        .iter()
                        .map(|c| (c.text.clone(), c.done))
                        .collect(),
                    overdue: a.is_overdue(today),
                    open: false,
                    notes: Vec::new(),
                    can_verify: matches!(a.status, ActionStatus::Complete | ActionStatus::Verified),
                    verdict: match &a.verification {
                        Some(v) if v.effective => "effective",
                        Some(_) => "ineffective",
                        None => "",
                    },
                    verdict_note: a
                        .verification
                        .as_ref()
                        .map(|v| format!("{} ({})", v.evidence, day(v.on)))
                        .unwrap_or_default(),
                    verify_evidence: String::new(),
                    // A verified fix can only be found to have failed since.
                    verify_ineffective: a.status == ActionStatus::Verified,
                    verify_errors: Vec::new(),
                }
            })
            .collect();
        let mut errors = r.map(|r| r.errors.clone()).unwrap_or_default();
        let mut rows = rows;
        // A refused verdict is shown in its own row's form, not above the
        // table or in the add form.
        if let Some(Input::Action(f)) = r.map(|r| &r.input)
            && !f.verifying.is_empty()
        {
            let errors = std::mem::take(&mut errors);
            if let Some(row) = rows.iter_mut().find(|row| row.id == f.verifying) {
                row.verify_evidence = f.evidence.clone();
                row.verify_ineffective = f.verdict == "ineffective";
                row.verify_errors = errors
                    .0
                    .iter()
                    .map(|(field, m)| format!("{field}: {m}"))
                    .collect();
            }
        }
        let mut form = ActionForm::blank(version.to_string());
        let mut editing = None;
        match r.map(|r| &r.input) {
            Some(Input::Action(f)) if !f.editing.is_empty() => {
                editing = Some(ActionEdit::of(&key, f.clone(), std::mem::take(&mut errors)));
            }
            Some(Input::Action(f)) if f.open.is_empty() => form = f.clone(),
            _ => {}
        }
        if let Some(Input::Action(f)) = r.map(|r| &r.input) {
            for row in &mut rows {
                row.open = row.id == f.open;
            }
        }
        Self {
            key,
            version,
            can_edit,
            csrf: String::new(),
            overdue: rows.iter().filter(|r| r.overdue).count(),
            rows,
            today: day(today),
            general_errors: general(&errors, |f| ACTION_FIELDS.contains(&f)),
            priority_choices: priority_choices(&form.priority),
            form,
            editing,
            errors,
            conflict: r.is_some_and(|r| r.conflict),
        }
    }
}

impl ActionsView {
    /// Puts the coach's notes next to the items they are about.
    pub fn annotate(&mut self, notes: &super::review::CoachNotes) {
        for r in &mut self.rows {
            r.notes = notes.of(&r.id);
        }
    }
}

/// The action items section alone, for htmx.
#[derive(Template)]
#[template(path = "partials/incident_actions.html")]
pub struct ActionsPartial {
    /// The section.
    pub actions: ActionsView,
}

/// `POST /incidents/{key}/actions`: adds an action item.
pub async fn add_action(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(mut form): Form<ActionForm>,
) -> Result<Response, PageError> {
    form.editing.clear();
    let mut errors = FieldErrors::default();
    let item = form.item(None, &mut errors)?;
    let result = add_checked(&state, &caller, &raw, &form.version, &errors, item).await?;
    let sub = Submission::new(Part::Actions, form.version.clone(), Input::Action(form));
    answer(&state, &caller, &headers, &raw, sub, result).await
}

/// Applies `change` to action item `id` and saves it against `version`.
async fn change_item(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    version: &str,
    id: uuid::Uuid,
    change: impl FnOnce(&mut ActionItem) -> Result<(), StoreError>,
) -> Result<Result<PostMortem, StoreError>, PageError> {
    if version_of(version).is_none() {
        return Ok(Err(no_version()));
    }
    let doc = state.store.get(&key(raw)?).await?;
    let Some(item) = doc.action_items.iter().find(|a| a.id == id) else {
        return Ok(Err(StoreError::NotFound {
            what: format!("action item {id}"),
        }));
    };
    let mut item = item.clone();
    if let Err(e) = change(&mut item) {
        return Ok(Err(e));
    }
    item.horizon = None;
    let errors = FieldErrors::default();
    let item = Some(SectionItem::ActionItem(item));
    update_checked(state, caller, raw, version, &errors, item).await
}

/// `POST /incidents/{key}/actions/{id}/status`: moves an action item to a
/// new status (recorded in its status history).
pub async fn set_action_status(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((raw, raw_id)): Path<(String, String)>,
    Form(form): Form<StatusForm>,
) -> Result<Response, PageError> {
    let id = item_id(&raw_id)?;
    let now = state.clock.now();
    let status = form.status.parse::<ActionStatus>();
    let result = change_item(&state, &caller, &raw, &form.version, id, |item| {
        let status = status.map_err(|m| {
            let mut errs = debrief_core::ValidationErrors::default();
            errs.push("status", m);
            StoreError::Invalid(errs)
        })?;
        item.set_status(status, now, None);
        Ok(())
    })
    .await?;
    let sub = Submission::new(Part::Actions, form.version.clone(), Input::Nothing);
    answer(&state, &caller, &headers, &raw, sub, result).await
}

/// `POST /incidents/{key}/actions/{id}/criteria/{n}`: ticks or unticks
/// the `n`-th success criterion (from 0) of an action item.
pub async fn toggle_criterion(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((raw, raw_id, raw_n)): Path<(String, String, String)>,
    Form(form): Form<super::head::VersionForm>,
) -> Result<Response, PageError> {
    let id = item_id(&raw_id)?;
    let n: usize = raw_n.parse().map_err(|_| {
        PageError(ApiError::BadParameter {
            field: "n".into(),
            message: format!("`{raw_n}` is not a criterion number"),
        })
    })?;
    let result = change_item(&state, &caller, &raw, &form.version, id, |item| {
        let c = item
            .success_criteria
            .get_mut(n)
            .ok_or_else(|| StoreError::NotFound {
                what: format!("success criterion {n} of action item {id}"),
            })?;
        c.done = !c.done;
        Ok(())
    })
    .await?;
    let kept = ActionForm {
        open: id.to_string(),
        ..ActionForm::blank(form.version.clone())
    };
    let sub = Submission::new(Part::Actions, form.version.clone(), Input::Action(kept));
    answer(&state, &caller, &headers, &raw, sub, result).await
}

/// The verify form of one row.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct VerifyForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// `effective` or `ineffective`.
    pub verdict: String,
    /// What shows it.
    pub evidence: String,
}

/// `POST /incidents/{key}/actions/{id}/verify`: gives a complete action
/// item a verdict (see the module documentation).
pub async fn verify_action(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((raw, raw_id)): Path<(String, String)>,
    Form(form): Form<VerifyForm>,
) -> Result<Response, PageError> {
    let id = item_id(&raw_id)?;
    let now = state.clock.now();
    let effective = match form.verdict.as_str() {
        "effective" => Some(true),
        "ineffective" => Some(false),
        _ => None,
    };
    let result = change_item(&state, &caller, &raw, &form.version, id, |item| {
        let Some(effective) = effective else {
            let mut errs = debrief_core::ValidationErrors::default();
            errs.push("verdict", "choose effective or not effective");
            return Err(StoreError::Invalid(errs));
        };
        debrief_core::followup::verify(item, effective, &form.evidence, now)
            .map_err(StoreError::Invalid)
    })
    .await?;
    let kept = ActionForm {
        open: id.to_string(),
        verifying: id.to_string(),
        verdict: form.verdict.clone(),
        evidence: form.evidence.clone(),
        ..ActionForm::blank(form.version.clone())
    };
    let sub = Submission::new(Part::Actions, form.version.clone(), Input::Action(kept));
    answer(&state, &caller, &headers, &raw, sub, result).await
}
