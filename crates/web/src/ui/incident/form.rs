//! What every part of the incident page shares: how values are shown, how
//! form fields are read, and how a write's outcome becomes an answer.

use askama::Template;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use debrief_core::PostMortem;
use debrief_store::StoreError;
use uuid::Uuid;

use crate::error::ApiError;
use crate::ui::{FieldErrors, PageError, page_headers};

/// A moment as people read it on the page.
pub(super) fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A moment in machine form (`<time datetime>`).
pub(super) fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A calendar day.
pub(super) fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub use debrief_report::{duration_words, thousands};

/// A label and a value, for fact lists.
pub struct Fact {
    /// What it is.
    pub label: String,
    /// Its value.
    pub value: String,
}

/// A [`Fact`].
pub(super) fn fact(label: &str, value: impl Into<String>) -> Fact {
    Fact {
        label: label.to_owned(),
        value: value.into(),
    }
}

/// The text when there is some.
pub(super) fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
}

/// A `datetime-local` value in UTC; seconds only when there are some.
pub(super) fn local_input(t: DateTime<Utc>) -> String {
    if t.timestamp() % 60 == 0 {
        t.format("%Y-%m-%dT%H:%M").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S").to_string()
    }
}

/// Reads a time field: RFC 3339, or a `datetime-local` value taken as UTC.
pub(super) fn parse_time(
    errors: &mut FieldErrors,
    field: &str,
    raw: &str,
    required: bool,
) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if raw.is_empty() {
        if required {
            errors.push(field, "give the time (UTC)");
        }
        return None;
    }
    if let Ok(t) = debrief_core::time::parse_instant(raw) {
        return Some(t);
    }
    match NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M"))
    {
        Ok(t) => Some(t.and_utc()),
        Err(_) => {
            errors.push(field, "a time in UTC as YYYY-MM-DD HH:MM");
            None
        }
    }
}

/// Reads a day field (`YYYY-MM-DD`), empty for none.
pub(super) fn parse_day(errors: &mut FieldErrors, field: &str, raw: &str) -> Option<NaiveDate> {
    match raw.trim() {
        "" => None,
        d => debrief_core::time::parse_date(d)
            .map_err(|m| errors.push(field, m))
            .ok(),
    }
}

/// Reads a choice from a vocabulary, noting a bad value under `field`.
pub(super) fn parse_choice<T: std::str::FromStr<Err = String>>(
    errors: &mut FieldErrors,
    field: &str,
    raw: &str,
) -> Option<T> {
    raw.parse::<T>().map_err(|m| errors.push(field, m)).ok()
}

/// Notes an empty required text field.
pub(super) fn require(errors: &mut FieldErrors, field: &str, value: &str) {
    if value.trim().is_empty() {
        errors.push(field, "must not be empty");
    }
}

/// A 1-10 FMEA score.
pub(super) fn score(errors: &mut FieldErrors, field: &str, raw: &str) -> Option<i64> {
    match raw.trim().parse::<i64>() {
        Ok(v) if (1..=10).contains(&v) => Some(v),
        _ => {
            errors.push(field, "a whole number from 1 to 10");
            None
        }
    }
}

/// The form's errors as the store's refusal, so every refusal takes one path.
pub(super) fn invalid(errors: &FieldErrors) -> StoreError {
    let mut errs = debrief_core::ValidationErrors::default();
    for (f, m) in &errors.0 {
        errs.push(f.clone(), m.clone());
    }
    StoreError::Invalid(errs)
}

/// Trimmed text, or `None` when blank.
pub(super) fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The non-blank lines of a textarea, trimmed.
pub(super) fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The version a form carried.
pub(super) fn version_of(raw: &str) -> Option<i64> {
    raw.trim().parse().ok()
}

/// What a form without a readable version gets: the same answer as a stale
/// one (the page is reloaded, nothing is written).
pub(super) fn no_version() -> StoreError {
    StoreError::VersionMismatch {
        expected: -1,
        actual: -1,
    }
}

/// An item id from the address.
pub(super) fn item_id(raw: &str) -> Result<Uuid, PageError> {
    raw.parse().map_err(|_| {
        PageError(ApiError::BadParameter {
            field: "id".into(),
            message: format!("`{raw}` is not a UUID"),
        })
    })
}

/// How a write turned out, for the form that asked for it.
pub(super) enum Outcome {
    /// Written: the new document.
    Done(Box<PostMortem>),
    /// Refused: field errors, and whether the refusal was a stale version.
    Refused(FieldErrors, bool),
}

/// Sorts a write's result into what the form shows; other errors (not
/// found, internal) become the error page.
pub(super) fn outcome(result: Result<PostMortem, StoreError>) -> Result<Outcome, PageError> {
    match result {
        Ok(doc) => Ok(Outcome::Done(Box::new(doc))),
        Err(StoreError::VersionMismatch { .. }) => {
            Ok(Outcome::Refused(FieldErrors::default(), true))
        }
        Err(e) => {
            let e = ApiError::from(e);
            match FieldErrors::of(&e) {
                Some(f) => Ok(Outcome::Refused(f, false)),
                None => Err(PageError(e)),
            }
        }
    }
}

/// The out-of-band update of every form's version field after a write.
pub(super) fn version_oob(version: i64) -> String {
    format!(
        r#"<input type="hidden" name="version" class="incident-version" value="{version}" hx-swap-oob="outerHTML:.incident-version">"#
    )
}

/// An HTML fragment answer with the page security headers.
pub(super) fn html(status: StatusCode, body: String) -> Response {
    let mut res = (status, [(CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    page_headers(res.headers_mut());
    res
}

/// Renders a template to a string.
pub(super) fn render_str<T: Template>(t: &T) -> Result<String, PageError> {
    t.render()
        .map_err(|e| PageError(ApiError::Internal(format!("template: {e}"))))
}

/// The messages of `errors` whose field is not one of `shown` (those are
/// shown next to their input); listed above the form.
pub(super) fn general(errors: &FieldErrors, shown: impl Fn(&str) -> bool) -> Vec<String> {
    errors
        .0
        .iter()
        .filter(|(f, _)| !shown(f))
        .map(|(f, m)| format!("{f}: {m}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_utc() {
        let mut e = FieldErrors::default();
        let t = parse_time(&mut e, "t", "2025-11-28T03:25", true);
        assert_eq!(t.map(iso).as_deref(), Some("2025-11-28T03:25:00Z"));
        assert!(parse_time(&mut e, "t", "yesterday", true).is_none());
        assert_eq!(e.get("t"), Some("a time in UTC as YYYY-MM-DD HH:MM"));
    }
}
