//! The metrics dashboard: the seed's "Security Incident Metrics" page,
//! computed from the documents for any range of days, by quarter or by
//! month, with the trend of every measure.
//!
//! Like [`crate::metrics`], whose definitions it uses, this is a pure
//! function of the documents passed in: no clock and no store. The caller
//! decides which documents count; the web service and the CLI pass every
//! incident, restricted ones included, because a dashboard only ever holds
//! counts and durations, never a key or a title.
//!
//! # Periods
//!
//! An incident belongs to the calendar quarter (`2025-Q2`) or month
//! (`2025-06`) of its detection time in UTC, exactly as in
//! [`crate::metrics::quarterly`]; an incident without a detection time is in
//! no period and is only counted in [`Dashboard::undetected`]. `from` and
//! `to` are days, both included, compared with the UTC day of detection.
//!
//! Periods run without gaps from the period of `from` (else of the first
//! incident in range) to the period of `to` (else of the last incident in
//! range): a quiet quarter shows as zero incidents rather than vanishing.
//! A period cut by `from` or `to` says so in its own `from` and `to`.
//!
//! # Means and medians
//!
//! Each time measure has a mean and a median over the period's incidents
//! that have both times it needs, and says how many that was. The median of
//! an even number of values is the mean of the middle two. Durations are
//! whole seconds in JSON, as everywhere in [`crate::metrics`].
//!
//! # Trends
//!
//! See [`TREND_RULE`]: a least-squares line through every period that has
//! a value, not just the last step. The seed's dashboard reads volume
//! 15 → 8 → 12 as "decreasing"; comparing only the last two quarters would
//! call it "more".

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::action::Horizon;
use crate::document::PostMortem;
use crate::metrics::{HorizonCompletion, IncidentMeasures, completion_of, seconds_opt};
use crate::vocabulary;

vocabulary! {
    /// How the dashboard groups incidents into periods.
    pub enum Group {
        /// Calendar quarters, labelled `2025-Q2`.
        Quarter => "quarter" / "Quarter",
        /// Calendar months, labelled `2025-06`.
        Month => "month" / "Month",
    }
}

vocabulary! {
    /// One measure of the dashboard.
    pub enum Measure {
        Incidents => "incidents" / "Incident volume",
        Mttd => "mttd" / "Mean time to detect (MTTD)",
        Mttr => "mttr" / "Mean time to respond (MTTR)",
        Mttc => "mttc" / "Mean time to contain (MTTC)",
        Dwell => "dwell" / "Dwell time",
        Repeats => "repeats" / "Repeat incidents",
        Completion => "completion" / "Action-item completion rate",
    }
}

vocabulary! {
    /// Which way a measure went over the periods shown.
    pub enum Direction {
        /// A time or the repeats went down, or completion went up.
        Improving => "improving" / "Improving",
        /// A time or the repeats went up, or completion went down.
        Worsening => "worsening" / "Worsening",
        /// Changed by no more than 5 % of its average.
        Flat => "flat" / "Flat",
        /// Fewer incidents: not called improving, since fewer incidents
        /// found can also mean less looking.
        Fewer => "fewer" / "Fewer",
        /// More incidents.
        More => "more" / "More",
    }
}

/// How a trend is decided, in words for the page, the CLI and the docs.
pub const TREND_RULE: &str = "The trend of a measure is the slope of a least-squares line through \
every period shown that has a value for it (a mean needs at least one incident with both times; \
completion needs at least one item of that horizon already due), so one unusual period does not \
turn it. Completion trends count only the items due by the day the dashboard is made, because a \
recent incident's later items cannot be done yet. When \
the fitted change from the first to the last of those periods is within 5 % of the measure's \
average over them, the trend is flat. Lower is better for the times and for repeats, higher for \
completion; for the volume of incidents the trend says only fewer or more. With fewer than two \
such periods there is no trend.";

/// Periods beyond this many are not padded out: a range of more periods
/// lists only those from the first to the last incident in it, so an
/// absurd `from` cannot make an answer of millions of empty periods.
pub const MAX_PERIODS: usize = 1_200;

/// A fitted change within this fraction of the average is flat.
const FLAT: f64 = 0.05;

/// Mean and median of one time measure over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TimeStat {
    /// Mean, whole seconds; null when no incident has both times.
    #[serde(rename = "mean_seconds", with = "seconds_opt")]
    #[schema(value_type = Option<i64>)]
    pub mean: Option<Duration>,
    /// Median, whole seconds (of an even count, the mean of the middle two).
    #[serde(rename = "median_seconds", with = "seconds_opt")]
    #[schema(value_type = Option<i64>)]
    pub median: Option<Duration>,
    /// How many incidents had both times.
    pub incidents: u32,
}

impl TimeStat {
    fn of(mut values: Vec<Duration>) -> Self {
        values.sort_unstable();
        let n = values.len();
        // Counts are far below i32::MAX; an absurd count yields no mean
        // rather than a wrong one.
        let count = i32::try_from(n).ok().filter(|n| *n > 0);
        let mean = count.map(|c| values.iter().copied().sum::<Duration>() / c);
        let median = match n {
            0 => None,
            n if n % 2 == 1 => values.get(n / 2).copied(),
            n => match (values.get(n / 2 - 1), values.get(n / 2)) {
                (Some(a), Some(b)) => Some(*a + (*b - *a) / 2),
                _ => None,
            },
        };
        Self {
            mean,
            median,
            incidents: u32::try_from(n).unwrap_or(u32::MAX),
        }
    }
}

/// The figures of one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PeriodMetrics {
    /// `2025-Q2` for a quarter, `2025-06` for a month.
    pub label: String,
    /// First day covered: the period's first day, or `from` when later.
    #[serde(with = "crate::time::date")]
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    /// Last day covered: the period's last day, or `to` when earlier.
    #[serde(with = "crate::time::date")]
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// Incidents detected in the period.
    pub incidents: u32,
    /// Time to detect: first activity → detection.
    pub mttd: TimeStat,
    /// Time to respond: detection → first response.
    pub mttr: TimeStat,
    /// Time to contain: detection → containment.
    pub mttc: TimeStat,
    /// Dwell time: first activity → containment.
    pub dwell: TimeStat,
    /// Incidents that repeat an earlier one.
    pub repeats: u32,
    /// Completion of the action items of this period's incidents, per
    /// horizon, immediate first; summed over the periods, this is
    /// [`Dashboard::completion_by_horizon`].
    pub completion: Vec<HorizonCompletion>,
    /// The same, counting only the items due on or before
    /// [`Dashboard::today`]: what the completion trend compares, since a
    /// recent incident's later items cannot be done yet.
    pub completion_due: Vec<HorizonCompletion>,
}

impl PeriodMetrics {
    /// The time measure `m`, if it is one.
    pub fn time(&self, m: Measure) -> Option<&TimeStat> {
        match m {
            Measure::Mttd => Some(&self.mttd),
            Measure::Mttr => Some(&self.mttr),
            Measure::Mttc => Some(&self.mttc),
            Measure::Dwell => Some(&self.dwell),
            _ => None,
        }
    }
}

/// The trend of one measure (of one horizon, for completion).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Trend {
    /// The measure.
    pub measure: Measure,
    /// The horizon, for completion only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizon: Option<Horizon>,
    /// Which way it went; null when fewer than two periods have a value.
    pub direction: Option<Direction>,
    /// How many periods had a value and were fitted.
    pub periods: u32,
}

impl Trend {
    /// An arrow for the way the value itself moved: `↑`, `↓` or `→`, and
    /// `–` without a trend. Improving times go down, improving completion
    /// goes up.
    pub fn arrow(&self) -> &'static str {
        let up_is_good = self.measure == Measure::Completion;
        match self.direction {
            None => "–",
            Some(Direction::Flat) => "→",
            Some(Direction::More) => "↑",
            Some(Direction::Fewer) => "↓",
            Some(Direction::Improving) if up_is_good => "↑",
            Some(Direction::Improving) => "↓",
            Some(Direction::Worsening) if up_is_good => "↓",
            Some(Direction::Worsening) => "↑",
        }
    }

    /// The direction in words, `no trend` without one.
    pub fn word(&self) -> &'static str {
        self.direction.map_or("no trend", |d| match d {
            Direction::Improving => "improving",
            Direction::Worsening => "worsening",
            Direction::Flat => "flat",
            Direction::Fewer => "fewer",
            Direction::More => "more",
        })
    }
}

/// What one measure means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Definition {
    /// The measure.
    pub measure: Measure,
    /// Its name, e.g. "Mean time to detect (MTTD)".
    pub name: String,
    /// How it is computed.
    pub definition: String,
}

/// The whole dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Dashboard {
    /// How incidents are grouped.
    pub group: Group,
    /// First day included, if limited.
    #[serde(with = "crate::time::date_opt")]
    #[schema(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// Last day included, if limited.
    #[serde(with = "crate::time::date_opt")]
    #[schema(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    /// The day the dashboard was made: items due after it are left out of
    /// `completion_due`.
    #[serde(with = "crate::time::date")]
    #[schema(value_type = String, format = Date)]
    pub today: NaiveDate,
    /// Incidents detected in the range (the sum over the periods).
    pub incidents: u32,
    /// Incidents without a detection time: in no period, counted nowhere
    /// else.
    pub undetected: u32,
    /// The periods, oldest first, without gaps.
    pub periods: Vec<PeriodMetrics>,
    /// Completion of the action items of every incident in the periods, per
    /// horizon, immediate first (the seed's "Action Item Completion Rate").
    pub completion_by_horizon: Vec<HorizonCompletion>,
    /// The trend of each measure over the periods: incidents, MTTD, MTTR,
    /// MTTC, dwell time, repeats, then completion per horizon.
    pub trends: Vec<Trend>,
    /// What each measure means.
    pub definitions: Vec<Definition>,
    /// How the trends are decided.
    pub trend_rule: String,
}

impl Dashboard {
    /// The trend of `measure` (the overall one; completion has one per
    /// horizon, see [`Dashboard::completion_trend`]).
    pub fn trend(&self, measure: Measure) -> Option<&Trend> {
        self.trends
            .iter()
            .find(|t| t.measure == measure && t.horizon.is_none())
    }

    /// The completion trend of one horizon.
    pub fn completion_trend(&self, horizon: Horizon) -> Option<&Trend> {
        self.trends
            .iter()
            .find(|t| t.measure == Measure::Completion && t.horizon == Some(horizon))
    }
}

/// Every measure's definition, in dashboard order.
pub fn definitions() -> Vec<Definition> {
    let text = |m: Measure| match m {
        Measure::Incidents => {
            "Incidents detected in the period, placed by the UTC day of their detection time. \
             Restricted incidents are counted; nothing about them but the numbers is shown. \
             Fewer is not by itself better: it can also mean less detection, so read it with MTTD."
        }
        Measure::Mttd => {
            "Mean, and median, of first activity → detection over the period's incidents that \
             have both times: how long an attacker went unnoticed."
        }
        Measure::Mttr => {
            "Mean, and median, of detection → first response (the `responded` time). The R is \
             respond, not recover: the seed puts it next to detection and containment, in minutes."
        }
        Measure::Mttc => {
            "Mean, and median, of detection → containment (the attacker's access cut off) over \
             the period's incidents that have both times."
        }
        Measure::Dwell => {
            "Mean, and median, of first activity → containment: how long the attacker had."
        }
        Measure::Repeats => {
            "Incidents in the period that repeat an earlier incident (`repeat_of` is set): a fix \
             that did not hold."
        }
        Measure::Completion => {
            "Action items done (complete or verified) out of all items of the incidents in the \
             periods, per horizon; items marked won't do and items without a due date are left \
             out. Its trend compares the periods on the items already due, so that recent \
             incidents are not marked down for work not yet due. The horizon comes from the due date relative to the incident's detection day: \
             0-7 days immediate, 7-30 days short-term, 30 days to three calendar months \
             medium-term (30-90 days), later long-term (90+ days)."
        }
    };
    Measure::ALL
        .iter()
        .map(|m| Definition {
            measure: *m,
            name: m.label().to_owned(),
            definition: text(*m).to_owned(),
        })
        .collect()
}

/// A calendar period: a year and the quarter (0-3) or month (0-11) in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    year: i32,
    index: u32,
}

impl Key {
    fn per_year(group: Group) -> u32 {
        match group {
            Group::Quarter => 4,
            Group::Month => 12,
        }
    }

    fn of(day: NaiveDate, group: Group) -> Self {
        let index = match group {
            Group::Quarter => day.month0() / 3,
            Group::Month => day.month0(),
        };
        Key {
            year: day.year(),
            index,
        }
    }

    fn next(self, group: Group) -> Self {
        if self.index + 1 >= Key::per_year(group) {
            Key {
                year: self.year + 1,
                index: 0,
            }
        } else {
            Key {
                year: self.year,
                index: self.index + 1,
            }
        }
    }

    /// How many periods from `self` to `other`, both included (0 when
    /// `other` is earlier).
    fn span(self, other: Key, group: Group) -> i64 {
        let per = i64::from(Key::per_year(group));
        let a = i64::from(self.year) * per + i64::from(self.index);
        let b = i64::from(other.year) * per + i64::from(other.index);
        (b - a + 1).max(0)
    }

    fn first_day(self, group: Group) -> Option<NaiveDate> {
        let month = match group {
            Group::Quarter => self.index * 3 + 1,
            Group::Month => self.index + 1,
        };
        NaiveDate::from_ymd_opt(self.year, month, 1)
    }

    fn last_day(self, group: Group) -> Option<NaiveDate> {
        self.next(group).first_day(group)?.pred_opt()
    }

    fn label(self, group: Group) -> String {
        match group {
            Group::Quarter => format!("{}-Q{}", self.year, self.index + 1),
            Group::Month => format!("{}-{:02}", self.year, self.index + 1),
        }
    }
}

/// The dashboard of the incidents detected from `from` to `to` (days, both
/// included, either open), grouped by `group`, made on `today` (which only
/// decides which action items are due). See the module documentation.
pub fn dashboard(
    docs: &[PostMortem],
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    group: Group,
    today: NaiveDate,
) -> Dashboard {
    let mut undetected = 0u32;
    let mut by_key: BTreeMap<Key, Vec<&PostMortem>> = BTreeMap::new();
    for doc in docs {
        let Some(detected) = doc.lifecycle.detected else {
            undetected += 1;
            continue;
        };
        let day = detected.date_naive();
        if from.is_some_and(|f| day < f) || to.is_some_and(|t| day > t) {
            continue;
        }
        by_key.entry(Key::of(day, group)).or_default().push(doc);
    }

    let first = by_key.keys().next().copied();
    let last = by_key.keys().next_back().copied();
    let mut start = from.map(|d| Key::of(d, group)).or(first);
    let mut end = to.map(|d| Key::of(d, group)).or(last);
    if let (Some(s), Some(e)) = (start, end)
        && s.span(e, group) > MAX_PERIODS as i64
    {
        start = first;
        end = last;
    }

    let mut periods = Vec::new();
    if let (Some(start), Some(end)) = (start, end) {
        let mut key = start;
        while key <= end {
            if let Some(p) = period(key, group, (from, to), today, by_key.get(&key)) {
                periods.push(p);
            }
            key = key.next(group);
        }
    }

    let in_periods = by_key.values().flatten().copied();
    let completion_by_horizon = completion_of(in_periods, None);
    let trends = trends(&periods);
    Dashboard {
        group,
        from,
        to,
        today,
        incidents: periods.iter().map(|p| p.incidents).sum(),
        undetected,
        periods,
        completion_by_horizon,
        trends,
        definitions: definitions(),
        trend_rule: TREND_RULE.to_owned(),
    }
}

fn period(
    key: Key,
    group: Group,
    (from, to): (Option<NaiveDate>, Option<NaiveDate>),
    today: NaiveDate,
    docs: Option<&Vec<&PostMortem>>,
) -> Option<PeriodMetrics> {
    let docs: &[&PostMortem] = docs.map_or(&[], Vec::as_slice);
    let mut first = key.first_day(group)?;
    let mut last = key.last_day(group)?;
    if let Some(f) = from.filter(|f| *f > first) {
        first = f;
    }
    if let Some(t) = to.filter(|t| *t < last) {
        last = t;
    }
    let measures: Vec<IncidentMeasures> = docs.iter().map(|d| IncidentMeasures::of(d)).collect();
    let stat = |f: fn(&IncidentMeasures) -> Option<Duration>| {
        TimeStat::of(measures.iter().filter_map(f).collect())
    };
    Some(PeriodMetrics {
        label: key.label(group),
        from: first,
        to: last,
        incidents: u32::try_from(docs.len()).unwrap_or(u32::MAX),
        mttd: stat(|m| m.time_to_detect),
        mttr: stat(|m| m.time_to_respond),
        mttc: stat(|m| m.time_to_contain),
        dwell: stat(|m| m.dwell_time),
        repeats: u32::try_from(docs.iter().filter(|d| d.repeat_of.is_some()).count())
            .unwrap_or(u32::MAX),
        completion: completion_of(docs.iter().copied(), None),
        completion_due: completion_of(docs.iter().copied(), Some(today)),
    })
}

/// Whether a smaller value is the better one.
#[derive(Clone, Copy)]
enum Better {
    Lower,
    Higher,
    /// Volume: fewer or more, never better or worse.
    Neither,
}

fn trends(periods: &[PeriodMetrics]) -> Vec<Trend> {
    let secs = |d: Option<Duration>| d.map(|d| d.num_milliseconds() as f64 / 1000.0);
    let series = |f: &dyn Fn(&PeriodMetrics) -> Option<f64>| -> Vec<(f64, f64)> {
        periods
            .iter()
            .enumerate()
            .filter_map(|(i, p)| f(p).map(|v| (i as f64, v)))
            .collect()
    };
    let mut out = vec![
        fit(
            Measure::Incidents,
            None,
            &series(&|p| Some(f64::from(p.incidents))),
            Better::Neither,
        ),
        fit(
            Measure::Mttd,
            None,
            &series(&|p| secs(p.mttd.mean)),
            Better::Lower,
        ),
        fit(
            Measure::Mttr,
            None,
            &series(&|p| secs(p.mttr.mean)),
            Better::Lower,
        ),
        fit(
            Measure::Mttc,
            None,
            &series(&|p| secs(p.mttc.mean)),
            Better::Lower,
        ),
        fit(
            Measure::Dwell,
            None,
            &series(&|p| secs(p.dwell.mean)),
            Better::Lower,
        ),
        // A period without incidents has no repeats to speak of: it is
        // left out rather than counted as a perfect zero.
        fit(
            Measure::Repeats,
            None,
            &series(&|p| (p.incidents > 0).then_some(f64::from(p.repeats))),
            Better::Lower,
        ),
    ];
    for h in Horizon::ALL {
        let rate = |p: &PeriodMetrics| {
            p.completion_due
                .iter()
                .find(|c| c.horizon == *h && c.total > 0)
                .map(|c| f64::from(c.done) / f64::from(c.total))
        };
        out.push(fit(
            Measure::Completion,
            Some(*h),
            &series(&rate),
            Better::Higher,
        ));
    }
    out
}

/// The trend of `points` (period index, value) by least squares.
fn fit(measure: Measure, horizon: Option<Horizon>, points: &[(f64, f64)], better: Better) -> Trend {
    let periods = u32::try_from(points.len()).unwrap_or(u32::MAX);
    let direction = slope(points).map(|(slope, mean, span)| {
        let change = slope * span;
        if change.abs() <= FLAT * mean.abs() {
            return Direction::Flat;
        }
        let rising = change > 0.0;
        match better {
            Better::Neither if rising => Direction::More,
            Better::Neither => Direction::Fewer,
            Better::Lower if rising => Direction::Worsening,
            Better::Higher if !rising => Direction::Worsening,
            Better::Lower | Better::Higher => Direction::Improving,
        }
    });
    Trend {
        measure,
        horizon,
        direction,
        periods,
    }
}

/// Slope of the least-squares line, the mean of the values and the
/// distance from the first to the last x; `None` for fewer than two points.
fn slope(points: &[(f64, f64)]) -> Option<(f64, f64, f64)> {
    if points.len() < 2 {
        return None;
    }
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if sxx == 0.0 {
        return None;
    }
    let span = points.last()?.0 - points.first()?.0;
    Some((sxy / sxx, my, span))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The demo's snapshot day.
    const TODAY: NaiveDate = NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();

    fn day(s: &str) -> NaiveDate {
        crate::time::parse_date(s).unwrap()
    }

    fn demo() -> Vec<PostMortem> {
        crate::demo::documents().unwrap()
    }

    fn doc(key: &str, lifecycle: serde_json::Value) -> PostMortem {
        serde_json::from_value(json!({
            "key": key, "title": "t", "severity": "low", "status": "open",
            "postmortem_status": "draft", "lifecycle": lifecycle
        }))
        .unwrap()
    }

    /// An incident detected at `detected` with a time to detect of `mttd`
    /// minutes.
    fn detected(key: &str, detected: &str, mttd: i64) -> PostMortem {
        let at = crate::time::parse_instant(detected).unwrap();
        let first = at - Duration::minutes(mttd);
        doc(
            key,
            json!({"first_activity": crate::time::format_instant(&first), "detected": detected}),
        )
    }

    fn minutes(d: Option<Duration>) -> f64 {
        d.unwrap().num_seconds() as f64 / 60.0
    }

    #[test]
    fn the_demo_dashboard_by_quarter_is_the_seed_dashboard() {
        let d = dashboard(&demo(), None, None, Group::Quarter, TODAY);
        let labels: Vec<_> = d.periods.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["2025-Q2", "2025-Q3", "2025-Q4"]);
        let of = |f: fn(&PeriodMetrics) -> f64| d.periods.iter().map(f).collect::<Vec<_>>();
        assert_eq!(of(|p| f64::from(p.incidents)), [15.0, 8.0, 12.0]);
        assert_eq!(of(|p| minutes(p.mttd.mean)), [45.0, 15.0, 8.0]);
        assert_eq!(of(|p| minutes(p.mttr.mean)), [35.0, 20.0, 12.0]);
        assert_eq!(of(|p| minutes(p.mttc.mean) / 60.0), [6.0, 4.0, 2.5]);
        assert_eq!(of(|p| f64::from(p.repeats)), [5.0, 3.0, 1.0]);
        let rates: Vec<_> = d
            .completion_by_horizon
            .iter()
            .map(|c| c.rate_percent.unwrap())
            .collect();
        assert_eq!(rates, [95, 78, 62, 45]);
        assert_eq!((d.incidents, d.undetected), (35, 0));
        assert_eq!(d.periods[0].from, day("2025-04-01"));
        assert_eq!(d.periods[2].to, day("2025-12-31"));
    }

    #[test]
    fn the_demo_trends_read_as_the_seed_reads_them() {
        let d = dashboard(&demo(), None, None, Group::Quarter, TODAY);
        let dir = |m| d.trend(m).unwrap().direction;
        // 15 → 8 → 12: "Decreasing" in the seed, though Q4 had more than Q3.
        assert_eq!(dir(Measure::Incidents), Some(Direction::Fewer));
        for m in [
            Measure::Mttd,
            Measure::Mttr,
            Measure::Mttc,
            Measure::Repeats,
        ] {
            assert_eq!(dir(m), Some(Direction::Improving), "{m}");
        }
        assert_eq!(d.trend(Measure::Mttd).unwrap().periods, 3);
        assert_eq!(d.trend(Measure::Mttd).unwrap().arrow(), "↓");
        assert_eq!(d.trends.len(), 6 + Horizon::ALL.len());
    }

    #[test]
    fn quarters_agree_with_the_quarterly_metrics() {
        let docs = demo();
        let d = dashboard(&docs, None, None, Group::Quarter, TODAY);
        let q = crate::metrics::quarterly(&docs);
        assert_eq!(d.periods.len(), q.len());
        for (p, q) in d.periods.iter().zip(&q) {
            assert_eq!(p.incidents, q.incidents);
            assert_eq!((p.mttd.mean, p.mttd.incidents), (q.mttd, q.mttd_incidents));
            assert_eq!((p.mttr.mean, p.mttr.incidents), (q.mttr, q.mttr_incidents));
            assert_eq!((p.mttc.mean, p.mttc.incidents), (q.mttc, q.mttc_incidents));
            assert_eq!(
                (p.dwell.mean, p.dwell.incidents),
                (q.mean_dwell, q.dwell_incidents)
            );
            assert_eq!(p.repeats, q.repeats);
        }
        assert_eq!(
            d.completion_by_horizon,
            crate::metrics::completion_by_horizon(&docs)
        );
    }

    #[test]
    fn months_are_labelled_by_number_and_add_up_to_the_quarters() {
        let docs = demo();
        let months = dashboard(&docs, None, None, Group::Month, TODAY);
        let quarters = dashboard(&docs, None, None, Group::Quarter, TODAY);
        assert_eq!(months.periods.first().unwrap().label, "2025-04");
        assert_eq!(months.periods.last().unwrap().label, "2025-11");
        assert_eq!(months.periods.len(), 8);
        for q in &quarters.periods {
            let sum: u32 = months
                .periods
                .iter()
                .filter(|m| m.from >= q.from && m.to <= q.to)
                .map(|m| m.incidents)
                .sum();
            assert_eq!(sum, q.incidents, "{}", q.label);
        }
        let june = &months.periods[2];
        assert_eq!(
            (june.label.as_str(), june.from, june.to),
            ("2025-06", day("2025-06-01"), day("2025-06-30"))
        );
        assert_eq!(months.completion_by_horizon, quarters.completion_by_horizon);
    }

    #[test]
    fn completion_trends_judge_only_the_items_already_due() {
        let d = dashboard(&demo(), None, None, Group::Quarter, TODAY);
        let q4 = &d.periods[2];
        // Q4's long-term items fall due in 2026: in the rate, not yet judged.
        let long = |c: &[HorizonCompletion]| (c[3].done, c[3].total);
        assert_eq!(long(&q4.completion), (0, 5));
        assert_eq!(long(&q4.completion_due), (0, 0));
        let t = d.completion_trend(Horizon::LongTerm).unwrap();
        assert_eq!((t.direction, t.periods), (None, 1));
        assert_eq!(
            d.completion_trend(Horizon::Immediate).unwrap().direction,
            Some(Direction::Flat)
        );
        // Short-term items due and still open: 20/21, 11/12, 7/9.
        let short: Vec<_> = d
            .periods
            .iter()
            .map(|p| (p.completion_due[1].done, p.completion_due[1].total))
            .collect();
        assert_eq!(short, [(20, 21), (11, 12), (7, 9)]);
        assert_eq!(
            d.completion_trend(Horizon::ShortTerm).unwrap().direction,
            Some(Direction::Worsening)
        );
        // The same items, judged a year later, are all due.
        let later = dashboard(&demo(), None, None, Group::Quarter, day("2026-12-01"));
        assert_eq!(later.periods[2].completion_due, later.periods[2].completion);
    }

    #[test]
    fn february_ends_on_its_last_day() {
        let docs = [detected("INC-1", "2024-02-10T10:00:00Z", 5)];
        let d = dashboard(&docs, None, None, Group::Month, TODAY);
        assert_eq!(d.periods[0].to, day("2024-02-29"));
        let d = dashboard(&docs, None, None, Group::Quarter, TODAY);
        assert_eq!(
            (d.periods[0].label.as_str(), d.periods[0].to),
            ("2024-Q1", day("2024-03-31"))
        );
    }

    #[test]
    fn from_and_to_are_days_of_detection_both_included() {
        let docs = [
            detected("INC-1", "2025-10-31T23:59:00Z", 10),
            detected("INC-2", "2025-11-01T00:00:00Z", 20),
            detected("INC-3", "2025-11-30T23:59:59Z", 30),
            detected("INC-4", "2025-12-01T00:00:00Z", 40),
        ];
        let d = dashboard(
            &docs,
            Some(day("2025-11-01")),
            Some(day("2025-11-30")),
            Group::Quarter,
            TODAY,
        );
        assert_eq!(d.incidents, 2);
        let p = &d.periods[0];
        assert_eq!(d.periods.len(), 1);
        assert_eq!(
            (p.label.as_str(), p.from, p.to),
            ("2025-Q4", day("2025-11-01"), day("2025-11-30"))
        );
        assert_eq!(minutes(p.mttd.mean), 25.0);
    }

    #[test]
    fn quiet_periods_between_and_inside_the_range_show_as_zero() {
        let docs = [
            detected("INC-1", "2025-01-15T10:00:00Z", 10),
            detected("INC-2", "2025-04-15T10:00:00Z", 20),
        ];
        let d = dashboard(&docs, None, None, Group::Month, TODAY);
        let counts: Vec<_> = d.periods.iter().map(|p| p.incidents).collect();
        assert_eq!(counts, [1, 0, 0, 1]);
        assert_eq!(d.periods[1].mttd.mean, None);
        let d = dashboard(
            &docs,
            Some(day("2024-12-01")),
            Some(day("2025-06-30")),
            Group::Quarter,
            TODAY,
        );
        let labels: Vec<_> = d.periods.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["2024-Q4", "2025-Q1", "2025-Q2"]);
        assert_eq!(d.periods[0].from, day("2024-12-01"));
    }

    #[test]
    fn an_absurd_range_is_not_padded_with_empty_periods() {
        let docs = [detected("INC-1", "2025-01-15T10:00:00Z", 10)];
        let d = dashboard(&docs, Some(day("0001-01-01")), None, Group::Month, TODAY);
        assert_eq!(d.periods.len(), 1);
        let d = dashboard(&[], None, None, Group::Month, TODAY);
        assert!(d.periods.is_empty());
        assert!(d.trends.iter().all(|t| t.direction.is_none()));
    }

    #[test]
    fn incidents_without_a_detection_time_are_counted_apart() {
        let docs = [
            doc("INC-1", json!({"first_activity": "2025-10-01T10:00:00Z"})),
            detected("INC-2", "2025-10-02T10:00:00Z", 5),
        ];
        let d = dashboard(&docs, None, None, Group::Quarter, TODAY);
        assert_eq!((d.incidents, d.undetected), (1, 1));
    }

    #[test]
    fn medians_take_the_middle_value_or_the_mean_of_the_middle_two() {
        let odd = TimeStat::of(vec![
            Duration::minutes(50),
            Duration::minutes(5),
            Duration::minutes(10),
        ]);
        assert_eq!(odd.median, Some(Duration::minutes(10)));
        assert_eq!(odd.mean, Some(Duration::minutes(65) / 3));
        let even = TimeStat::of(vec![
            Duration::minutes(40),
            Duration::minutes(10),
            Duration::minutes(20),
            Duration::minutes(1000),
        ]);
        assert_eq!(even.median, Some(Duration::minutes(30)));
        assert_eq!(even.incidents, 4);
        let none = TimeStat::of(vec![]);
        assert_eq!((none.mean, none.median, none.incidents), (None, None, 0));
    }

    #[test]
    fn a_median_shows_what_one_outlier_does_to_a_mean() {
        let docs = [
            detected("INC-1", "2025-10-01T10:00:00Z", 5),
            detected("INC-2", "2025-10-02T10:00:00Z", 7),
            detected("INC-3", "2025-10-03T10:00:00Z", 600),
        ];
        let p = &dashboard(&docs, None, None, Group::Quarter, TODAY).periods[0];
        assert_eq!(minutes(p.mttd.median), 7.0);
        assert_eq!(minutes(p.mttd.mean), 204.0);
    }

    fn trend_of(values: &[f64], better: Better) -> Option<Direction> {
        let points: Vec<_> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64, *v))
            .collect();
        fit(Measure::Mttd, None, &points, better).direction
    }

    #[test]
    fn trends_follow_the_fitted_line_and_which_way_is_better() {
        assert_eq!(
            trend_of(&[45.0, 15.0, 8.0], Better::Lower),
            Some(Direction::Improving)
        );
        assert_eq!(
            trend_of(&[8.0, 15.0], Better::Lower),
            Some(Direction::Worsening)
        );
        assert_eq!(
            trend_of(&[0.5, 0.8], Better::Higher),
            Some(Direction::Improving)
        );
        assert_eq!(
            trend_of(&[0.8, 0.5], Better::Higher),
            Some(Direction::Worsening)
        );
        assert_eq!(
            trend_of(&[15.0, 8.0, 12.0], Better::Neither),
            Some(Direction::Fewer)
        );
        assert_eq!(
            trend_of(&[8.0, 12.0], Better::Neither),
            Some(Direction::More)
        );
        // Within 5 % of the average: flat.
        assert_eq!(
            trend_of(&[100.0, 104.0], Better::Lower),
            Some(Direction::Flat)
        );
        assert_eq!(trend_of(&[0.0, 0.0], Better::Lower), Some(Direction::Flat));
        assert_eq!(trend_of(&[12.0], Better::Lower), None);
    }

    #[test]
    fn periods_without_a_value_are_left_out_of_the_trend_but_keep_their_place() {
        // MTTD 40 in January, nothing measurable in February, 10 in April.
        let docs = [
            detected("INC-1", "2025-01-15T10:00:00Z", 40),
            doc("INC-2", json!({"detected": "2025-02-15T10:00:00Z"})),
            detected("INC-3", "2025-04-15T10:00:00Z", 10),
        ];
        let d = dashboard(&docs, None, None, Group::Month, TODAY);
        let t = d.trend(Measure::Mttd).unwrap();
        assert_eq!((t.direction, t.periods), (Some(Direction::Improving), 2));
        // Repeats: only months with incidents (January, February, April).
        assert_eq!(d.trend(Measure::Repeats).unwrap().periods, 3);
        assert_eq!(d.trend(Measure::Incidents).unwrap().periods, 4);
    }

    #[test]
    fn arrows_show_which_way_the_value_moved() {
        let t = |measure, direction| Trend {
            measure,
            horizon: None,
            direction,
            periods: 2,
        };
        assert_eq!(t(Measure::Mttc, Some(Direction::Improving)).arrow(), "↓");
        assert_eq!(
            t(Measure::Completion, Some(Direction::Improving)).arrow(),
            "↑"
        );
        assert_eq!(
            t(Measure::Completion, Some(Direction::Worsening)).arrow(),
            "↓"
        );
        assert_eq!(t(Measure::Incidents, Some(Direction::More)).arrow(), "↑");
        assert_eq!(t(Measure::Incidents, None).word(), "no trend");
    }

    #[test]
    fn every_measure_is_defined() {
        let defs = definitions();
        assert_eq!(defs.len(), Measure::ALL.len());
        assert!(defs.iter().all(|d| d.definition.len() > 40));
        let completion = defs
            .iter()
            .find(|d| d.measure == Measure::Completion)
            .unwrap();
        for h in ["0-7", "7-30", "30-90", "90+"] {
            assert!(completion.definition.contains(h), "{h}");
        }
    }

    #[test]
    fn the_json_uses_seconds_dates_and_snake_case() {
        let d = dashboard(
            &demo(),
            Some(day("2025-10-01")),
            None,
            Group::Quarter,
            TODAY,
        );
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(v["group"], "quarter");
        assert_eq!(v["from"], "2025-10-01");
        assert_eq!(v["to"], serde_json::Value::Null);
        let q4 = &v["periods"][0];
        assert_eq!(q4["label"], "2025-Q4");
        assert_eq!(q4["mttd"]["mean_seconds"], 480);
        assert_eq!(q4["mttc"]["mean_seconds"], 9000);
        assert!(q4["mttd"]["median_seconds"].is_i64());
        assert_eq!(v["trends"][0]["measure"], "incidents");
        assert!(v["trends"][0].get("horizon").is_none());
        assert_eq!(v["trends"][6]["horizon"], "immediate");
        let back: Dashboard = serde_json::from_value(v).unwrap();
        assert_eq!(back, d);
    }
}
