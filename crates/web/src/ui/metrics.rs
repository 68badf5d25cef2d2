//! The metrics dashboard in the browser: a filter form (from, to, quarter
//! or month), the figures per period with their trends, the charts as
//! inline SVG, completion by horizon, and the definition of every measure.
//!
//! It computes exactly what `GET /api/v1/metrics` answers (see
//! [`crate::api::metrics`]): over every incident, restricted ones counted
//! but never named.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, Duration, NaiveDate};
use debrief_core::Horizon;
use debrief_core::dashboard::{Dashboard, Definition, Direction, Group, Measure, Trend};
use debrief_core::metrics::HorizonCompletion;
use debrief_report::charts;
use serde::Deserialize;

use super::incidents::Choice;
use super::{FieldErrors, Layout, PageError, choices, render};
use crate::AppState;
use crate::api::metrics::{Range, compute, parse_range};
use crate::auth::Caller;

/// The query string: strings, so a bad value becomes a message next to its
/// field rather than a refused request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MetricsQuery {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`.
    pub to: String,
    /// `quarter` or `month`.
    pub group: String,
}

/// A column of the tables: one period.
pub struct PeriodHead {
    /// `2025-Q2`, `2025-06`.
    pub label: String,
    /// The days covered, when `from` or `to` cut the period short; else empty.
    pub cut: String,
}

/// One cell: the figure, and a second line (the median) when there is one.
pub struct Cell {
    /// The figure.
    pub main: String,
    /// Below it, smaller.
    pub sub: String,
}

impl Cell {
    /// A cell whose lines do not break inside ("45 min", not "45" over
    /// "min"): the spaces are no-break spaces.
    fn new(main: impl Into<String>, sub: impl Into<String>) -> Self {
        let keep = |s: String| s.replace(' ', "\u{a0}");
        Self {
            main: keep(main.into()),
            sub: keep(sub.into()),
        }
    }
}

/// A trend as shown: arrow, word and the badge class.
pub struct TrendView {
    /// `↑`, `↓`, `→` or `–`.
    pub arrow: &'static str,
    /// "improving", "fewer", "no trend"...
    pub word: &'static str,
    /// Badge class: green when improving, red when worsening, grey else.
    pub class: &'static str,
    /// How many periods it was fitted over.
    pub periods: u32,
}

impl TrendView {
    fn of(t: Option<&Trend>) -> Self {
        let Some(t) = t else {
            return Self {
                arrow: "–",
                word: "no trend",
                class: "badge muted",
                periods: 0,
            };
        };
        Self {
            arrow: t.arrow(),
            word: t.word(),
            class: match t.direction {
                Some(Direction::Improving) => "badge state-done",
                Some(Direction::Worsening) => "badge state-overdue",
                _ => "badge state-pending",
            },
            periods: t.periods,
        }
    }
}

/// One row of the figures table.
pub struct Row {
    /// The measure's name.
    pub name: &'static str,
    /// One cell per period.
    pub cells: Vec<Cell>,
    /// Its trend.
    pub trend: TrendView,
}

/// One row of the completion table: a horizon.
pub struct CompletionRow {
    /// "0-7 days".
    pub horizon: &'static str,
    /// Per period: the rate, and below it the rate of the items already due.
    pub cells: Vec<Cell>,
    /// Over the whole range (the seed's figure).
    pub overall: Cell,
    /// Its trend, on the items already due.
    pub trend: TrendView,
}

/// A chart and the heading above it.
pub struct Chart {
    /// Heading.
    pub heading: String,
    /// The inline SVG (escaped by the chart code).
    pub svg: String,
}

/// The dashboard page.
#[derive(Template)]
#[template(path = "metrics.html")]
pub struct MetricsPage {
    /// Layout.
    pub layout: Layout,
    /// The filters as given.
    pub query: MetricsQuery,
    /// Quarter or month.
    pub groups: Vec<Choice>,
    /// Errors in the filters, by field.
    pub errors: FieldErrors,
    /// "quarter" or "month", for the headings.
    pub group: &'static str,
    /// The periods, as columns.
    pub periods: Vec<PeriodHead>,
    /// Incidents in the range.
    pub incidents: u32,
    /// Incidents without a detection time, counted nowhere.
    pub undetected: u32,
    /// The day the dashboard was made (what "due" means).
    pub today: String,
    /// The figures, one row per measure.
    pub rows: Vec<Row>,
    /// Completion by horizon.
    pub completion: Vec<CompletionRow>,
    /// The charts.
    pub charts: Vec<Chart>,
    /// What each measure means.
    pub definitions: Vec<Definition>,
    /// How trends are decided.
    pub trend_rule: String,
    /// Whether the filters were valid (else nothing but the form shows).
    pub valid: bool,
}

fn time_cell(mean: Option<Duration>, median: Option<Duration>) -> Cell {
    match (mean, median) {
        (Some(mean), Some(median)) => Cell::new(
            charts::human_duration(mean),
            format!("median {}", charts::human_duration(median)),
        ),
        _ => Cell::new("–", ""),
    }
}

fn completion_cell(all: Option<&HorizonCompletion>, due: Option<&HorizonCompletion>) -> Cell {
    let rate = |c: Option<&HorizonCompletion>| {
        c.and_then(|c| {
            c.rate_percent
                .map(|r| format!("{r}% ({}/{})", c.done, c.total))
        })
    };
    Cell::new(
        rate(all).unwrap_or_else(|| "–".into()),
        rate(due).map_or_else(String::new, |r| format!("due: {r}")),
    )
}

fn rows(d: &Dashboard) -> Vec<Row> {
    let count = |m: Measure, f: fn(&debrief_core::dashboard::PeriodMetrics) -> u32| Row {
        name: m.label(),
        cells: d
            .periods
            .iter()
            .map(|p| Cell::new(f(p).to_string(), ""))
            .collect(),
        trend: TrendView::of(d.trend(m)),
    };
    let mut rows = vec![count(Measure::Incidents, |p| p.incidents)];
    for m in [Measure::Mttd, Measure::Mttr, Measure::Mttc, Measure::Dwell] {
        rows.push(Row {
            name: m.label(),
            cells: d
                .periods
                .iter()
                .map(|p| {
                    p.time(m)
                        .map_or_else(|| time_cell(None, None), |s| time_cell(s.mean, s.median))
                })
                .collect(),
            trend: TrendView::of(d.trend(m)),
        });
    }
    rows.push(count(Measure::Repeats, |p| p.repeats));
    rows
}

fn completion_rows(d: &Dashboard) -> Vec<CompletionRow> {
    Horizon::ALL
        .iter()
        .map(|h| {
            let find = |list: &[HorizonCompletion]| list.iter().find(|c| c.horizon == *h).cloned();
            CompletionRow {
                horizon: charts::horizon_days(*h),
                cells: d
                    .periods
                    .iter()
                    .map(|p| {
                        completion_cell(
                            find(&p.completion).as_ref(),
                            find(&p.completion_due).as_ref(),
                        )
                    })
                    .collect(),
                overall: completion_cell(find(&d.completion_by_horizon).as_ref(), None),
                trend: TrendView::of(d.completion_trend(*h)),
            }
        })
        .collect()
}

fn chart_list(d: &Dashboard) -> Vec<Chart> {
    let per = d.group.as_str();
    let mut list = vec![Chart {
        heading: format!("Incidents per {per}"),
        svg: charts::volume(d),
    }];
    for m in [Measure::Mttd, Measure::Mttr, Measure::Mttc] {
        list.push(Chart {
            heading: format!("{} per {per}", m.label()),
            svg: charts::time(d, m),
        });
    }
    list.push(Chart {
        heading: format!("Repeat incidents per {per}"),
        svg: charts::repeats(d),
    });
    list.push(Chart {
        heading: "Action-item completion by horizon".into(),
        svg: charts::completion(d),
    });
    list
}

fn period_heads(d: &Dashboard) -> Vec<PeriodHead> {
    d.periods
        .iter()
        .map(|p| {
            let whole = starts_period(p.from, d.group)
                && p.to
                    .succ_opt()
                    .is_some_and(|next| starts_period(next, d.group));
            PeriodHead {
                label: p.label.clone(),
                cut: if whole {
                    String::new()
                } else {
                    format!("{} – {}", p.from, p.to)
                },
            }
        })
        .collect()
}

/// Whether `day` is the first day of a quarter or month.
fn starts_period(day: NaiveDate, group: Group) -> bool {
    day.day() == 1 && (group == Group::Month || day.month0().is_multiple_of(3))
}

/// `GET /metrics`.
pub async fn page(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<MetricsQuery>,
) -> Result<Response, PageError> {
    let groups = choices(
        if query.group.is_empty() {
            "quarter"
        } else {
            &query.group
        },
        Group::ALL.iter().map(|g| (g.as_str(), g.label())),
    );
    let layout = Layout::of(&caller, "Metrics", "metrics").await?;
    let (range, errors) = match parse_range(&query.from, &query.to, &query.group) {
        Ok(r) => (Some(r), FieldErrors::default()),
        Err(e) => (None, FieldErrors(e)),
    };
    let page = match range {
        Some(range) => {
            let d = compute(&state, range).await?;
            full(layout, query, groups, &d, range)
        }
        None => MetricsPage {
            layout,
            query,
            groups,
            errors,
            group: "quarter",
            periods: Vec::new(),
            incidents: 0,
            undetected: 0,
            today: String::new(),
            rows: Vec::new(),
            completion: Vec::new(),
            charts: Vec::new(),
            definitions: debrief_core::dashboard::definitions(),
            trend_rule: debrief_core::dashboard::TREND_RULE.to_owned(),
            valid: false,
        },
    };
    Ok(render(StatusCode::OK, &page))
}

fn full(
    layout: Layout,
    query: MetricsQuery,
    groups: Vec<Choice>,
    d: &Dashboard,
    range: Range,
) -> MetricsPage {
    MetricsPage {
        layout,
        query,
        groups,
        errors: FieldErrors::default(),
        group: range.group.as_str(),
        periods: period_heads(d),
        incidents: d.incidents,
        undetected: d.undetected,
        today: d.today.to_string(),
        rows: rows(d),
        completion: completion_rows(d),
        charts: chart_list(d),
        definitions: d.definitions.clone(),
        trend_rule: d.trend_rule.clone(),
        valid: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_cut_only_when_the_range_cuts_it() {
        let d = |s: &str| debrief_core::time::parse_date(s).unwrap();
        assert!(starts_period(d("2025-04-01"), Group::Quarter));
        assert!(!starts_period(d("2025-05-01"), Group::Quarter));
        assert!(starts_period(d("2025-05-01"), Group::Month));
        assert!(!starts_period(d("2025-05-02"), Group::Month));
    }
}
