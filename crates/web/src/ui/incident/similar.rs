//! "Same incident twice": the similar earlier incidents of one incident,
//! each with why it is similar, and — when this incident repeats one of
//! them — the earlier incident's action items and how far each got, so a
//! review sees in one screen whether the last fix was done, verified, or
//! shown not to work.
//!
//! The panel is loaded after the page (`hx-trigger="load"`), so finding
//! similar incidents never slows the incident page down; without
//! JavaScript the same address answers a page of its own.
//!
//! Which earlier incident the story is about: the one recorded in
//! `repeat_of` when the caller may see it (a person's judgement beats a
//! score), else the best-scoring incident at or above the repeat threshold.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use debrief_core::PostMortem;
use debrief_core::access::{Action, Decision, decide};
use debrief_core::action::ActionStatus;
use debrief_core::similar::REPEAT_THRESHOLD;
use debrief_store::similar::Similar;

use super::form::html;
use super::{load, render_str};
use crate::AppState;
use crate::auth::Caller;
use crate::ui::{Layout, PageError, is_htmx, render};

/// How many similar incidents the panel lists.
pub const LIMIT: usize = 5;

/// One similar earlier incident, as listed.
#[derive(Debug, Clone)]
pub struct SimilarRow {
    /// Its key.
    pub key: String,
    /// Its title.
    pub title: String,
    /// Day of detection.
    pub detected: String,
    /// Similarity as a percentage.
    pub percent: u32,
    /// Why, strongest first.
    pub reasons: Vec<String>,
    /// At or above the repeat threshold.
    pub repeat: bool,
    /// "3 of 5 action items done".
    pub actions: String,
}

/// One of the earlier incident's action items in the repeat story.
#[derive(Debug, Clone)]
pub struct EarlierAction {
    /// Its id, the anchor of its row on the earlier incident's page.
    pub id: String,
    /// Its number.
    pub number: u32,
    /// Its title.
    pub title: String,
    /// Status label.
    pub status: &'static str,
    /// Status, machine form (badge class).
    pub status_class: &'static str,
    /// Owner, if any.
    pub owner: String,
    /// Due day, if any.
    pub due: String,
    /// The verdict on the fix, when one was given.
    pub verdict: Option<String>,
    /// Whether the fix was shown not to work.
    pub failed: bool,
}

/// The repeat story: this incident happened before.
#[derive(Debug, Clone)]
pub struct Story {
    /// The earlier incident's key.
    pub key: String,
    /// Its title.
    pub title: String,
    /// Day of its detection.
    pub detected: String,
    /// Why this is a repeat: "recorded as a repeat" or the score's reasons.
    pub why: String,
    /// One line: how many of its action items were done, verified, failed,
    /// still open.
    pub summary: String,
    /// Its action items.
    pub actions: Vec<EarlierAction>,
}

/// The panel.
#[derive(Template)]
#[template(path = "partials/incident_similar.html")]
pub struct SimilarPanel {
    /// This incident's key.
    pub key: String,
    /// The repeat story, when there is one.
    pub story: Option<Story>,
    /// The similar earlier incidents.
    pub rows: Vec<SimilarRow>,
    /// The threshold, as a percentage, for the explanation.
    pub threshold: u32,
}

/// The panel on a page of its own, for browsers without JavaScript.
#[derive(Template)]
#[template(path = "incident_similar.html")]
pub struct SimilarPage {
    /// Layout.
    pub layout: Layout,
    /// This incident's title.
    pub title: String,
    /// The panel.
    pub panel: SimilarPanel,
}

fn day(doc: &PostMortem) -> String {
    doc.lifecycle
        .detected
        .or(doc.created_at)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn done_count(doc: &PostMortem) -> (usize, usize) {
    let counted: Vec<_> = doc
        .action_items
        .iter()
        .filter(|a| a.status != ActionStatus::WontDo)
        .collect();
    let done = counted.iter().filter(|a| a.status.is_done()).count();
    (done, counted.len())
}

/// The story of `earlier`, told for why it counts as a repeat.
pub fn story(earlier: &PostMortem, why: String) -> Story {
    let actions: Vec<EarlierAction> = earlier
        .action_items
        .iter()
        .map(|a| {
            let failed = a.verification.as_ref().is_some_and(|v| !v.effective);
            EarlierAction {
                id: a.id.to_string(),
                number: a.number,
                title: a.title.clone(),
                status: a.status.label(),
                status_class: a.status.as_str(),
                owner: a.owner.clone().unwrap_or_default(),
                due: a.due.map(|d| d.to_string()).unwrap_or_default(),
                verdict: a.verification.as_ref().map(|v| {
                    let what = if v.effective {
                        "Shown effective"
                    } else {
                        "Shown NOT effective"
                    };
                    format!("{what} on {}: {}", v.on, v.evidence)
                }),
                failed,
            }
        })
        .collect();
    let (done, total) = done_count(earlier);
    let verified = earlier
        .action_items
        .iter()
        .filter(|a| a.verification.as_ref().is_some_and(|v| v.effective))
        .count();
    let failed = actions.iter().filter(|a| a.failed).count();
    let open = earlier
        .action_items
        .iter()
        .filter(|a| !a.status.is_closed())
        .count();
    let summary = if total == 0 {
        "It had no action items.".to_owned()
    } else {
        let mut parts = vec![format!("{done} of {total} action items were done")];
        if verified > 0 {
            parts.push(format!("{verified} shown effective"));
        }
        if failed > 0 {
            parts.push(format!("{failed} shown not to work"));
        }
        parts.push(match open {
            0 => "none is still open".to_owned(),
            1 => "1 is still open".to_owned(),
            n => format!("{n} are still open"),
        });
        format!("{}.", parts.join(", "))
    };
    Story {
        key: earlier.key.to_string(),
        title: earlier.title.clone(),
        detected: day(earlier),
        why,
        summary,
        actions,
    }
}

/// The panel for `doc`, as the caller may see it.
pub async fn panel(
    state: &AppState,
    caller: &Caller,
    doc: &PostMortem,
) -> Result<SimilarPanel, PageError> {
    let visible = crate::api::incidents::visibility(caller);
    let found: Vec<Similar> = state.store.similar_to(doc, &visible, LIMIT).await?;
    let mut story_of = None;
    if let Some(k) = &doc.repeat_of {
        if let Some(s) = found.iter().find(|s| s.found.key == k.as_str()) {
            story_of = Some(self::story(
                &s.earlier,
                format!("Recorded as a repeat; {}", s.found.reasons.join("; ")),
            ));
        } else if may_read(state, caller, k).await? {
            let earlier = state.store.get(k).await?;
            story_of = Some(self::story(&earlier, "Recorded as a repeat".to_owned()));
        }
    }
    if story_of.is_none()
        && let Some(s) = found.iter().find(|s| s.found.repeat)
    {
        story_of = Some(self::story(
            &s.earlier,
            format!(
                "Similarity {} % (repeat from {} %): {}",
                (s.found.score * 100.0).round(),
                (REPEAT_THRESHOLD * 100.0).round(),
                s.found.reasons.join("; ")
            ),
        ));
    }
    let rows = found
        .iter()
        .map(|s| {
            let (done, total) = done_count(&s.earlier);
            SimilarRow {
                key: s.found.key.clone(),
                title: s.found.title.clone(),
                detected: day(&s.earlier),
                percent: (s.found.score * 100.0).round() as u32,
                reasons: s.found.reasons.clone(),
                repeat: s.found.repeat,
                actions: format!("{done} of {total} action items done"),
            }
        })
        .collect();
    Ok(SimilarPanel {
        key: doc.key.to_string(),
        story: story_of,
        rows,
        threshold: (REPEAT_THRESHOLD * 100.0).round() as u32,
    })
}

/// Whether the caller may read incident `key` (it may be restricted).
async fn may_read(
    state: &AppState,
    caller: &Caller,
    key: &debrief_core::IncidentKey,
) -> Result<bool, PageError> {
    let Some(access) = state
        .store
        .incident_access(key, caller.principal.user_id)
        .await?
    else {
        return Ok(false);
    };
    Ok(decide(&caller.principal, Action::ReadIncident, Some(access)) == Decision::Allow)
}

/// `GET /incidents/{key}/similar`: the panel to htmx, a page otherwise.
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let l = load(&state, &caller, &raw).await?;
    let panel = panel(&state, &caller, &l.doc).await?;
    if is_htmx(&headers) {
        return Ok(html(StatusCode::OK, render_str(&panel)?));
    }
    let title = format!("Similar to {}: {}", l.doc.key, l.doc.title);
    let layout = Layout::of(&caller, &title, "incidents").await?;
    Ok(render(
        StatusCode::OK,
        &SimilarPage {
            layout,
            title: l.doc.title.clone(),
            panel,
        },
    ))
}
