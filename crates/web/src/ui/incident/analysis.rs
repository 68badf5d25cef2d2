//! The analysis part: 5 Whys chains as step lists, root causes (primary,
//! contributing, systemic), the fishbone drawn as SVG, and the FMEA table
//! sorted by RPN, with their add forms and the root-cause edit form.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use debrief_core::{FiveWhys, FmeaRow, PostMortem, RootCause, RootCauseKind, Score};
use debrief_store::SectionItem;
use serde::Deserialize;
use uuid::Uuid;

use super::form::{general, nonempty, opt, parse_choice, require, score};
use super::items::add_checked;
use super::{Input, Part, Refusal, Submission, answer};
use crate::AppState;
use crate::auth::Caller;
use crate::ui::incidents::Choice;
use crate::ui::{FieldErrors, PageError, choices};

/// One root cause with its place in its group (for the move buttons).
pub struct CauseRow {
    /// Item id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Details.
    pub details: Option<String>,
    /// First of its group.
    pub first: bool,
    /// Last of its group.
    pub last: bool,
    /// The coach's notes on this cause.
    pub notes: Vec<super::review::CoachNote>,
}

/// A 5 Whys chain with the coach's notes on it.
pub struct WhysRow {
    /// The chain.
    pub w: FiveWhys,
    /// The coach's notes.
    pub notes: Vec<super::review::CoachNote>,
}

/// A root-cause group (primary, contributing, systemic).
pub struct CauseGroup {
    /// Heading.
    pub label: &'static str,
    /// Causes in order.
    pub causes: Vec<CauseRow>,
}

/// One FMEA row with its computed numbers.
pub struct FmeaView {
    /// Item id.
    pub id: String,
    /// Failure mode.
    pub failure_mode: String,
    /// Effect.
    pub effect: String,
    /// Cause.
    pub cause: String,
    /// Severity, occurrence, detection.
    pub sod: String,
    /// Risk priority number.
    pub rpn: u16,
    /// Controls today.
    pub controls: String,
    /// Recommended action.
    pub action: String,
    /// RPN after the action, if scored.
    pub rpn_after: Option<u16>,
}

/// One fishbone cause in the list under the diagram.
pub struct BoneRow {
    /// Item id.
    pub id: String,
    /// Category and text ("People: ...").
    pub label: String,
    /// Nested under another cause.
    pub nested: bool,
    /// First of its bone.
    pub first: bool,
    /// Last of its bone.
    pub last: bool,
}

/// How many why/because pairs the 5 Whys form offers.
pub const WHY_STEPS: usize = 5;

/// The add-5-Whys form's input, kept on error: up to five why/because
/// pairs (plain numbered fields, as HTML forms post them).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WhysForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// The problem statement.
    pub problem: String,
    /// Question 1.
    pub why_1: String,
    /// Answer 1.
    pub because_1: String,
    /// Question 2.
    pub why_2: String,
    /// Answer 2.
    pub because_2: String,
    /// Question 3.
    pub why_3: String,
    /// Answer 3.
    pub because_3: String,
    /// Question 4.
    pub why_4: String,
    /// Answer 4.
    pub because_4: String,
    /// Question 5.
    pub why_5: String,
    /// Answer 5.
    pub because_5: String,
}

impl WhysForm {
    /// The why/because pairs in order.
    pub fn pairs(&self) -> [(&str, &str); WHY_STEPS] {
        [
            (&self.why_1, &self.because_1),
            (&self.why_2, &self.because_2),
            (&self.why_3, &self.because_3),
            (&self.why_4, &self.because_4),
            (&self.why_5, &self.because_5),
        ]
    }
}

/// The add-fishbone-cause form's input, kept on error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CauseForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// Category bone.
    pub category: String,
    /// The cause.
    pub text: String,
    /// Parent cause id, or empty for a cause on the bone itself.
    pub parent: String,
}

/// The add-FMEA-row form's input, kept on error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FmeaForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// Failure mode.
    pub failure_mode: String,
    /// Effect.
    pub effect: String,
    /// Cause.
    pub cause: String,
    /// Severity 1-10.
    pub severity: String,
    /// Occurrence 1-10.
    pub occurrence: String,
    /// Detection 1-10.
    pub detection: String,
    /// Controls in place.
    pub current_controls: String,
    /// Recommended action.
    pub recommended_action: String,
    /// Severity after the action (1-10), empty until re-scored.
    pub severity_after: String,
    /// Occurrence after the action.
    pub occurrence_after: String,
    /// Detection after the action.
    pub detection_after: String,
    /// The row this form edits (from the address, never the body); empty
    /// for the add form.
    #[serde(skip)]
    pub editing: String,
}

impl FmeaForm {
    /// The form filled in from a stored row.
    pub fn of(r: &FmeaRow, version: i64) -> Self {
        let s = |v: Option<Score>| v.map(|v| v.get().to_string()).unwrap_or_default();
        Self {
            version: version.to_string(),
            failure_mode: r.failure_mode.clone(),
            effect: r.effect.clone(),
            cause: r.cause.clone(),
            severity: r.severity.get().to_string(),
            occurrence: r.occurrence.get().to_string(),
            detection: r.detection.get().to_string(),
            current_controls: r.current_controls.clone(),
            recommended_action: r.recommended_action.clone(),
            severity_after: s(r.severity_after),
            occurrence_after: s(r.occurrence_after),
            detection_after: s(r.detection_after),
            editing: r.id.to_string(),
        }
    }

    /// The row the form describes (with id `id`; RPNs are computed), or
    /// `None` with `errors` filled in. The scores after the action are all
    /// given or all left empty.
    pub fn row(&self, id: Uuid, errors: &mut FieldErrors) -> Option<FmeaRow> {
        require(errors, "failure_mode", &self.failure_mode);
        let s = score(errors, "severity", &self.severity);
        let o = score(errors, "occurrence", &self.occurrence);
        let d = score(errors, "detection", &self.detection);
        let after = [
            ("severity_after", &self.severity_after),
            ("occurrence_after", &self.occurrence_after),
            ("detection_after", &self.detection_after),
        ];
        let given = after.iter().filter(|(_, v)| !v.trim().is_empty()).count();
        let [sa, oa, da] = after.map(|(f, v)| match (given, v.trim()) {
            (0, _) => None,
            (_, "") => {
                errors.push(f, "score all three after the action, or none");
                None
            }
            _ => score(errors, f, v),
        });
        let to = |v: i64| Score::new(v).ok();
        let row = FmeaRow {
            id,
            failure_mode: self.failure_mode.trim().to_owned(),
            effect: self.effect.trim().to_owned(),
            cause: self.cause.trim().to_owned(),
            severity: to(s?)?,
            occurrence: to(o?)?,
            detection: to(d?)?,
            rpn: None,
            current_controls: self.current_controls.trim().to_owned(),
            recommended_action: self.recommended_action.trim().to_owned(),
            severity_after: sa.and_then(to),
            occurrence_after: oa.and_then(to),
            detection_after: da.and_then(to),
            rpn_after: None,
        };
        errors.is_empty().then_some(row)
    }
}

/// An FMEA row's edit form (re-scoring after the action), in the analysis
/// section's edit panel.
pub struct FmeaEdit {
    /// Incident key.
    pub key: String,
    /// The form.
    pub form: FmeaForm,
    /// Field errors.
    pub errors: FieldErrors,
    /// The six score inputs: name, label, value.
    pub scores: Vec<(&'static str, &'static str, String)>,
}

impl FmeaEdit {
    /// The edit form of a row.
    pub fn new(key: &str, form: FmeaForm, errors: FieldErrors) -> Self {
        let scores = vec![
            ("severity", "Severity (1–10)", form.severity.clone()),
            ("occurrence", "Occurrence (1–10)", form.occurrence.clone()),
            ("detection", "Detection (1–10)", form.detection.clone()),
            (
                "severity_after",
                "Severity after the action",
                form.severity_after.clone(),
            ),
            (
                "occurrence_after",
                "Occurrence after the action",
                form.occurrence_after.clone(),
            ),
            (
                "detection_after",
                "Detection after the action",
                form.detection_after.clone(),
            ),
        ];
        Self {
            key: key.to_owned(),
            form,
            errors,
            scores,
        }
    }
}

/// An FMEA row's edit form alone, fetched when the user asks to edit.
#[derive(Template)]
#[template(path = "partials/fmea_edit.html")]
pub struct FmeaEditPartial {
    /// The form.
    pub ed: FmeaEdit,
    /// CSRF token (empty for htmx, which sends the header).
    pub csrf: String,
}

/// A root-cause form's input (add or edit), kept on error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RootCauseForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// `primary`, `contributing` or `systemic`.
    pub kind: String,
    /// The cause in a few words.
    pub title: String,
    /// More detail.
    pub details: String,
    /// The cause this form edits (from the address, never the body); empty
    /// for the add form.
    #[serde(skip)]
    pub editing: String,
}

impl RootCauseForm {
    /// The form filled in from a stored cause.
    pub fn of(c: &RootCause, version: i64) -> Self {
        Self {
            version: version.to_string(),
            kind: c.kind.as_str().to_owned(),
            title: c.title.clone(),
            details: c.details.clone().unwrap_or_default(),
            editing: c.id.to_string(),
        }
    }

    /// The cause the form describes (with id `id`), or `None` with
    /// `errors` filled in.
    pub fn cause(&self, id: Uuid, errors: &mut FieldErrors) -> Option<RootCause> {
        require(errors, "title", &self.title);
        let kind: Option<RootCauseKind> = parse_choice(errors, "kind", &self.kind);
        Some(RootCause {
            id,
            kind: kind?,
            title: self.title.trim().to_owned(),
            details: opt(&self.details),
        })
        .filter(|_| errors.is_empty())
    }
}

/// A root cause's edit form, in the analysis section's edit panel.
pub struct RootCauseEdit {
    /// Incident key.
    pub key: String,
    /// The form.
    pub form: RootCauseForm,
    /// Kind choices.
    pub kind_choices: Vec<Choice>,
    /// Field errors.
    pub errors: FieldErrors,
}

fn kind_choices(current: &str) -> Vec<Choice> {
    choices(
        current,
        RootCauseKind::ALL.iter().map(|k| (k.as_str(), k.label())),
    )
}

impl RootCauseEdit {
    /// The edit form of a cause.
    pub fn of(key: &str, form: RootCauseForm, errors: FieldErrors) -> Self {
        Self {
            key: key.to_owned(),
            kind_choices: kind_choices(&form.kind),
            form,
            errors,
        }
    }
}

/// A root cause's edit form alone, fetched when the user asks to edit.
#[derive(Template)]
#[template(path = "partials/root_cause_edit.html")]
pub struct RootCauseEditPartial {
    /// The form.
    pub ed: RootCauseEdit,
    /// CSRF token (empty for htmx, which sends the header).
    pub csrf: String,
}

/// One why/because pair of the 5 Whys form.
pub struct StepInput {
    /// Position, from 1.
    pub n: usize,
    /// Question typed.
    pub why: String,
    /// Answer typed.
    pub because: String,
    /// Error for the question.
    pub why_error: Option<String>,
    /// Error for the answer.
    pub because_error: Option<String>,
}

/// Root-cause analysis (also answered alone to htmx).
pub struct AnalysisView {
    /// Incident key.
    pub key: String,
    /// Version the forms are made against.
    pub version: i64,
    /// Whether edit controls are shown.
    pub can_edit: bool,
    /// The session's CSRF token for forms posted without JavaScript.
    pub csrf: String,
    /// 5 Whys chains, each with the coach's notes.
    pub five_whys: Vec<WhysRow>,
    /// Root causes by kind; only kinds with causes.
    pub causes: Vec<CauseGroup>,
    /// The fishbone effect.
    pub effect: String,
    /// The fishbone SVG (generated and escaped by the report crate).
    pub fishbone_svg: String,
    /// Fishbone causes, by bone.
    pub bones: Vec<BoneRow>,
    /// FMEA rows by RPN, highest first.
    pub fmea: Vec<FmeaView>,
    /// 5 Whys form input.
    pub whys_form: WhysForm,
    /// 5 Whys form steps.
    pub steps: Vec<StepInput>,
    /// Root cause add form input.
    pub cause_add: RootCauseForm,
    /// Root cause kind choices for the add form.
    pub kind_choices: Vec<Choice>,
    /// A root cause's edit form, open after "Edit" or a refused edit.
    pub editing: Option<RootCauseEdit>,
    /// An FMEA row's edit form, open after "Re-score" or a refused edit.
    pub editing_fmea: Option<FmeaEdit>,
    /// Fishbone cause form input.
    pub cause_form: CauseForm,
    /// Category choices.
    pub category_choices: Vec<Choice>,
    /// Parent cause choices.
    pub parent_choices: Vec<Choice>,
    /// FMEA form input.
    pub fmea_form: FmeaForm,
    /// The form a refused write came from: `whys`, `root`, `cause`, `fmea`
    /// or empty.
    pub failed: &'static str,
    /// Field errors of that form.
    pub errors: FieldErrors,
    /// Errors not shown next to a field.
    pub general_errors: Vec<String>,
    /// Whether the last write was refused as stale.
    pub conflict: bool,
}

/// Fields shown next to their input in one of the analysis forms.
fn analysis_field(f: &str) -> bool {
    [
        "problem",
        "category",
        "text",
        "parent",
        "kind",
        "title",
        "failure_mode",
        "severity",
        "occurrence",
        "detection",
        "severity_after",
        "occurrence_after",
        "detection_after",
    ]
    .contains(&f)
        || (f.starts_with("steps[") && (f.ends_with("].why") || f.ends_with("].because")))
}

/// Marks the first and last of each run of equal `group` keys.
fn ends<T>(rows: &mut [T], group: impl Fn(&T) -> String, mut set: impl FnMut(&mut T, bool, bool)) {
    let keys: Vec<String> = rows.iter().map(&group).collect();
    for (i, row) in rows.iter_mut().enumerate() {
        let first = !keys[..i].contains(&keys[i]);
        let last = !keys[i + 1..].contains(&keys[i]);
        set(row, first, last);
    }
}

impl AnalysisView {
    /// The analysis of `doc`, with a refused analysis write shown.
    pub fn of(doc: &PostMortem, can_edit: bool, r: Option<&Refusal>) -> Self {
        let key = doc.key.to_string();
        let causes = RootCauseKind::ALL
            .iter()
            .filter_map(|k| {
                let mut causes: Vec<CauseRow> = doc
                    .root_causes
                    .iter()
                    .filter(|c| c.kind == *k)
                    .map(|c| CauseRow {
                        id: c.id.to_string(),
                        title: c.title.clone(),
                        details: nonempty(&c.details),
                        first: false,
                        last: false,
                        notes: Vec::new(),
                    })
                    .collect();
                ends(
                    &mut causes,
                    |_| String::new(),
                    |c, f, l| (c.first, c.last) = (f, l),
                );
                (!causes.is_empty()).then_some(CauseGroup {
                    label: k.label(),
                    causes,
                })
            })
            .collect();
        let effect = doc.fishbone_effect();
        let mut fmea: Vec<FmeaView> = doc
            .fmea
            .iter()
            .map(|r| FmeaView {
                id: r.id.to_string(),
                failure_mode: r.failure_mode.clone(),
                effect: r.effect.clone(),
                cause: r.cause.clone(),
                sod: format!(
                    "{} × {} × {}",
                    r.severity.get(),
                    r.occurrence.get(),
                    r.detection.get()
                ),
                rpn: r.computed_rpn(),
                controls: r.current_controls.clone(),
                action: r.recommended_action.clone(),
                rpn_after: r.computed_rpn_after(),
            })
            .collect();
        fmea.sort_by_key(|r| std::cmp::Reverse(r.rpn));
        let errors = r.map(|r| r.errors.clone()).unwrap_or_default();
        let (mut whys_form, mut cause_form, mut fmea_form) = (
            WhysForm::default(),
            CauseForm::default(),
            FmeaForm::default(),
        );
        let mut cause_add = RootCauseForm {
            kind: RootCauseKind::Primary.as_str().to_owned(),
            ..RootCauseForm::default()
        };
        let mut editing = None;
        let mut editing_fmea = None;
        let failed = match r.map(|r| &r.input) {
            Some(Input::Fmea(f)) if !f.editing.is_empty() => {
                editing_fmea = Some(FmeaEdit::new(&key, f.clone(), errors.clone()));
                "fmea-edit"
            }
            Some(Input::Whys(f)) => {
                whys_form = f.clone();
                "whys"
            }
            Some(Input::RootCause(f)) if !f.editing.is_empty() => {
                editing = Some(RootCauseEdit::of(&key, f.clone(), errors.clone()));
                "root-edit"
            }
            Some(Input::RootCause(f)) => {
                cause_add = f.clone();
                "root"
            }
            Some(Input::Cause(f)) => {
                cause_form = f.clone();
                "cause"
            }
            Some(Input::Fmea(f)) => {
                fmea_form = f.clone();
                "fmea"
            }
            _ => "",
        };
        let steps = whys_form
            .pairs()
            .iter()
            .enumerate()
            .map(|(i, (why, because))| StepInput {
                n: i + 1,
                why: (*why).to_owned(),
                because: (*because).to_owned(),
                why_error: errors.get(&format!("steps[{i}].why")).map(str::to_owned),
                because_error: errors
                    .get(&format!("steps[{i}].because"))
                    .map(str::to_owned),
            })
            .collect();
        let mut categories: Vec<&str> =
            doc.fishbone.categories.iter().map(String::as_str).collect();
        if categories.is_empty() {
            categories = debrief_core::analysis::DEFAULT_FISHBONE_CATEGORIES.to_vec();
        }
        let category_choices = choices(&cause_form.category, categories.iter().map(|c| (*c, *c)));
        let parent_labels: Vec<(String, String)> = doc
            .fishbone
            .causes
            .iter()
            .map(|c| (c.id.to_string(), format!("{}: {}", c.category, c.text)))
            .collect();
        let parent_choices = choices(
            &cause_form.parent,
            parent_labels.iter().map(|(v, l)| (v.as_str(), l.as_str())),
        );
        let mut bones: Vec<(String, BoneRow)> = doc
            .fishbone
            .causes
            .iter()
            .map(|c| {
                let group = format!("{}/{:?}", c.category, c.parent);
                let row = BoneRow {
                    id: c.id.to_string(),
                    label: format!("{}: {}", c.category, c.text),
                    nested: c.parent.is_some(),
                    first: false,
                    last: false,
                };
                (group, row)
            })
            .collect();
        ends(
            &mut bones,
            |(g, _)| g.clone(),
            |(_, b), f, l| (b.first, b.last) = (f, l),
        );
        Self {
            version: Refusal::version(r, doc.version),
            can_edit,
            csrf: String::new(),
            five_whys: doc
                .five_whys
                .iter()
                .map(|w| WhysRow {
                    w: w.clone(),
                    notes: Vec::new(),
                })
                .collect(),
            causes,
            fishbone_svg: debrief_report::svg::fishbone(&doc.fishbone, &effect),
            effect,
            bones: bones.into_iter().map(|(_, b)| b).collect(),
            fmea,
            whys_form,
            steps,
            kind_choices: kind_choices(&cause_add.kind),
            cause_add,
            editing,
            editing_fmea,
            cause_form,
            category_choices,
            parent_choices,
            fmea_form,
            failed,
            general_errors: general(&errors, analysis_field),
            errors,
            conflict: r.is_some_and(|r| r.conflict),
            key,
        }
    }
}

impl AnalysisView {
    /// Puts the coach's notes next to the chains and causes they are about.
    pub fn annotate(&mut self, notes: &super::review::CoachNotes) {
        for row in &mut self.five_whys {
            row.notes = notes.of(&row.w.id.to_string());
        }
        for c in self.causes.iter_mut().flat_map(|g| g.causes.iter_mut()) {
            c.notes = notes.of(&c.id);
        }
    }
}

/// The analysis section alone, for htmx.
#[derive(Template)]
#[template(path = "partials/incident_analysis.html")]
pub struct AnalysisPartial {
    /// The section.
    pub analysis: AnalysisView,
}

/// `POST /incidents/{key}/five_whys`: adds a 5 Whys chain; pairs left
/// empty are skipped.
pub async fn add_whys(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<WhysForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::default();
    require(&mut errors, "problem", &form.problem);
    let mut steps = Vec::new();
    // Steps are numbered as stored (skipped pairs close up), so the
    // store's `steps[i]` errors point at the right inputs only when no pair
    // is skipped before them; the form's own checks use the input's place.
    for (i, (why, because)) in form.pairs().into_iter().enumerate() {
        let (why, because) = (why.trim(), because.trim());
        match (why.is_empty(), because.is_empty()) {
            (true, true) => {}
            (false, false) => steps.push(serde_json::json!({"why": why, "because": because})),
            (true, false) => errors.push(&format!("steps[{i}].why"), "give the question too"),
            (false, true) => errors.push(&format!("steps[{i}].because"), "give the answer too"),
        }
    }
    let item = serde_json::from_value(serde_json::json!({
        "problem": form.problem.trim(), "steps": steps
    }))
    .ok()
    .map(SectionItem::FiveWhys);
    let result = add_checked(&state, &caller, &raw, &form.version, &errors, item).await?;
    let sub = Submission::new(Part::Analysis, form.version.clone(), Input::Whys(form));
    answer(&state, &caller, &headers, &raw, sub, result).await
}

/// `POST /incidents/{key}/root_causes`: adds a root cause.
pub async fn add_root_cause(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(mut form): Form<RootCauseForm>,
) -> Result<Response, PageError> {
    form.editing.clear();
    let mut errors = FieldErrors::default();
    let item = form
        .cause(Uuid::nil(), &mut errors)
        .map(SectionItem::RootCause);
    let result = add_checked(&state, &caller, &raw, &form.version, &errors, item).await?;
    let sub = Submission::new(Part::Analysis, form.version.clone(), Input::RootCause(form));
    answer(&state, &caller, &headers, &raw, sub, result).await
}

/// `POST /incidents/{key}/fishbone`: adds a cause to the fishbone, on a
/// category bone or under another cause.
pub async fn add_cause(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<CauseForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::default();
    require(&mut errors, "text", &form.text);
    let parent = match form.parent.trim() {
        "" => None,
        p => match p.parse::<Uuid>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.push("parent", "choose a cause from the list");
                None
            }
        },
    };
    let item = serde_json::from_value(serde_json::json!({
        "category": form.category.trim(), "text": form.text.trim(), "parent": parent
    }))
    .ok()
    .map(SectionItem::FishboneCause);
    let result = add_checked(&state, &caller, &raw, &form.version, &errors, item).await?;
    let sub = Submission::new(Part::Analysis, form.version.clone(), Input::Cause(form));
    answer(&state, &caller, &headers, &raw, sub, result).await
}

/// `POST /incidents/{key}/fmea`: adds an FMEA row (its RPN is computed).
pub async fn add_fmea(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(mut form): Form<FmeaForm>,
) -> Result<Response, PageError> {
    form.editing.clear();
    let mut errors = FieldErrors::default();
    let item = form.row(Uuid::nil(), &mut errors).map(SectionItem::Fmea);
    let result = add_checked(&state, &caller, &raw, &form.version, &errors, item).await?;
    let sub = Submission::new(Part::Analysis, form.version.clone(), Input::Fmea(form));
    answer(&state, &caller, &headers, &raw, sub, result).await
}
