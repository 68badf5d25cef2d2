//! The incident page: the whole post-mortem of one incident on one page, in
//! the order of the review (overview, timeline, analysis, what went well and
//! wrong, action items, communications, lessons, access), with its exports
//! and the forms that edit it in place. One file per part of the page; this
//! one holds what they share: loading, the page, and how a write is answered.
//!
//! Everything shown is prepared as plain strings and lists (view models), so
//! the templates only lay out and askama escapes every value. The one
//! exception is the SVG of the fishbone and of the timeline axis, generated
//! and escaped by [`debrief_report::svg`].
//!
//! Edits are forms posted to page routes under `/incidents/{key}/`: one
//! route per add form (`timeline`, `five_whys`, `root_causes`, `fishbone`,
//! `fmea`, `findings`, `lessons`, `actions`), the header and overview forms,
//! participants, communications and access, and one generic set for the
//! items of every section: `items/{section}/{id}` (save an edit),
//! `items/{section}/{id}/edit` (fetch the edit form), `.../delete` and
//! `.../move`. Each form carries the incident version it was rendered from;
//! the store refuses a write against an older version, and the part comes
//! back with a conflict message, a Reload link and the user's input kept; a
//! rule broken shows its message next to the field.
//!
//! Every write ends in [`answer`]: a successful write answers the
//! re-rendered part plus an out-of-band update of every form's version field
//! (the change is the user's own, so their other open forms stay valid).
//! htmx only swaps 2xx answers, so refusals to htmx are 200 with the message
//! in the body. Without JavaScript the same forms post normally (with the
//! session's `csrf` field) and are answered with a redirect, or with the
//! whole page (409 or 422) on error.

pub mod access;
pub mod actions;
pub mod analysis;
pub mod comms;
mod form;
pub mod head;
pub mod items;
pub mod learning;
pub mod review;
pub mod similar;
pub mod timeline;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use debrief_core::PostMortem;
use debrief_core::access::{Action, Decision, IncidentAccess, decide};
use debrief_store::{Section, StoreError};

pub use form::{Fact, duration_words};

use self::form::{Outcome, html, outcome, render_str, version_of, version_oob};
use super::{FieldErrors, Layout, PageError, is_htmx, page_headers, render, see_other};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::key;

/// The message shown when a form was made against an older version.
pub const CONFLICT: &str = "Someone else changed this incident since you opened it.";

/// The parts of the page that forms write to; each is answered alone to
/// htmx, and each is a section of the page with this anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Title, badges, exports and the header form.
    Head,
    /// Overview: summary, lifecycle, impact, participants, ATT&CK.
    Overview,
    /// The timeline.
    Timeline,
    /// 5 Whys, root causes, fishbone, FMEA.
    Analysis,
    /// What went well and wrong.
    Findings,
    /// Lessons learned.
    Lessons,
    /// Action items.
    Actions,
    /// Internal summary and customer notification.
    Communications,
    /// Restriction and members.
    Access,
    /// The guided review: measures, deadlines, checklist, agenda, coach.
    Review,
}

impl Part {
    /// The section's element id on the page.
    pub fn anchor(self) -> &'static str {
        match self {
            Part::Head => "incident-head",
            Part::Overview => "overview",
            Part::Timeline => "timeline",
            Part::Analysis => "analysis",
            Part::Findings => "went-well",
            Part::Lessons => "lessons",
            Part::Actions => "actions",
            Part::Communications => "communications",
            Part::Access => "access",
            Part::Review => "review",
        }
    }

    /// The part that shows a section's items.
    pub fn of_section(s: Section) -> Part {
        match s {
            Section::Timeline => Part::Timeline,
            Section::FiveWhys | Section::RootCauses | Section::FishboneCauses | Section::Fmea => {
                Part::Analysis
            }
            Section::WentWell | Section::WentWrong => Part::Findings,
            Section::ActionItems => Part::Actions,
            Section::Lessons => Part::Lessons,
        }
    }
}

/// What a form posted, kept to show again after a refusal.
#[derive(Debug, Clone, Default)]
pub enum Input {
    /// A form with nothing to keep (delete, move, status, tick).
    #[default]
    Nothing,
    /// The header form.
    Header(head::HeaderForm),
    /// The overview form.
    Overview(head::OverviewForm),
    /// The add-participant form.
    Participant(head::ParticipantForm),
    /// A timeline entry (add or edit).
    Entry(timeline::EntryForm),
    /// The 5 Whys form.
    Whys(analysis::WhysForm),
    /// A root cause (add or edit).
    RootCause(analysis::RootCauseForm),
    /// The fishbone cause form.
    Cause(analysis::CauseForm),
    /// The FMEA form.
    Fmea(analysis::FmeaForm),
    /// A finding (add).
    Finding(learning::FindingForm),
    /// A lesson (add).
    Lesson(learning::LessonForm),
    /// An action item (add or edit).
    Action(actions::ActionForm),
    /// The internal summary form.
    Internal(comms::InternalForm),
    /// The customer notification form.
    Customer(comms::CustomerForm),
    /// The add-member form.
    Member(access::MemberForm),
    /// The process facts form.
    Facts(review::FactsForm),
    /// The agenda form.
    Agenda(review::AgendaForm),
    /// An acknowledgement of a coach finding.
    Ack(review::AckForm),
}

/// A refused write, shown in its part of the page.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The part the form belongs to.
    pub part: Part,
    /// What the user typed.
    pub input: Input,
    /// Messages by field.
    pub errors: FieldErrors,
    /// Whether the refusal was a stale version.
    pub conflict: bool,
    /// The version the form carried: kept in the part's forms, so a second
    /// click cannot silently overwrite; the Reload link fetches the new one.
    pub stale: Option<i64>,
}

impl Refusal {
    /// The version the part's forms are to carry.
    pub fn version(r: Option<&Refusal>, current: i64) -> i64 {
        r.and_then(|r| r.stale).unwrap_or(current)
    }
}

/// What a page handler knows about the incident and the caller.
pub struct Loaded {
    /// The post-mortem.
    pub doc: PostMortem,
    /// Whether it is restricted to its members.
    pub restricted: bool,
    /// Whether the caller may edit it.
    pub can_edit: bool,
    /// Whether the caller may restrict it and manage its members.
    pub can_manage: bool,
}

/// Loads the incident named in the address with the caller's rights on it.
pub async fn load(state: &AppState, caller: &Caller, raw: &str) -> Result<Loaded, PageError> {
    let key = key(raw)?;
    let doc = state.store.get(&key).await?;
    with_access(state, caller, doc).await
}

/// The caller's rights on `doc`.
async fn with_access(
    state: &AppState,
    caller: &Caller,
    doc: PostMortem,
) -> Result<Loaded, PageError> {
    let access = state
        .store
        .incident_access(&doc.key, caller.principal.user_id)
        .await?
        .unwrap_or(IncidentAccess {
            restricted: false,
            member: false,
        });
    let allowed = |a| decide(&caller.principal, a, Some(access)) == Decision::Allow;
    Ok(Loaded {
        restricted: access.restricted,
        can_edit: allowed(Action::EditIncident),
        can_manage: allowed(Action::ManageMembers),
        doc,
    })
}

/// The whole incident page.
#[derive(Template)]
#[template(path = "incident.html")]
pub struct IncidentPage {
    /// Layout.
    pub layout: Layout,
    /// Page head and header form.
    pub h: head::HeaderView,
    /// Overview.
    pub o: head::Overview,
    /// Whether the overview replaces itself out of band (never on the page).
    pub overview_oob: bool,
    /// Timeline.
    pub tl: timeline::TimelineView,
    /// Analysis.
    pub analysis: analysis::AnalysisView,
    /// What went well and wrong, and the lessons.
    pub learning: learning::LearningView,
    /// Action items.
    pub actions: actions::ActionsView,
    /// Communications.
    pub comms: comms::CommsView,
    /// Restriction and members, for those who manage them.
    pub access: Option<access::AccessView>,
    /// The guided review.
    pub review: review::ReviewView,
}

/// Builds the page, with `refused` shown in its part.
async fn page(
    state: &AppState,
    caller: &Caller,
    l: &Loaded,
    refused: Option<&Refusal>,
) -> Result<IncidentPage, PageError> {
    let doc = &l.doc;
    let title = format!("{}: {}", doc.key, doc.title);
    let layout = Layout::of(caller, &title, "incidents").await?;
    let csrf = layout.csrf.clone();
    let mut parts = Parts::build(state, l, refused).await?;
    parts.set_csrf(&csrf);
    Ok(IncidentPage {
        layout,
        h: parts.h,
        o: parts.o,
        overview_oob: false,
        tl: parts.tl,
        analysis: parts.analysis,
        learning: parts.learning,
        actions: parts.actions,
        comms: parts.comms,
        access: parts.access,
        review: parts.review,
    })
}

/// Every part's view, each given the refusal when it is about that part.
struct Parts {
    h: head::HeaderView,
    o: head::Overview,
    tl: timeline::TimelineView,
    analysis: analysis::AnalysisView,
    learning: learning::LearningView,
    actions: actions::ActionsView,
    comms: comms::CommsView,
    access: Option<access::AccessView>,
    review: review::ReviewView,
}

impl Parts {
    async fn build(
        state: &AppState,
        l: &Loaded,
        refused: Option<&Refusal>,
    ) -> Result<Self, PageError> {
        let doc = &l.doc;
        let about = |p: Part| refused.filter(|r| r.part == p);
        let today = state.clock.now().date_naive();
        let categories = state.store.categories().await?;
        let learning_refusal = about(Part::Findings).or(about(Part::Lessons));
        let (review, notes) = review::view(state, l, about(Part::Review)).await?;
        let mut tl = timeline::TimelineView::of(doc, l.can_edit, about(Part::Timeline));
        let mut analysis = analysis::AnalysisView::of(doc, l.can_edit, about(Part::Analysis));
        let mut actions = actions::ActionsView::of(doc, l.can_edit, today, about(Part::Actions));
        tl.annotate(&notes);
        analysis.annotate(&notes);
        actions.annotate(&notes);
        Ok(Self {
            h: head::HeaderView::of(doc, l.restricted, l.can_edit, about(Part::Head)),
            o: head::Overview::of(doc, l, &categories, about(Part::Overview)),
            tl,
            analysis,
            learning: learning::LearningView::of(doc, l.can_edit, learning_refusal),
            actions,
            comms: comms::CommsView::of(doc, l.can_edit, about(Part::Communications)),
            access: match l.can_manage {
                true => Some(access::AccessView::load(state, l, about(Part::Access)).await?),
                false => None,
            },
            review,
        })
    }

    fn set_csrf(&mut self, csrf: &str) {
        for slot in [
            &mut self.h.csrf,
            &mut self.o.csrf,
            &mut self.tl.csrf,
            &mut self.analysis.csrf,
            &mut self.learning.csrf,
            &mut self.actions.csrf,
            &mut self.comms.csrf,
            &mut self.review.csrf,
        ] {
            *slot = csrf.to_owned();
        }
        if let Some(a) = &mut self.access {
            a.csrf = csrf.to_owned();
        }
    }
}

/// `GET /incidents/{key}`: the whole post-mortem.
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let l = load(&state, &caller, &raw).await?;
    let page = page(&state, &caller, &l, None).await?;
    Ok(render(StatusCode::OK, &page))
}

fn download(content_type: &'static str, name: String, body: Vec<u8>) -> Response {
    let mut res = (
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response();
    page_headers(res.headers_mut());
    res
}

/// `GET /incidents/{key}/export.md`: the Markdown export as a download.
pub async fn export_md(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let doc = state.store.get(&key(&raw)?).await?;
    Ok(download(
        "text/markdown; charset=utf-8",
        format!("{}.md", doc.key),
        debrief_report::markdown(&doc).into_bytes(),
    ))
}

/// `GET /incidents/{key}/export.json`: the JSON document as a download,
/// exactly what `debrief import` reads back.
pub async fn export_json(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let doc = state.store.get(&key(&raw)?).await?;
    let body = serde_json::to_vec_pretty(&doc).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(download(
        "application/json",
        format!("{}.json", doc.key),
        body,
    ))
}

/// A form's write, as [`answer`] needs it.
pub struct Submission {
    /// The part the form belongs to.
    pub part: Part,
    /// The version the form carried.
    pub version: String,
    /// What was typed, kept on refusal.
    pub input: Input,
}

impl Submission {
    /// A submission of `part` with `input`.
    pub fn new(part: Part, version: String, input: Input) -> Self {
        Self {
            part,
            version,
            input,
        }
    }
}

/// Answers a write: on success the part (for htmx) or a redirect to it;
/// on refusal the part with the message and the input kept (htmx), or the
/// whole page with status 409 or 422.
pub async fn answer(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    raw: &str,
    sub: Submission,
    result: Result<PostMortem, StoreError>,
) -> Result<Response, PageError> {
    let htmx = is_htmx(headers);
    match outcome(result)? {
        Outcome::Done(doc) => {
            if !htmx {
                let to = format!("/incidents/{}#{}", doc.key, sub.part.anchor());
                return Ok(see_other(&to, false));
            }
            let l = with_access(state, caller, *doc).await?;
            let mut body = part_html(state, &l, sub.part, &sub.input, None).await?;
            body.push_str(&version_oob(l.doc.version));
            Ok(html(StatusCode::OK, body))
        }
        Outcome::Refused(errors, conflict) => {
            let l = load(state, caller, raw).await?;
            let refusal = Refusal {
                part: sub.part,
                stale: version_of(&sub.version),
                input: sub.input.clone(),
                errors,
                conflict,
            };
            if htmx {
                let body = part_html(state, &l, sub.part, &sub.input, Some(&refusal)).await?;
                return Ok(html(StatusCode::OK, body));
            }
            let status = if conflict {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let p = page(state, caller, &l, Some(&refusal)).await?;
            Ok(render(status, &p))
        }
    }
}

/// One part of the page, alone, as htmx swaps it in.
async fn part_html(
    state: &AppState,
    l: &Loaded,
    part: Part,
    input: &Input,
    refused: Option<&Refusal>,
) -> Result<String, PageError> {
    let doc = &l.doc;
    match part {
        Part::Head => {
            let h = head::HeaderView::of(doc, l.restricted, l.can_edit, refused);
            let mut body = render_str(&head::HeaderPartial { h })?;
            if refused.is_none() {
                // The overview shows the same severity and status.
                let categories = state.store.categories().await?;
                body.push_str(&render_str(&head::OverviewPartial {
                    o: head::Overview::of(doc, l, &categories, None),
                    overview_oob: true,
                })?);
            }
            Ok(body)
        }
        Part::Overview => {
            let categories = state.store.categories().await?;
            render_str(&head::OverviewPartial {
                o: head::Overview::of(doc, l, &categories, refused),
                overview_oob: false,
            })
        }
        Part::Timeline => {
            let mut tl = timeline::TimelineView::of(doc, l.can_edit, refused);
            tl.annotate(&review::view(state, l, None).await?.1);
            render_str(&timeline::TimelinePartial { tl })
        }
        Part::Analysis => {
            let mut analysis = analysis::AnalysisView::of(doc, l.can_edit, refused);
            analysis.annotate(&review::view(state, l, None).await?.1);
            render_str(&analysis::AnalysisPartial { analysis })
        }
        Part::Review => render_str(&review::ReviewPartial {
            review: review::view(state, l, refused).await?.0,
        }),
        Part::Findings => render_str(&learning::FindingsPartial {
            learning: learning::LearningView::of(doc, l.can_edit, refused),
        }),
        Part::Lessons => render_str(&learning::LessonsPartial {
            learning: learning::LearningView::of(doc, l.can_edit, refused),
        }),
        Part::Actions => {
            let today = state.clock.now().date_naive();
            let mut actions = actions::ActionsView::of(doc, l.can_edit, today, refused);
            actions.annotate(&review::view(state, l, None).await?.1);
            if let Input::Action(f) = input {
                // Keep the row the user was working in open.
                for r in &mut actions.rows {
                    r.open = r.id == f.open;
                }
            }
            render_str(&actions::ActionsPartial { actions })
        }
        Part::Communications => render_str(&comms::CommsPartial {
            comms: comms::CommsView::of(doc, l.can_edit, refused),
        }),
        Part::Access => render_str(&access::AccessPartial {
            access: access::AccessView::load(state, l, refused).await?,
        }),
    }
}

/// Shows the whole page with one part's form open on `input` (no
/// JavaScript: the "Edit" links lead here).
pub async fn page_with_form(
    state: &AppState,
    caller: &Caller,
    l: &Loaded,
    part: Part,
    input: Input,
) -> Result<Response, PageError> {
    let open = Refusal {
        part,
        input,
        errors: FieldErrors::default(),
        conflict: false,
        stale: None,
    };
    let p = page(state, caller, l, Some(&open)).await?;
    Ok(render(StatusCode::OK, &p))
}

/// Answers one part alone (htmx) after a read-only request such as "Cancel".
pub async fn part_only(
    state: &AppState,
    l: &Loaded,
    part: Part,
    input: &Input,
    refused: Option<&Refusal>,
) -> Result<Response, PageError> {
    Ok(html(
        StatusCode::OK,
        part_html(state, l, part, input, refused).await?,
    ))
}
