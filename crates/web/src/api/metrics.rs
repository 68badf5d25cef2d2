//! The metrics dashboard as JSON: incident volume, response times (means
//! and medians), repeats and action-item completion per quarter or month,
//! with trends and the definition of every measure.
//!
//! Restricted incidents count here for everyone who may read incidents:
//! the dashboard is computed over every incident
//! ([`debrief_store::Visibility::All`]) and holds only counts and
//! durations, never a key or a title, so it reveals no more than that an
//! incident happened in a period.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use debrief_core::dashboard::{self, Dashboard, Group};
use debrief_store::Visibility;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;

/// The range and grouping of the dashboard.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MetricsParams {
    /// First day of detection included, `YYYY-MM-DD` (UTC); open when absent.
    pub from: Option<String>,
    /// Last day of detection included, `YYYY-MM-DD` (UTC); open when absent.
    pub to: Option<String>,
    /// `quarter` (default) or `month`.
    pub group: Option<String>,
}

/// The dashboard's query, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// First day included.
    pub from: Option<NaiveDate>,
    /// Last day included.
    pub to: Option<NaiveDate>,
    /// Quarters or months.
    pub group: Group,
}

/// Parses the three parameters as given (empty means absent), with every
/// problem named by its field: the page shows them all, the API the first.
pub fn parse_range(from: &str, to: &str, group: &str) -> Result<Range, Vec<(String, String)>> {
    let mut errors = Vec::new();
    let mut day = |field: &str, v: &str| match v.trim() {
        "" => None,
        v => match debrief_core::time::parse_date(v) {
            Ok(d) => Some(d),
            Err(m) => {
                errors.push((field.to_owned(), m));
                None
            }
        },
    };
    let from = day("from", from);
    let to = day("to", to);
    let group = match group.trim() {
        "" => Group::Quarter,
        g => g.parse().unwrap_or_else(|m| {
            errors.push(("group".to_owned(), m));
            Group::Quarter
        }),
    };
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        errors.push(("to".to_owned(), format!("{t} is before `from` ({f})")));
    }
    if errors.is_empty() {
        Ok(Range { from, to, group })
    } else {
        Err(errors)
    }
}

/// The dashboard over every incident, restricted ones included, made on
/// the service clock's day.
pub async fn compute(state: &AppState, range: Range) -> Result<Dashboard, ApiError> {
    let docs = state.store.dashboard_inputs(&Visibility::All).await?;
    Ok(dashboard::dashboard(
        &docs,
        range.from,
        range.to,
        range.group,
        state.clock.now().date_naive(),
    ))
}

/// The metrics dashboard: per quarter or month of detection, the number of
/// incidents, mean and median time to detect, respond, contain and dwell
/// time, repeat incidents and action-item completion per horizon; the
/// completion over the whole range; each measure's trend; the definitions.
/// Restricted incidents are counted; no incident is named. Durations are
/// whole seconds.
#[utoipa::path(get, path = "/api/v1/metrics", tag = "metrics", params(MetricsParams),
    responses((status = 200, body = Dashboard), (status = 400, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<MetricsParams>,
) -> Result<Json<Dashboard>, ApiError> {
    let range = parse_range(
        params.from.as_deref().unwrap_or(""),
        params.to.as_deref().unwrap_or(""),
        params.group.as_deref().unwrap_or(""),
    )
    .map_err(|errors| {
        let (field, message) = errors.into_iter().next().unwrap_or_default();
        ApiError::BadParameter { field, message }
    })?;
    Ok(Json(compute(&state, range).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_query_is_every_quarter() {
        assert_eq!(
            parse_range("", "", ""),
            Ok(Range {
                from: None,
                to: None,
                group: Group::Quarter
            })
        );
        assert_eq!(parse_range("", "", "month").unwrap().group, Group::Month);
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let errors = parse_range("2025-13-01", "soon", "week").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["from", "to", "group"]);
        assert!(errors[2].1.contains("quarter, month"), "{errors:?}");
    }

    #[test]
    fn to_may_not_come_before_from() {
        let errors = parse_range("2025-06-01", "2025-01-01", "").unwrap_err();
        assert_eq!(errors[0].0, "to");
        assert!(parse_range("2025-06-01", "2025-06-01", "").is_ok());
    }
}
