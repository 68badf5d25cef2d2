//! The page head (title, badges, exports, the header form) and the
//! overview (summary, category, lifecycle, measures, impact, participants,
//! ATT&CK), with the forms that edit them.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use debrief_core::metrics::IncidentMeasures;
use debrief_core::{
    AttackTechnique, Impact, IncidentPatch, IncidentStatus, Lifecycle, Participant, PostMortem,
    PostmortemStatus, PostmortemType, Role, Severity,
};
use serde::Deserialize;

use super::form::{
    Fact, duration_words, fact, general, invalid, lines, local_input, no_version, opt,
    parse_choice, parse_time, require, thousands, version_of, when,
};
use super::{Input, Loaded, Part, Refusal, Submission, answer};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::key;
use crate::ui::incidents::Choice;
use crate::ui::{FieldErrors, PageError, choices};

/// The header edit form's input, kept on error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct HeaderForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: String,
    /// Why the severity changes, when it does.
    pub severity_reason: String,
    /// Incident status.
    pub status: String,
    /// Post-mortem status.
    pub postmortem_status: String,
}

/// The page head: title, badges, exports and the header edit form (also
/// answered alone to htmx).
pub struct HeaderView {
    /// Incident key.
    pub key: String,
    /// Version the form is made against.
    pub version: i64,
    /// Whether edit controls are shown.
    pub can_edit: bool,
    /// The session's CSRF token for forms posted without JavaScript.
    pub csrf: String,
    /// Title.
    pub title: String,
    /// Severity, machine form (badge class).
    pub severity: &'static str,
    /// Severity label.
    pub severity_label: &'static str,
    /// Incident status label.
    pub status: &'static str,
    /// Post-mortem status label.
    pub postmortem_status: &'static str,
    /// Whether the incident is restricted.
    pub restricted: bool,
    /// Form input.
    pub form: HeaderForm,
    /// Severity choices.
    pub severity_choices: Vec<Choice>,
    /// Status choices.
    pub status_choices: Vec<Choice>,
    /// Post-mortem status choices.
    pub postmortem_choices: Vec<Choice>,
    /// Field errors of the form.
    pub errors: FieldErrors,
    /// Errors not about a field of the form.
    pub general_errors: Vec<String>,
    /// Whether the last write was refused as stale.
    pub conflict: bool,
}

/// The header form's fields.
const HEADER_FIELDS: &[&str] = &[
    "title",
    "severity",
    "severity_reason",
    "status",
    "postmortem_status",
];

impl HeaderView {
    /// The head of `doc`, with a refused header write shown.
    pub fn of(doc: &PostMortem, restricted: bool, can_edit: bool, r: Option<&Refusal>) -> Self {
        let form = match r.map(|r| &r.input) {
            Some(Input::Header(f)) => f.clone(),
            _ => HeaderForm {
                version: doc.version.to_string(),
                title: doc.title.clone(),
                severity: doc.severity.as_str().to_owned(),
                severity_reason: String::new(),
                status: doc.status.as_str().to_owned(),
                postmortem_status: doc.postmortem_status.as_str().to_owned(),
            },
        };
        let errors = r.map(|r| r.errors.clone()).unwrap_or_default();
        Self {
            key: doc.key.to_string(),
            version: Refusal::version(r, doc.version),
            can_edit,
            csrf: String::new(),
            title: doc.title.clone(),
            severity: doc.severity.as_str(),
            severity_label: doc.severity.label(),
            status: doc.status.label(),
            postmortem_status: doc.postmortem_status.label(),
            restricted,
            severity_choices: choices(
                &form.severity,
                Severity::ALL.iter().map(|s| (s.as_str(), s.label())),
            ),
            status_choices: choices(
                &form.status,
                IncidentStatus::ALL.iter().map(|s| (s.as_str(), s.label())),
            ),
            postmortem_choices: choices(
                &form.postmortem_status,
                PostmortemStatus::ALL
                    .iter()
                    .map(|s| (s.as_str(), s.label())),
            ),
            general_errors: general(&errors, |f| HEADER_FIELDS.contains(&f)),
            form,
            errors,
            conflict: r.is_some_and(|r| r.conflict),
        }
    }
}

/// The page head alone, for htmx, with the overview swapped out of band
/// (it shows the same severity and status).
#[derive(Template)]
#[template(path = "partials/incident_header.html")]
pub struct HeaderPartial {
    /// The head.
    pub h: HeaderView,
}

/// Patches the incident against the form's version, or refuses with `errors`.
async fn patch(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    version: &str,
    errors: &FieldErrors,
    patch: serde_json::Value,
) -> Result<Result<PostMortem, debrief_store::StoreError>, PageError> {
    let k = key(raw)?;
    let Some(v) = version_of(version) else {
        return Ok(Err(no_version()));
    };
    if !errors.is_empty() {
        return Ok(Err(invalid(errors)));
    }
    let patch: IncidentPatch = serde_json::from_value(patch)
        .map_err(|e| ApiError::Internal(format!("incident form: {e}")))?;
    Ok(state
        .store
        .patch_incident(&k, patch, Some(v), &caller.ctx(state.clock.now()))
        .await)
}

/// `POST /incidents/{key}/header`: changes the title, severity (recorded
/// in the severity history with the reason given) and statuses.
pub async fn update_header(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<HeaderForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::default();
    require(&mut errors, "title", &form.title);
    let severity: Option<Severity> = parse_choice(&mut errors, "severity", &form.severity);
    let status: Option<IncidentStatus> = parse_choice(&mut errors, "status", &form.status);
    let pm_status: Option<PostmortemStatus> =
        parse_choice(&mut errors, "postmortem_status", &form.postmortem_status);
    let body = serde_json::json!({
        "title": form.title.trim(),
        "severity": severity,
        "severity_reason": opt(&form.severity_reason),
        "status": status,
        "postmortem_status": pm_status,
    });
    let result = patch(&state, &caller, &raw, &form.version, &errors, body).await?;
    let sub = Submission::new(Part::Head, form.version.clone(), Input::Header(form));
    answer(&state, &caller, &headers, &raw, sub, result).await
}

/// The overview form's input, kept on error: summary, category, types,
/// lifecycle times, impact, attack vectors and techniques, patient zero.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OverviewForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// Summary paragraph.
    pub summary: String,
    /// Category (from the managed list), empty for none.
    pub category: String,
    /// Technical post-mortem (checkbox).
    pub type_technical: String,
    /// Process post-mortem (checkbox).
    pub type_process: String,
    /// Organizational post-mortem (checkbox).
    pub type_organizational: String,
    /// First malicious activity (UTC).
    pub first_activity: String,
    /// Detected (UTC).
    pub detected: String,
    /// First response (UTC).
    pub responded: String,
    /// Escalated (UTC).
    pub escalated: String,
    /// Contained (UTC).
    pub contained: String,
    /// Recovered (UTC).
    pub recovered: String,
    /// Resolved (UTC).
    pub resolved: String,
    /// Closed (UTC).
    pub closed: String,
    /// Customer impact in words.
    pub customer_impact: String,
    /// Records affected (a whole number), empty when unknown.
    pub records_affected: String,
    /// Data involved, one per line.
    pub data_involved: String,
    /// Data confirmed not involved, one per line.
    pub data_not_involved: String,
    /// Systems affected, one per line.
    pub systems_affected: String,
    /// Attack vectors, one per line.
    pub attack_vectors: String,
    /// ATT&CK technique ids, separated by spaces, commas or lines.
    pub attack_techniques: String,
    /// Patient zero.
    pub patient_zero: String,
}

impl OverviewForm {
    fn of(doc: &PostMortem) -> Self {
        let t = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(local_input).unwrap_or_default();
        let has = |p: PostmortemType| if doc.types.contains(&p) { "on" } else { "" }.to_owned();
        let l = &doc.lifecycle;
        Self {
            version: doc.version.to_string(),
            summary: doc.summary.clone(),
            category: doc.category.clone().unwrap_or_default(),
            type_technical: has(PostmortemType::Technical),
            type_process: has(PostmortemType::Process),
            type_organizational: has(PostmortemType::Organizational),
            first_activity: t(l.first_activity),
            detected: t(l.detected),
            responded: t(l.responded),
            escalated: t(l.escalated),
            contained: t(l.contained),
            recovered: t(l.recovered),
            resolved: t(l.resolved),
            closed: t(l.closed),
            customer_impact: doc.impact.customer_impact.clone(),
            records_affected: doc
                .impact
                .records_affected
                .map(|n| n.to_string())
                .unwrap_or_default(),
            data_involved: doc.impact.data_involved.join("\n"),
            data_not_involved: doc.impact.data_not_involved.join("\n"),
            systems_affected: doc.impact.systems_affected.join("\n"),
            attack_vectors: doc.attack_vectors.join("\n"),
            attack_techniques: doc
                .attack_techniques
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            patient_zero: doc.patient_zero.clone().unwrap_or_default(),
        }
    }

    /// The lifecycle fields by name, in order.
    fn lifecycle_fields(&self) -> [(&'static str, &str); 8] {
        [
            ("first_activity", &self.first_activity),
            ("detected", &self.detected),
            ("responded", &self.responded),
            ("escalated", &self.escalated),
            ("contained", &self.contained),
            ("recovered", &self.recovered),
            ("resolved", &self.resolved),
            ("closed", &self.closed),
        ]
    }
}

/// The add-participant form's input, kept on error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ParticipantForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: String,
    /// Team, optional.
    pub team: String,
}

/// One lifecycle input of the overview form.
pub struct TimeInput {
    /// Field name.
    pub name: &'static str,
    /// Label.
    pub label: &'static str,
    /// Value typed.
    pub value: String,
    /// Its error.
    pub error: Option<String>,
}

/// One participant, with its place for the remove form.
pub struct ParticipantRow {
    /// Position in the list, from 0.
    pub n: usize,
    /// Name.
    pub name: String,
    /// Role and team in words.
    pub role: String,
}

/// The overview: header facts, lifecycle, measures, impact and people, and
/// the forms that edit them (also answered alone to htmx).
pub struct Overview {
    /// Incident key.
    pub key: String,
    /// Version the forms are made against.
    pub version: i64,
    /// Whether edit controls are shown.
    pub can_edit: bool,
    /// The session's CSRF token for forms posted without JavaScript.
    pub csrf: String,
    /// Summary paragraph.
    pub summary: String,
    /// Severity, machine form (badge class).
    pub severity: &'static str,
    /// Severity label.
    pub severity_label: &'static str,
    /// Severity changes in words, oldest first.
    pub severity_history: Vec<String>,
    /// Incident status label.
    pub status: &'static str,
    /// Post-mortem status label.
    pub postmortem_status: &'static str,
    /// Category, if any.
    pub category: Option<String>,
    /// Post-mortem types, joined.
    pub types: String,
    /// Whether the incident is restricted to its members.
    pub restricted: bool,
    /// Lifecycle moments that are set.
    pub lifecycle: Vec<Fact>,
    /// Response measures that can be computed.
    pub measures: Vec<Fact>,
    /// Customer impact in words.
    pub customer_impact: String,
    /// Impact facts (records, data, systems).
    pub impact: Vec<Fact>,
    /// People and their roles.
    pub participants: Vec<ParticipantRow>,
    /// ATT&CK technique ids.
    pub techniques: Vec<String>,
    /// Attack vectors.
    pub vectors: Vec<String>,
    /// Patient zero.
    pub patient_zero: Option<String>,
    /// The incident this repeats.
    pub repeat_of: Option<String>,
    /// Related incidents.
    pub related: Vec<String>,
    /// Last change.
    pub updated: Option<String>,
    /// Overview form input.
    pub form: OverviewForm,
    /// Lifecycle inputs.
    pub times: Vec<TimeInput>,
    /// Category choices (the managed list).
    pub category_choices: Vec<Choice>,
    /// Participant form input.
    pub participant_form: ParticipantForm,
    /// Role choices.
    pub role_choices: Vec<Choice>,
    /// The form a refused write came from: `overview`, `participant`,
    /// `remove` or empty.
    pub failed: &'static str,
    /// Field errors of that form.
    pub errors: FieldErrors,
    /// Errors not shown next to a field.
    pub general_errors: Vec<String>,
    /// Whether the last write was refused as stale.
    pub conflict: bool,
}

fn lifecycle_label(name: &str) -> &'static str {
    match name {
        "first_activity" => "First malicious activity",
        "detected" => "Detected",
        "responded" => "First response",
        "escalated" => "Escalated",
        "contained" => "Contained",
        "recovered" => "Recovered",
        "resolved" => "Resolved",
        "closed" => "Closed",
        _ => "Other",
    }
}

/// Fields of the overview and participant forms shown next to their input.
fn overview_field(f: &str) -> bool {
    f.starts_with("lifecycle.")
        || [
            "summary",
            "category",
            "records_affected",
            "attack_techniques",
            "name",
            "role",
        ]
        .contains(&f)
}

impl Overview {
    /// The overview of `doc`, with a refused overview write shown.
    pub fn of(doc: &PostMortem, l: &Loaded, categories: &[String], r: Option<&Refusal>) -> Self {
        let m = IncidentMeasures::of(doc);
        let measures = [
            ("Time to detect", m.time_to_detect),
            ("Time to respond", m.time_to_respond),
            ("Time to escalate", m.time_to_escalate),
            ("Time to contain", m.time_to_contain),
            ("Response to containment", m.response_to_containment),
            ("Containment to recovery", m.time_to_recover),
            ("Dwell time", m.dwell_time),
            ("Total duration", m.total_duration),
        ]
        .into_iter()
        .filter_map(|(l, d)| d.map(|d| fact(l, duration_words(d))))
        .collect();
        let mut impact = Vec::new();
        if let Some(n) = doc.impact.records_affected {
            impact.push(fact("Records affected", thousands(n)));
        }
        for (label, list) in [
            ("Data involved", &doc.impact.data_involved),
            ("Data not involved", &doc.impact.data_not_involved),
            ("Systems affected", &doc.impact.systems_affected),
        ] {
            if !list.is_empty() {
                impact.push(fact(label, list.join(", ")));
            }
        }
        let errors = r.map(|r| r.errors.clone()).unwrap_or_default();
        let (mut form, mut participant_form) = (
            OverviewForm::of(doc),
            ParticipantForm {
                role: Role::Responder.as_str().to_owned(),
                ..ParticipantForm::default()
            },
        );
        let failed = match r.map(|r| &r.input) {
            Some(Input::Overview(f)) => {
                form = f.clone();
                "overview"
            }
            Some(Input::Participant(f)) => {
                participant_form = f.clone();
                "participant"
            }
            Some(_) => "remove",
            None => "",
        };
        let times = form
            .lifecycle_fields()
            .iter()
            .map(|(name, value)| TimeInput {
                name,
                label: lifecycle_label(name),
                value: (*value).to_owned(),
                error: errors.get(&format!("lifecycle.{name}")).map(str::to_owned),
            })
            .collect();
        let mut category_choices = vec![Choice {
            value: String::new(),
            label: "(none)".into(),
            selected: form.category.is_empty(),
        }];
        category_choices.extend(choices(
            &form.category,
            categories.iter().map(|c| (c.as_str(), c.as_str())),
        ));
        Self {
            key: doc.key.to_string(),
            version: Refusal::version(r, doc.version),
            can_edit: l.can_edit,
            csrf: String::new(),
            summary: doc.summary.clone(),
            severity: doc.severity.as_str(),
            severity_label: doc.severity.label(),
            severity_history: doc
                .severity_history
                .iter()
                .map(|c| {
                    let mut s = format!("{} → {} at {}", c.from.label(), c.to.label(), when(c.at));
                    if !c.reason.trim().is_empty() {
                        s.push_str(": ");
                        s.push_str(&c.reason);
                    }
                    s
                })
                .collect(),
            status: doc.status.label(),
            postmortem_status: doc.postmortem_status.label(),
            category: doc.category.clone(),
            types: doc
                .types
                .iter()
                .map(|t| t.label())
                .collect::<Vec<_>>()
                .join(", "),
            restricted: l.restricted,
            lifecycle: doc
                .lifecycle
                .ordered()
                .iter()
                .filter_map(|(n, t)| t.map(|t| fact(lifecycle_label(n), when(t))))
                .collect(),
            measures,
            customer_impact: doc.impact.customer_impact.clone(),
            impact,
            participants: doc
                .participants
                .iter()
                .enumerate()
                .map(|(n, p)| {
                    let mut role = p.role.label().to_owned();
                    if let Some(t) = p.team.as_deref().filter(|t| !t.trim().is_empty()) {
                        role.push_str(&format!(" ({t})"));
                    }
                    ParticipantRow {
                        n,
                        name: p.name.clone(),
                        role,
                    }
                })
                .collect(),
            techniques: doc
                .attack_techniques
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            vectors: doc.attack_vectors.clone(),
            patient_zero: doc.patient_zero.clone(),
            repeat_of: doc.repeat_of.as_ref().map(|k| k.to_string()),
            related: doc.related.iter().map(|k| k.to_string()).collect(),
            updated: doc.updated_at.map(when),
            times,
            category_choices,
            role_choices: choices(
                &participant_form.role,
                Role::ALL.iter().map(|r| (r.as_str(), r.label())),
            ),
            form,
            participant_form,
            failed,
            general_errors: general(&errors, overview_field),
            errors,
            conflict: r.is_some_and(|r| r.conflict),
        }
    }
}

/// The overview section alone, for htmx.
#[derive(Template)]
#[template(path = "partials/incident_overview.html")]
pub struct OverviewPartial {
    /// The overview.
    pub o: Overview,
    /// Whether it replaces the section out of band.
    pub overview_oob: bool,
}

/// `POST /incidents/{key}/overview`: replaces the summary, category, types,
/// lifecycle times, impact, attack vectors and techniques, and patient zero.
pub async fn update_overview(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<OverviewForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::default();
    let mut lifecycle = Lifecycle::default();
    for (name, value) in form.lifecycle_fields() {
        let t = parse_time(&mut errors, &format!("lifecycle.{name}"), value, false);
        match name {
            "first_activity" => lifecycle.first_activity = t,
            "detected" => lifecycle.detected = t,
            "responded" => lifecycle.responded = t,
            "escalated" => lifecycle.escalated = t,
            "contained" => lifecycle.contained = t,
            "recovered" => lifecycle.recovered = t,
            "resolved" => lifecycle.resolved = t,
            _ => lifecycle.closed = t,
        }
    }
    let records_affected = match form.records_affected.trim().replace(',', "") {
        s if s.is_empty() => None,
        s => match s.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push("records_affected", "a whole number, or empty when unknown");
                None
            }
        },
    };
    let mut techniques = Vec::new();
    for t in form
        .attack_techniques
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
    {
        match AttackTechnique::parse(t) {
            Ok(t) => techniques.push(t),
            Err(m) => errors.push("attack_techniques", format!("`{t}`: {m}")),
        }
    }
    let types: Vec<PostmortemType> = [
        (&form.type_technical, PostmortemType::Technical),
        (&form.type_process, PostmortemType::Process),
        (&form.type_organizational, PostmortemType::Organizational),
    ]
    .into_iter()
    .filter(|(on, _)| !on.is_empty())
    .map(|(_, t)| t)
    .collect();
    let impact = Impact {
        customer_impact: form.customer_impact.trim().to_owned(),
        records_affected,
        data_involved: lines(&form.data_involved),
        data_not_involved: lines(&form.data_not_involved),
        systems_affected: lines(&form.systems_affected),
    };
    let body = serde_json::json!({
        "summary": form.summary.trim(),
        "category": opt(&form.category),
        "types": types,
        "lifecycle": lifecycle,
        "impact": impact,
        "attack_vectors": lines(&form.attack_vectors),
        "attack_techniques": techniques,
        "patient_zero": opt(&form.patient_zero),
    });
    let result = patch(&state, &caller, &raw, &form.version, &errors, body).await?;
    let sub = Submission::new(Part::Overview, form.version.clone(), Input::Overview(form));
    answer(&state, &caller, &headers, &raw, sub, result).await
}

/// `POST /incidents/{key}/participants`: adds a participant.
pub async fn add_participant(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<ParticipantForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::default();
    require(&mut errors, "name", &form.name);
    let role: Option<Role> = parse_choice(&mut errors, "role", &form.role);
    let doc = state.store.get(&key(&raw)?).await?;
    let mut people = doc.participants;
    if let Some(role) = role {
        people.push(Participant {
            name: form.name.trim().to_owned(),
            role,
            team: opt(&form.team),
        });
    }
    let body = serde_json::json!({ "participants": people });
    let result = patch(&state, &caller, &raw, &form.version, &errors, body).await?;
    let sub = Submission::new(
        Part::Overview,
        form.version.clone(),
        Input::Participant(form),
    );
    answer(&state, &caller, &headers, &raw, sub, result).await
}

/// The version field of a form that sends nothing else.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct VersionForm {
    /// The incident version the form was rendered from.
    pub version: String,
}

/// `POST /incidents/{key}/participants/{n}/delete`: removes the `n`-th
/// participant (from 0) of the list the form was rendered from; the
/// version check makes sure it is still the same list.
pub async fn remove_participant(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((raw, raw_n)): Path<(String, String)>,
    Form(form): Form<VersionForm>,
) -> Result<Response, PageError> {
    let doc = state.store.get(&key(&raw)?).await?;
    let mut people = doc.participants;
    let n = raw_n
        .parse::<usize>()
        .ok()
        .filter(|n| *n < people.len())
        .ok_or_else(|| PageError(ApiError::NotFound(format!("participant {raw_n}"))))?;
    people.remove(n);
    let body = serde_json::json!({ "participants": people });
    let errors = FieldErrors::default();
    let result = patch(&state, &caller, &raw, &form.version, &errors, body).await?;
    let sub = Submission::new(Part::Overview, form.version.clone(), Input::Nothing);
    answer(&state, &caller, &headers, &raw, sub, result).await
}
