//! What the items of every section share: adding against a version, and
//! one set of routes to edit, delete and move any item,
//! `/incidents/{key}/items/{section}/{id}[/edit|/delete|/move]`, answered
//! with the part that shows the section.
//!
//! Editable in place: timeline entries, action items, root causes and FMEA
//! rows (re-scored after the action; the items people refine during and
//! after the review). The other items are
//! short and are deleted and added again. Movable (up and down within their
//! group as the page shows it): 5 Whys chains, root causes (within their
//! kind), findings (within their area), fishbone causes (within their bone)
//! and lessons. Timeline entries are in time order, FMEA rows in RPN order
//! and action items keep their numbers, so those do not move.

use axum::extract::{Path, Query, RawForm, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use debrief_core::PostMortem;
use debrief_store::{Section, SectionItem, StoreError};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::actions::{ActionEdit, ActionEditPartial, ActionForm};
use super::analysis::{
    FmeaEdit, FmeaEditPartial, FmeaForm, RootCauseEdit, RootCauseEditPartial, RootCauseForm,
};
use super::form::{html, invalid, item_id, no_version, render_str, version_of};
use super::head::VersionForm;
use super::timeline::{EntryEditLink, EntryEditPartial, EntryForm, EntryView, TimelineView};
use super::{Input, Part, Submission, answer, load, page_with_form};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::key;
use crate::ui::{FieldErrors, PageError, is_htmx};

/// Adds `item` against the form's version, or refuses with `errors`.
pub(super) async fn add_checked(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    version: &str,
    errors: &FieldErrors,
    item: Option<SectionItem>,
) -> Result<Result<PostMortem, StoreError>, PageError> {
    let k = key(raw)?;
    Ok(match (version_of(version), item) {
        (None, _) => Err(no_version()),
        (Some(v), Some(item)) if errors.is_empty() => state
            .store
            .add_item(&k, item, Some(v), &caller.ctx(state.clock.now()))
            .await
            .map(|(doc, _)| doc),
        _ => Err(invalid(errors)),
    })
}

/// Replaces item `id` against the form's version, or refuses with `errors`.
pub(super) async fn update_checked(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    version: &str,
    errors: &FieldErrors,
    item: Option<SectionItem>,
) -> Result<Result<PostMortem, StoreError>, PageError> {
    let k = key(raw)?;
    Ok(match (version_of(version), item) {
        (None, _) => Err(no_version()),
        (Some(v), Some(item)) if errors.is_empty() => {
            state
                .store
                .update_item(&k, item.id(), item, Some(v), &caller.ctx(state.clock.now()))
                .await
        }
        _ => Err(invalid(errors)),
    })
}

fn section(raw: &str) -> Result<Section, PageError> {
    raw.parse()
        .map_err(|_| PageError(ApiError::NotFound(format!("section `{raw}`"))))
}

/// A request the section does not take (e.g. moving a timeline entry,
/// which is placed by its time).
fn not_here(section: Section, what: &str) -> PageError {
    PageError(ApiError::BadParameter {
        field: "section".into(),
        message: format!("items of `{section}` cannot be {what} here"),
    })
}

fn missing(section: Section, id: Uuid) -> PageError {
    PageError(ApiError::NotFound(format!("{} {id}", section.item_name())))
}

fn read_form<T: DeserializeOwned>(body: &[u8]) -> Result<T, PageError> {
    serde_urlencoded::from_bytes(body).map_err(|e| {
        PageError(ApiError::BadParameter {
            field: "form".into(),
            message: e.to_string(),
        })
    })
}

/// `POST /incidents/{key}/items/{section}/{id}`: saves an item's edit form.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((raw, raw_section, raw_id)): Path<(String, String, String)>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let (k, section, id) = (key(&raw)?, section(&raw_section)?, item_id(&raw_id)?);
    let doc = state.store.get(&k).await?;
    let mut errors = FieldErrors::default();
    let (version, item, input) = match section {
        Section::Timeline => {
            let mut f: EntryForm = read_form(&body)?;
            f.editing = id.to_string();
            let old = doc.timeline.iter().find(|e| e.id == id);
            let old = old.ok_or_else(|| missing(section, id))?;
            let item = f.entry(Some(old), &mut errors).map(SectionItem::Timeline);
            (f.version.clone(), item, Input::Entry(f))
        }
        Section::ActionItems => {
            let mut f: ActionForm = read_form(&body)?;
            f.editing = id.to_string();
            let old = doc.action_items.iter().find(|a| a.id == id);
            let old = old.ok_or_else(|| missing(section, id))?;
            let item = f.item(Some(old), &mut errors)?;
            (f.version.clone(), item, Input::Action(f))
        }
        Section::RootCauses => {
            let mut f: RootCauseForm = read_form(&body)?;
            f.editing = id.to_string();
            if !doc.root_causes.iter().any(|c| c.id == id) {
                return Err(missing(section, id));
            }
            let item = f.cause(id, &mut errors).map(SectionItem::RootCause);
            (f.version.clone(), item, Input::RootCause(f))
        }
        Section::Fmea => {
            let mut f: FmeaForm = read_form(&body)?;
            f.editing = id.to_string();
            if !doc.fmea.iter().any(|r| r.id == id) {
                return Err(missing(section, id));
            }
            let item = f.row(id, &mut errors).map(SectionItem::Fmea);
            (f.version.clone(), item, Input::Fmea(f))
        }
        other => return Err(not_here(other, "edited; delete and add again")),
    };
    let result = update_checked(&state, &caller, &raw, &version, &errors, item).await?;
    let sub = Submission::new(Part::of_section(section), version.clone(), input);
    answer(&state, &caller, &headers, &raw, sub, result).await
}

/// `?cancel=1` on the edit-form address.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EditQuery {
    /// Answer without the form (the "Edit" link, or nothing).
    pub cancel: String,
}

/// `GET /incidents/{key}/items/{section}/{id}/edit`: one item's edit form.
/// htmx swaps it in (a timeline entry's in place of its "Edit" link, an
/// action item's or root cause's into its section's edit panel); without
/// JavaScript the whole page comes back with that form open.
pub async fn edit_form(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((raw, raw_section, raw_id)): Path<(String, String, String)>,
    Query(q): Query<EditQuery>,
) -> Result<Response, PageError> {
    let (section, id) = (section(&raw_section)?, item_id(&raw_id)?);
    let l = load(&state, &caller, &raw).await?;
    let (doc, htmx, cancel) = (&l.doc, is_htmx(&headers), !q.cancel.is_empty());
    let key = doc.key.to_string();
    let none = FieldErrors::default;
    // Each section: the part it belongs to, the form filled in, the form as
    // htmx swaps it in, and what "Cancel" swaps back.
    let (part, input, fragment, cancelled) = match section {
        Section::Timeline => {
            let entry = doc.timeline.iter().find(|e| e.id == id);
            let entry = entry.ok_or_else(|| missing(section, id))?;
            let e = EntryView::of(entry, doc.version);
            let mut tl = TimelineView::of(doc, l.can_edit, None);
            tl.phases.clear();
            let input = Input::Entry(e.form.clone());
            let link = render_str(&EntryEditLink {
                key,
                e: EntryView::of(entry, doc.version),
            })?;
            let form = render_str(&EntryEditPartial { tl, e })?;
            (Part::Timeline, input, form, link)
        }
        Section::ActionItems => {
            let item = doc.action_items.iter().find(|a| a.id == id);
            let f = ActionForm::of(item.ok_or_else(|| missing(section, id))?, doc.version);
            let ed = ActionEdit::of(&key, f.clone(), none());
            let form = render_str(&ActionEditPartial {
                ed,
                csrf: String::new(),
            })?;
            (Part::Actions, Input::Action(f), form, String::new())
        }
        Section::RootCauses => {
            let cause = doc.root_causes.iter().find(|c| c.id == id);
            let f = RootCauseForm::of(cause.ok_or_else(|| missing(section, id))?, doc.version);
            let ed = RootCauseEdit::of(&key, f.clone(), none());
            let form = render_str(&RootCauseEditPartial {
                ed,
                csrf: String::new(),
            })?;
            (Part::Analysis, Input::RootCause(f), form, String::new())
        }
        Section::Fmea => {
            let row = doc.fmea.iter().find(|r| r.id == id);
            let f = FmeaForm::of(row.ok_or_else(|| missing(section, id))?, doc.version);
            let ed = FmeaEdit::new(&key, f.clone(), none());
            let form = render_str(&FmeaEditPartial {
                ed,
                csrf: String::new(),
            })?;
            (Part::Analysis, Input::Fmea(f), form, String::new())
        }
        other => return Err(not_here(other, "edited; delete and add again")),
    };
    if !htmx {
        return page_with_form(&state, &caller, &l, part, input).await;
    }
    let body = if cancel { cancelled } else { fragment };
    Ok(html(StatusCode::OK, body))
}

/// `POST /incidents/{key}/items/{section}/{id}/delete`: deletes an item.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((raw, raw_section, raw_id)): Path<(String, String, String)>,
    axum::Form(form): axum::Form<VersionForm>,
) -> Result<Response, PageError> {
    let (k, section, id) = (key(&raw)?, section(&raw_section)?, item_id(&raw_id)?);
    let result = match version_of(&form.version) {
        None => Err(no_version()),
        Some(v) => {
            let ctx = caller.ctx(state.clock.now());
            state
                .store
                .delete_item(&k, section, id, Some(v), &ctx)
                .await
        }
    };
    let sub = Submission::new(
        Part::of_section(section),
        form.version.clone(),
        Input::Nothing,
    );
    answer(&state, &caller, &headers, &raw, sub, result).await
}

/// The move form: which way, against which version.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MoveForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// `up` or `down`.
    pub direction: String,
}

/// The ids of a section's items in stored order, each with the group the
/// page shows it in (an item moves only within its group).
fn groups(doc: &PostMortem, section: Section) -> Option<Vec<(Uuid, String)>> {
    Some(match section {
        Section::FiveWhys => doc
            .five_whys
            .iter()
            .map(|w| (w.id, String::new()))
            .collect(),
        Section::RootCauses => doc
            .root_causes
            .iter()
            .map(|c| (c.id, c.kind.as_str().to_owned()))
            .collect(),
        Section::FishboneCauses => doc
            .fishbone
            .causes
            .iter()
            .map(|c| (c.id, format!("{}/{:?}", c.category, c.parent)))
            .collect(),
        Section::WentWell => doc
            .findings
            .went_well
            .iter()
            .map(|f| (f.id, f.area.as_str().to_owned()))
            .collect(),
        Section::WentWrong => doc
            .findings
            .went_wrong
            .iter()
            .map(|f| (f.id, f.area.as_str().to_owned()))
            .collect(),
        Section::Lessons => doc.lessons.iter().map(|l| (l.id, String::new())).collect(),
        Section::Timeline | Section::Fmea | Section::ActionItems => return None,
    })
}

/// `ids` with `id` swapped with its nearest neighbour of the same group in
/// `direction`; `None` when it is already first or last of its group.
pub fn moved(items: &[(Uuid, String)], id: Uuid, up: bool) -> Option<Vec<Uuid>> {
    let at = items.iter().position(|(i, _)| *i == id)?;
    let group = &items[at].1;
    let other = if up {
        items[..at].iter().rposition(|(_, g)| g == group)?
    } else {
        at + 1 + items[at + 1..].iter().position(|(_, g)| g == group)?
    };
    let mut ids: Vec<Uuid> = items.iter().map(|(i, _)| *i).collect();
    ids.swap(at, other);
    Some(ids)
}

/// `POST /incidents/{key}/items/{section}/{id}/move`: moves an item up or
/// down within its group. At the edge of its group nothing changes.
pub async fn move_item(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((raw, raw_section, raw_id)): Path<(String, String, String)>,
    axum::Form(form): axum::Form<MoveForm>,
) -> Result<Response, PageError> {
    let (k, section, id) = (key(&raw)?, section(&raw_section)?, item_id(&raw_id)?);
    let up = match form.direction.as_str() {
        "up" => true,
        "down" => false,
        other => {
            return Err(PageError(ApiError::BadParameter {
                field: "direction".into(),
                message: format!("`{other}` is not one of: up, down"),
            }));
        }
    };
    let doc = state.store.get(&k).await?;
    let items = groups(&doc, section).ok_or_else(|| not_here(section, "moved"))?;
    if !items.iter().any(|(i, _)| *i == id) {
        return Err(missing(section, id));
    }
    let result = match (version_of(&form.version), moved(&items, id, up)) {
        (None, _) => Err(no_version()),
        (Some(v), _) if v != doc.version => Err(StoreError::VersionMismatch {
            expected: v,
            actual: doc.version,
        }),
        (Some(_), None) => Ok(doc),
        (Some(v), Some(ids)) => {
            let ctx = caller.ctx(state.clock.now());
            state.store.reorder(&k, section, ids, Some(v), &ctx).await
        }
    };
    let sub = Submission::new(
        Part::of_section(section),
        form.version.clone(),
        Input::Nothing,
    );
    answer(&state, &caller, &headers, &raw, sub, result).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_move_within_their_group() {
        let [a, b, c, d] = [1u128, 2, 3, 4].map(Uuid::from_u128);
        let items = vec![
            (a, "primary".to_owned()),
            (b, "systemic".to_owned()),
            (c, "primary".to_owned()),
            (d, "systemic".to_owned()),
        ];
        assert_eq!(moved(&items, c, true), Some(vec![c, b, a, d]));
        assert_eq!(moved(&items, b, false), Some(vec![a, d, c, b]));
        assert_eq!(moved(&items, a, true), None);
        assert_eq!(moved(&items, d, false), None);
    }
}
