//! What went well and wrong (grouped by area) and the lessons learned, with
//! their add forms.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use debrief_core::{Area, Finding, FindingKind, PostMortem};
use debrief_store::SectionItem;
use serde::Deserialize;

use super::form::{general, lines, opt, parse_choice, require};
use super::items::add_checked;
use super::{Input, Part, Refusal, Submission, answer};
use crate::AppState;
use crate::auth::Caller;
use crate::ui::incidents::Choice;
use crate::ui::{FieldErrors, PageError, choices};

/// One finding with its place in its area (for the move buttons).
pub struct FindingRow {
    /// The finding.
    pub f: Finding,
    /// Item id.
    pub id: String,
    /// First of its area.
    pub first: bool,
    /// Last of its area.
    pub last: bool,
}

/// Findings of one area.
pub struct AreaGroup {
    /// Area label.
    pub label: &'static str,
    /// Findings.
    pub findings: Vec<FindingRow>,
}

fn by_area(list: &[Finding]) -> Vec<AreaGroup> {
    Area::ALL
        .iter()
        .filter_map(|a| {
            let in_area: Vec<&Finding> = list.iter().filter(|f| f.area == *a).collect();
            let n = in_area.len();
            let findings: Vec<FindingRow> = in_area
                .into_iter()
                .enumerate()
                .map(|(i, f)| FindingRow {
                    id: f.id.to_string(),
                    f: f.clone(),
                    first: i == 0,
                    last: i + 1 == n,
                })
                .collect();
            (!findings.is_empty()).then_some(AreaGroup {
                label: a.label(),
                findings,
            })
        })
        .collect()
}

/// One lesson with its place (for the move buttons).
pub struct LessonRow {
    /// Item id.
    pub id: String,
    /// The lesson.
    pub text: String,
    /// Elaboration.
    pub details: Option<String>,
    /// First in the list.
    pub first: bool,
    /// Last in the list.
    pub last: bool,
}

/// The add-finding form's input, kept on error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FindingForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// `went_well` or `went_wrong`.
    pub kind: String,
    /// Area of the response.
    pub area: String,
    /// Headline.
    pub title: String,
    /// Supporting statements, one per line.
    pub details: String,
    /// What it led to.
    pub impact: String,
}

/// The add-lesson form's input, kept on error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LessonForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// The lesson in a sentence.
    pub text: String,
    /// Elaboration.
    pub details: String,
}

/// What went well and wrong, and the lessons (also answered alone to htmx).
pub struct LearningView {
    /// Incident key.
    pub key: String,
    /// Version the forms are made against.
    pub version: i64,
    /// Whether edit controls are shown.
    pub can_edit: bool,
    /// The session's CSRF token for forms posted without JavaScript.
    pub csrf: String,
    /// What went well, by area.
    pub went_well: Vec<AreaGroup>,
    /// What went wrong, by area.
    pub went_wrong: Vec<AreaGroup>,
    /// Lessons learned.
    pub lessons: Vec<LessonRow>,
    /// Finding form input.
    pub finding_form: FindingForm,
    /// Kind choices.
    pub kind_choices: Vec<Choice>,
    /// Area choices.
    pub area_choices: Vec<Choice>,
    /// Lesson form input.
    pub lesson_form: LessonForm,
    /// The form a refused write came from: `finding`, `lesson` or empty.
    pub failed: &'static str,
    /// Field errors of that form.
    pub errors: FieldErrors,
    /// Errors not shown next to a field.
    pub general_errors: Vec<String>,
    /// Whether the last write was refused as stale.
    pub conflict: bool,
}

impl LearningView {
    /// Findings and lessons of `doc`, with a refused write shown.
    pub fn of(doc: &PostMortem, can_edit: bool, r: Option<&Refusal>) -> Self {
        let errors = r.map(|r| r.errors.clone()).unwrap_or_default();
        let mut finding_form = FindingForm {
            kind: FindingKind::WentWell.as_str().to_owned(),
            area: Area::Detection.as_str().to_owned(),
            ..FindingForm::default()
        };
        let mut lesson_form = LessonForm::default();
        let failed = match (r.map(|r| &r.input), r.map(|r| r.part)) {
            (Some(Input::Finding(f)), _) => {
                finding_form = f.clone();
                "finding"
            }
            (Some(Input::Lesson(f)), _) => {
                lesson_form = f.clone();
                "lesson"
            }
            (_, Some(Part::Lessons)) => "lesson",
            (_, Some(_)) => "finding",
            (_, None) => "",
        };
        let n = doc.lessons.len();
        Self {
            key: doc.key.to_string(),
            version: Refusal::version(r, doc.version),
            can_edit,
            csrf: String::new(),
            went_well: by_area(&doc.findings.went_well),
            went_wrong: by_area(&doc.findings.went_wrong),
            lessons: doc
                .lessons
                .iter()
                .enumerate()
                .map(|(i, l)| LessonRow {
                    id: l.id.to_string(),
                    text: l.text.clone(),
                    details: l.details.clone(),
                    first: i == 0,
                    last: i + 1 == n,
                })
                .collect(),
            kind_choices: choices(
                &finding_form.kind,
                FindingKind::ALL.iter().map(|k| (k.as_str(), k.label())),
            ),
            area_choices: choices(
                &finding_form.area,
                Area::ALL.iter().map(|a| (a.as_str(), a.label())),
            ),
            finding_form,
            lesson_form,
            failed,
            general_errors: general(&errors, |f| ["kind", "area", "title", "text"].contains(&f)),
            errors,
            conflict: r.is_some_and(|r| r.conflict),
        }
    }
}

/// What went well and wrong, alone, for htmx.
#[derive(Template)]
#[template(path = "partials/incident_findings.html")]
pub struct FindingsPartial {
    /// The sections.
    pub learning: LearningView,
}

/// The lessons section alone, for htmx.
#[derive(Template)]
#[template(path = "partials/incident_lessons.html")]
pub struct LessonsPartial {
    /// The section.
    pub learning: LearningView,
}

/// `POST /incidents/{key}/findings`: adds something that went well or
/// wrong.
pub async fn add_finding(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<FindingForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::default();
    require(&mut errors, "title", &form.title);
    let kind: Option<FindingKind> = parse_choice(&mut errors, "kind", &form.kind);
    let area: Option<Area> = parse_choice(&mut errors, "area", &form.area);
    let item = match (kind, area) {
        (Some(kind), Some(area)) => serde_json::from_value::<Finding>(serde_json::json!({
            "area": area,
            "title": form.title.trim(),
            "details": lines(&form.details),
            "impact": opt(&form.impact),
        }))
        .ok()
        .map(|f| match kind {
            FindingKind::WentWell => SectionItem::WentWell(f),
            FindingKind::WentWrong => SectionItem::WentWrong(f),
        }),
        _ => None,
    };
    let result = add_checked(&state, &caller, &raw, &form.version, &errors, item).await?;
    let sub = Submission::new(Part::Findings, form.version.clone(), Input::Finding(form));
    answer(&state, &caller, &headers, &raw, sub, result).await
}

/// `POST /incidents/{key}/lessons`: adds a lesson learned.
pub async fn add_lesson(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<LessonForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::default();
    require(&mut errors, "text", &form.text);
    let item = serde_json::from_value(serde_json::json!({
        "text": form.text.trim(), "details": opt(&form.details)
    }))
    .ok()
    .map(SectionItem::Lesson);
    let result = add_checked(&state, &caller, &raw, &form.version, &errors, item).await?;
    let sub = Submission::new(Part::Lessons, form.version.clone(), Input::Lesson(form));
    answer(&state, &caller, &headers, &raw, sub, result).await
}
