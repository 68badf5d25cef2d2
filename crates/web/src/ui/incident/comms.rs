//! The communications part: the internal all-hands summary and the customer
//! notification, shown in the seed's shape, each with a form that replaces
//! it. List fields take one entry per line; lists of points (a bold
//! headline and an elaboration) take `Headline: elaboration` per line, split
//! at the first `": "`. A form left entirely blank removes that message.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use debrief_core::{Communications, CustomerNotification, InternalSummary, Point, PostMortem};
use serde::Deserialize;

use super::form::{general, lines, no_version, version_of};
use super::{Input, Part, Refusal, Submission, answer};
use crate::AppState;
use crate::auth::Caller;
use crate::extract::key;
use crate::ui::PageError;

/// Points as the form shows them: `Headline: elaboration` per line.
fn points_text(points: &[Point]) -> String {
    points
        .iter()
        .map(|p| match p.detail.is_empty() {
            true => p.title.clone(),
            false => format!("{}: {}", p.title, p.detail),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Points from the form's lines, split at the first `": "`.
fn points(text: &str) -> Vec<Point> {
    lines(text)
        .into_iter()
        .map(|l| match l.split_once(": ") {
            Some((t, d)) => Point {
                title: t.trim().to_owned(),
                detail: d.trim().to_owned(),
            },
            None => Point {
                title: l,
                detail: String::new(),
            },
        })
        .collect()
}

/// The internal summary form's input, kept on error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InternalForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// Recipients.
    pub to: String,
    /// Sender.
    pub from: String,
    /// Subject line.
    pub subject: String,
    /// Salutation.
    pub greeting: String,
    /// Opening paragraph.
    pub intro: String,
    /// What happened.
    pub what_happened: String,
    /// Customer impact.
    pub customer_impact: String,
    /// What worked, one per line.
    pub what_worked: String,
    /// What we are improving, `Headline: elaboration` per line.
    pub improvements: String,
    /// What you can do, `Headline: elaboration` per line.
    pub what_you_can_do: String,
    /// Where to ask questions.
    pub questions: String,
    /// Closing line and signature.
    pub sign_off: String,
}

impl InternalForm {
    fn of(i: Option<&InternalSummary>, version: i64) -> Self {
        let d = InternalSummary::default();
        let i = i.unwrap_or(&d);
        Self {
            version: version.to_string(),
            to: i.to.clone(),
            from: i.from.clone(),
            subject: i.subject.clone(),
            greeting: i.greeting.clone(),
            intro: i.intro.clone(),
            what_happened: i.what_happened.clone(),
            customer_impact: i.customer_impact.clone(),
            what_worked: i.what_worked.join("\n"),
            improvements: points_text(&i.improvements),
            what_you_can_do: points_text(&i.what_you_can_do),
            questions: i.questions.clone(),
            sign_off: i.sign_off.clone(),
        }
    }

    /// The summary the form describes; `None` when the form is blank.
    fn summary(&self) -> Option<InternalSummary> {
        let t = |s: &str| s.trim().to_owned();
        let s = InternalSummary {
            to: t(&self.to),
            from: t(&self.from),
            subject: t(&self.subject),
            greeting: t(&self.greeting),
            intro: t(&self.intro),
            what_happened: t(&self.what_happened),
            customer_impact: t(&self.customer_impact),
            what_worked: lines(&self.what_worked),
            improvements: points(&self.improvements),
            what_you_can_do: points(&self.what_you_can_do),
            questions: t(&self.questions),
            sign_off: t(&self.sign_off),
        };
        (s != InternalSummary::default()).then_some(s)
    }
}

/// The customer notification form's input, kept on error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CustomerForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// Subject line.
    pub subject: String,
    /// Salutation.
    pub greeting: String,
    /// Opening paragraph.
    pub intro: String,
    /// What happened.
    pub what_happened: String,
    /// Lead-in to the information involved.
    pub information_involved_intro: String,
    /// Information involved, one per line.
    pub information_involved: String,
    /// Lead-in to the information not involved.
    pub information_not_involved_intro: String,
    /// Information not involved, one per line.
    pub information_not_involved: String,
    /// What we are doing, one per line.
    pub what_we_are_doing: String,
    /// What you should do, `Headline: elaboration` per line.
    pub what_you_should_do: String,
    /// Where to find more information.
    pub more_information: String,
    /// Closing paragraph.
    pub closing: String,
    /// Signature.
    pub signature: String,
}

impl CustomerForm {
    fn of(c: Option<&CustomerNotification>, version: i64) -> Self {
        let d = CustomerNotification::default();
        let c = c.unwrap_or(&d);
        Self {
            version: version.to_string(),
            subject: c.subject.clone(),
            greeting: c.greeting.clone(),
            intro: c.intro.clone(),
            what_happened: c.what_happened.clone(),
            information_involved_intro: c.information_involved_intro.clone(),
            information_involved: c.information_involved.join("\n"),
            information_not_involved_intro: c.information_not_involved_intro.clone(),
            information_not_involved: c.information_not_involved.join("\n"),
            what_we_are_doing: c.what_we_are_doing.join("\n"),
            what_you_should_do: points_text(&c.what_you_should_do),
            more_information: c.more_information.clone(),
            closing: c.closing.clone(),
            signature: c.signature.clone(),
        }
    }

    /// The notification the form describes; `None` when the form is blank.
    fn notification(&self) -> Option<CustomerNotification> {
        let t = |s: &str| s.trim().to_owned();
        let c = CustomerNotification {
            subject: t(&self.subject),
            greeting: t(&self.greeting),
            intro: t(&self.intro),
            what_happened: t(&self.what_happened),
            information_involved_intro: t(&self.information_involved_intro),
            information_involved: lines(&self.information_involved),
            information_not_involved_intro: t(&self.information_not_involved_intro),
            information_not_involved: lines(&self.information_not_involved),
            what_we_are_doing: lines(&self.what_we_are_doing),
            what_you_should_do: points(&self.what_you_should_do),
            more_information: t(&self.more_information),
            closing: t(&self.closing),
            signature: t(&self.signature),
        };
        (c != CustomerNotification::default()).then_some(c)
    }
}

/// The communications section (also answered alone to htmx).
pub struct CommsView {
    /// Incident key.
    pub key: String,
    /// Version the forms are made against.
    pub version: i64,
    /// Whether edit controls are shown.
    pub can_edit: bool,
    /// The session's CSRF token for forms posted without JavaScript.
    pub csrf: String,
    /// The internal summary.
    pub internal: Option<InternalSummary>,
    /// The customer notification.
    pub customer: Option<CustomerNotification>,
    /// Internal summary form input.
    pub internal_form: InternalForm,
    /// Customer notification form input.
    pub customer_form: CustomerForm,
    /// The form a refused write came from: `internal`, `customer` or empty.
    pub failed: &'static str,
    /// Errors of that form.
    pub general_errors: Vec<String>,
    /// Whether the last write was refused as stale.
    pub conflict: bool,
}

impl CommsView {
    /// The communications of `doc`, with a refused write shown.
    pub fn of(doc: &PostMortem, can_edit: bool, r: Option<&Refusal>) -> Self {
        let version = Refusal::version(r, doc.version);
        let c = &doc.communications;
        let mut internal_form = InternalForm::of(c.internal.as_ref(), version);
        let mut customer_form = CustomerForm::of(c.customer.as_ref(), version);
        let failed = match r.map(|r| &r.input) {
            Some(Input::Internal(f)) => {
                internal_form = f.clone();
                "internal"
            }
            Some(Input::Customer(f)) => {
                customer_form = f.clone();
                "customer"
            }
            _ => "",
        };
        let errors = r.map(|r| r.errors.clone()).unwrap_or_default();
        Self {
            key: doc.key.to_string(),
            version,
            can_edit,
            csrf: String::new(),
            internal: c.internal.clone(),
            customer: c.customer.clone(),
            internal_form,
            customer_form,
            failed,
            general_errors: general(&errors, |_| false),
            conflict: r.is_some_and(|r| r.conflict),
        }
    }
}

/// The communications section alone, for htmx.
#[derive(Template)]
#[template(path = "partials/incident_comms.html")]
pub struct CommsPartial {
    /// The section.
    pub comms: CommsView,
}

/// Replaces one half of the communications against `version`.
async fn save(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    version: &str,
    change: impl FnOnce(&mut Communications),
) -> Result<Result<PostMortem, debrief_store::StoreError>, PageError> {
    let k = key(raw)?;
    let Some(v) = version_of(version) else {
        return Ok(Err(no_version()));
    };
    let mut comms = state.store.get(&k).await?.communications;
    change(&mut comms);
    let ctx = caller.ctx(state.clock.now());
    Ok(state
        .store
        .set_communications(&k, comms, Some(v), &ctx)
        .await)
}

/// `POST /incidents/{key}/communications/internal`: replaces the internal
/// summary (a blank form removes it).
pub async fn update_internal(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<InternalForm>,
) -> Result<Response, PageError> {
    let summary = form.summary();
    let result = save(&state, &caller, &raw, &form.version, |c| {
        c.internal = summary
    })
    .await?;
    let sub = Submission::new(
        Part::Communications,
        form.version.clone(),
        Input::Internal(form),
    );
    answer(&state, &caller, &headers, &raw, sub, result).await
}

/// `POST /incidents/{key}/communications/customer`: replaces the customer
/// notification (a blank form removes it).
pub async fn update_customer(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<CustomerForm>,
) -> Result<Response, PageError> {
    let notice = form.notification();
    let result = save(&state, &caller, &raw, &form.version, |c| {
        c.customer = notice
    })
    .await?;
    let sub = Submission::new(
        Part::Communications,
        form.version.clone(),
        Input::Customer(form),
    );
    answer(&state, &caller, &headers, &raw, sub, result).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_round_trip_through_the_form() {
        let p =
            points("MFA is stronger now: we invalidated all backup codes\nChange your password");
        assert_eq!(p[0].title, "MFA is stronger now");
        assert_eq!(p[0].detail, "we invalidated all backup codes");
        assert_eq!(p[1].detail, "");
        assert_eq!(points(&points_text(&p)), p);
    }

    #[test]
    fn a_blank_form_removes_the_message() {
        assert!(InternalForm::default().summary().is_none());
        assert!(CustomerForm::default().notification().is_none());
    }
}
