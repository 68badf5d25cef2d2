//! Response metrics: how fast incidents are detected, answered and
//! contained, quarter by quarter, and how well action items are followed
//! through. These are the numbers of the seed's metrics dashboard, computed
//! from lifecycle times and action-item statuses, never typed in.
//!
//! [`crate::dashboard`] builds the dashboard from these measures for any
//! range, by quarter or by month, with medians and trends.
//!
//! Everything here is a pure function of the documents passed in: no clock,
//! no store. "Now" plays no part: an incident is counted in the quarter it
//! was detected in, and an action item counts as done when its status says
//! so.
//!
//! # Durations in JSON
//!
//! Durations are [`chrono::Duration`] in Rust and **whole seconds** in JSON,
//! in fields named `*_seconds` (rounded toward zero; a mean of 2.5 hours is
//! `9000`). Seconds rather than minutes because a mean of whole minutes is
//! often not a whole minute, and because every client can divide by 60.
//!
//! # Definitions
//!
//! With the lifecycle times of [`Lifecycle`]:
//!
//! | measure                  | from             | to          |
//! |--------------------------|------------------|-------------|
//! | time to detect (MTTD)    | `first_activity` | `detected`  |
//! | time to respond (MTTR)   | `detected`       | `responded` |
//! | time to escalate         | `detected`       | `escalated` |
//! | time to contain (MTTC)   | `detected`       | `contained` |
//! | response to containment  | `responded`      | `contained` |
//! | time to recover          | `contained`      | `recovered` |
//! | total duration           | `first_activity` | `resolved`  |
//! | dwell time               | `first_activity` | `contained` |
//!
//! A measure is absent when either end is missing. The "R" of MTTR is
//! *respond*: the seed's dashboard puts it next to detection and
//! containment, in minutes, which only fits the first response.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Datelike, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::action::{ActionStatus, Horizon};
use crate::document::PostMortem;
use crate::incident::{IncidentKey, Lifecycle};

/// A calendar quarter, e.g. Q4 2025. Ordered by time.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
pub struct QuarterKey {
    /// Calendar year.
    pub year: i32,
    /// Quarter of the year, 1 to 4 (Q1 is January to March).
    pub quarter: u8,
}

impl QuarterKey {
    /// The quarter an instant falls in, in UTC.
    pub fn of(t: DateTime<Utc>) -> Self {
        Self {
            year: t.year(),
            // month0 is 0..=11, so this is 1..=4 and fits a u8.
            quarter: (t.month0() / 3 + 1) as u8,
        }
    }
}

impl fmt::Display for QuarterKey {
    /// Writes `Q4 2025`, as the seed's dashboard does.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Q{} {}", self.quarter, self.year)
    }
}

/// Response metrics of the incidents detected in one quarter.
///
/// Each mean is taken over the incidents that have both times it needs;
/// the matching `*_incidents` field says how many that was, so that a mean
/// over 2 of 12 incidents is not mistaken for the quarter's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QuarterMetrics {
    /// The quarter, by the incidents' detection time (UTC).
    pub quarter: QuarterKey,
    /// Incidents detected in the quarter.
    pub incidents: u32,
    /// Mean time to detect: mean of `detected - first_activity`.
    #[serde(rename = "mttd_seconds", with = "seconds_opt")]
    #[schema(value_type = Option<i64>)]
    pub mttd: Option<Duration>,
    /// Incidents that contributed to `mttd`.
    pub mttd_incidents: u32,
    /// Mean time to respond: mean of `responded - detected`.
    #[serde(rename = "mttr_seconds", with = "seconds_opt")]
    #[schema(value_type = Option<i64>)]
    pub mttr: Option<Duration>,
    /// Incidents that contributed to `mttr`.
    pub mttr_incidents: u32,
    /// Mean time to contain: mean of `contained - detected`.
    #[serde(rename = "mttc_seconds", with = "seconds_opt")]
    #[schema(value_type = Option<i64>)]
    pub mttc: Option<Duration>,
    /// Incidents that contributed to `mttc`.
    pub mttc_incidents: u32,
    /// Mean dwell time: mean of `contained - first_activity`.
    #[serde(rename = "mean_dwell_seconds", with = "seconds_opt")]
    #[schema(value_type = Option<i64>)]
    pub mean_dwell: Option<Duration>,
    /// Incidents that contributed to `mean_dwell`.
    pub dwell_incidents: u32,
    /// Incidents that repeat an earlier one (`repeat_of` is set).
    pub repeats: u32,
}

/// Running sum for a mean of durations.
#[derive(Default)]
struct MeanAcc {
    sum: Duration,
    n: u32,
}

impl MeanAcc {
    fn add(&mut self, d: Option<Duration>) {
        if let Some(d) = d {
            self.sum += d;
            self.n += 1;
        }
    }

    fn mean(&self) -> Option<Duration> {
        // Counts are far below i32::MAX; an absurd count yields no mean
        // rather than a wrong one.
        let n = i32::try_from(self.n).ok().filter(|n| *n > 0)?;
        Some(self.sum / n)
    }
}

#[derive(Default)]
struct QuarterAcc {
    incidents: u32,
    mttd: MeanAcc,
    mttr: MeanAcc,
    mttc: MeanAcc,
    dwell: MeanAcc,
    repeats: u32,
}

/// Metrics per quarter of detection, oldest quarter first.
///
/// Only quarters with at least one incident appear. An incident without a
/// `detected` time belongs to no quarter and is left out.
pub fn quarterly(docs: &[PostMortem]) -> Vec<QuarterMetrics> {
    let mut by_quarter: BTreeMap<QuarterKey, QuarterAcc> = BTreeMap::new();
    for doc in docs {
        let Some(detected) = doc.lifecycle.detected else {
            continue;
        };
        let m = IncidentMeasures::of(doc);
        let acc = by_quarter.entry(QuarterKey::of(detected)).or_default();
        acc.incidents += 1;
        acc.mttd.add(m.time_to_detect);
        acc.mttr.add(m.time_to_respond);
        acc.mttc.add(m.time_to_contain);
        acc.dwell.add(m.dwell_time);
        if doc.repeat_of.is_some() {
            acc.repeats += 1;
        }
    }
    by_quarter
        .into_iter()
        .map(|(quarter, a)| QuarterMetrics {
            quarter,
            incidents: a.incidents,
            mttd: a.mttd.mean(),
            mttd_incidents: a.mttd.n,
            mttr: a.mttr.mean(),
            mttr_incidents: a.mttr.n,
            mttc: a.mttc.mean(),
            mttc_incidents: a.mttc.n,
            mean_dwell: a.dwell.mean(),
            dwell_incidents: a.dwell.n,
            repeats: a.repeats,
        })
        .collect()
}

/// How many action items of one horizon are done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HorizonCompletion {
    /// The horizon.
    pub horizon: Horizon,
    /// Items in this horizon, not counting those decided against (`wont_do`).
    pub total: u32,
    /// Of those, items complete or verified.
    pub done: u32,
    /// `done / total` as a whole percent, rounded half up; absent when
    /// `total` is 0.
    pub rate_percent: Option<u32>,
}

/// Action-item completion rate per horizon, over every item of every
/// document, in horizon order (immediate first). All four horizons always
/// appear.
///
/// An item's horizon is derived from its due date and its incident's
/// detection day ([`Horizon::for_due`] via [`PostMortem::horizon_base`]),
/// not read from the stored field. Items without a due date (or whose
/// incident has no base day) have no horizon and are left out; items with
/// status `wont_do` are left out because nobody intends to do them. An
/// item counts as done when it is complete or verified: the rate measures
/// follow-through, and a fix later found ineffective was still done.
pub fn completion_by_horizon(docs: &[PostMortem]) -> Vec<HorizonCompletion> {
    completion_of(docs, None)
}

/// [`completion_by_horizon`] over any collection of documents, so the
/// dashboard can take each period's share without copying documents; with
/// `due_by`, only the items due on or before that day count.
pub(crate) fn completion_of<'a>(
    docs: impl IntoIterator<Item = &'a PostMortem>,
    due_by: Option<chrono::NaiveDate>,
) -> Vec<HorizonCompletion> {
    let mut counts: BTreeMap<Horizon, (u32, u32)> =
        Horizon::ALL.iter().map(|h| (*h, (0, 0))).collect();
    for doc in docs {
        let base = doc.horizon_base();
        for item in &doc.action_items {
            if item.status == ActionStatus::WontDo {
                continue;
            }
            if due_by.is_some_and(|day| item.due.is_none_or(|due| due > day)) {
                continue;
            }
            let Some(h) = item.derived_horizon(base) else {
                continue;
            };
            let c = counts.entry(h).or_insert((0, 0));
            c.0 += 1;
            if item.status.is_done() {
                c.1 += 1;
            }
        }
    }
    Horizon::ALL
        .iter()
        .map(|h| {
            let (total, done) = counts.get(h).copied().unwrap_or((0, 0));
            HorizonCompletion {
                horizon: *h,
                total,
                done,
                rate_percent: percent(done, total),
            }
        })
        .collect()
}

/// `part / whole` as a whole percent, rounded half up.
fn percent(part: u32, whole: u32) -> Option<u32> {
    if whole == 0 {
        return None;
    }
    let (part, whole) = (u64::from(part), u64::from(whole));
    u32::try_from((200 * part + whole) / (2 * whole)).ok()
}

/// The response measures of one incident. See the module documentation for
/// the definition of each; every one is absent when a time it needs is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IncidentMeasures {
    /// The incident.
    pub key: IncidentKey,
    /// `detected - first_activity`.
    #[serde(rename = "time_to_detect_seconds", with = "seconds_opt")]
    #[schema(value_type = Option<i64>)]
    pub time_to_detect: Option<Duration>,
    /// `responded - detected`.
    #[serde(rename = "time_to_respond_seconds", with = "seconds_opt")]
    #[schema(value_type = Option<i64>)]
    pub time_to_respond: Option<Duration>,
    /// `escalated - detected`.
    #[serde(rename = "time_to_escalate_seconds", with = "seconds_opt")]
    #[schema(value_type = Option<i64>)]
    pub time_to_escalate: Option<Duration>,
    /// `contained - detected`.
    #[serde(rename = "time_to_contain_seconds", with = "seconds_opt")]
    #[schema(value_type = Option<i64>)]
    pub time_to_contain: Option<Duration>,
    /// `contained - responded` (the seed's "response to containment").
    #[serde(rename = "response_to_containment_seconds", with = "seconds_opt")]
    #[schema(value_type = Option<i64>)]
    pub response_to_containment: Option<Duration>,
    /// `recovered - contained` (the seed's "containment to recovery").
    #[serde(rename = "time_to_recover_seconds", with = "seconds_opt")]
    #[schema(value_type = Option<i64>)]
    pub time_to_recover: Option<Duration>,
    /// `resolved - first_activity` (the seed's "total incident duration").
    #[serde(rename = "total_duration_seconds", with = "seconds_opt")]
    #[schema(value_type = Option<i64>)]
    pub total_duration: Option<Duration>,
    /// `contained - first_activity`: how long the attacker had.
    #[serde(rename = "dwell_time_seconds", with = "seconds_opt")]
    #[schema(value_type = Option<i64>)]
    pub dwell_time: Option<Duration>,
}

impl IncidentMeasures {
    /// The measures of one incident, from its lifecycle times.
    pub fn of(doc: &PostMortem) -> Self {
        let Lifecycle {
            first_activity,
            detected,
            responded,
            escalated,
            contained,
            recovered,
            resolved,
            closed: _,
        } = doc.lifecycle;
        Self {
            key: doc.key.clone(),
            time_to_detect: span(first_activity, detected),
            time_to_respond: span(detected, responded),
            time_to_escalate: span(detected, escalated),
            time_to_contain: span(detected, contained),
            response_to_containment: span(responded, contained),
            time_to_recover: span(contained, recovered),
            total_duration: span(first_activity, resolved),
            dwell_time: span(first_activity, contained),
        }
    }
}

/// `to - from` when both are known.
fn span(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Option<Duration> {
    Some(to? - from?)
}

/// `#[serde(with = "seconds_opt")]`: an optional duration as whole seconds
/// (rounded toward zero), or null.
pub(crate) mod seconds_opt {
    use chrono::Duration;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_i64(d.num_seconds()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        match Option::<i64>::deserialize(d)? {
            Some(secs) => Duration::try_seconds(secs)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("{secs} seconds is out of range"))),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(s: &str) -> DateTime<Utc> {
        crate::time::parse_instant(s).unwrap()
    }

    fn doc(key: &str, lifecycle: serde_json::Value) -> PostMortem {
        serde_json::from_value(json!({
            "key": key, "title": "t", "severity": "low", "status": "open",
            "postmortem_status": "draft", "lifecycle": lifecycle
        }))
        .unwrap()
    }

    #[test]
    fn quarters_follow_the_calendar_in_utc() {
        assert_eq!(
            QuarterKey::of(t("2025-03-31T23:59:59Z")),
            QuarterKey {
                year: 2025,
                quarter: 1
            }
        );
        assert_eq!(QuarterKey::of(t("2025-04-01T00:00:00Z")).quarter, 2);
        // 00:30 in Paris on 1 July is still 30 June in UTC.
        assert_eq!(QuarterKey::of(t("2025-07-01T00:30:00+02:00")).quarter, 2);
        assert_eq!(
            QuarterKey::of(t("2025-12-31T12:00:00Z")).to_string(),
            "Q4 2025"
        );
    }

    #[test]
    fn quarter_keys_sort_by_time() {
        let a = QuarterKey {
            year: 2024,
            quarter: 4,
        };
        let b = QuarterKey {
            year: 2025,
            quarter: 1,
        };
        assert!(a < b);
    }

    #[test]
    fn means_skip_incidents_missing_a_time_and_say_how_many_counted() {
        let docs = [
            doc(
                "INC-1",
                json!({"first_activity": "2025-10-01T10:00:00Z", "detected": "2025-10-01T10:10:00Z",
                                "responded": "2025-10-01T10:15:00Z", "contained": "2025-10-01T12:10:00Z"}),
            ),
            doc(
                "INC-2",
                json!({"first_activity": "2025-11-01T10:00:00Z", "detected": "2025-11-01T10:20:00Z"}),
            ),
            doc(
                "INC-3",
                json!({"detected": "2025-12-01T10:00:00Z", "responded": "2025-12-01T10:25:00Z"}),
            ),
        ];
        let q = quarterly(&docs);
        assert_eq!(q.len(), 1);
        let q = &q[0];
        assert_eq!(q.incidents, 3);
        assert_eq!((q.mttd, q.mttd_incidents), (Some(Duration::minutes(15)), 2));
        assert_eq!((q.mttr, q.mttr_incidents), (Some(Duration::minutes(15)), 2));
        assert_eq!((q.mttc, q.mttc_incidents), (Some(Duration::hours(2)), 1));
        assert_eq!(
            (q.mean_dwell, q.dwell_incidents),
            (Some(Duration::minutes(130)), 1)
        );
    }

    #[test]
    fn an_incident_without_a_detection_time_is_in_no_quarter() {
        let docs = [doc(
            "INC-1",
            json!({"first_activity": "2025-10-01T10:00:00Z"}),
        )];
        assert!(quarterly(&docs).is_empty());
    }

    #[test]
    fn quarters_come_oldest_first_and_count_repeats() {
        let mut later = doc("INC-2", json!({"detected": "2025-11-01T10:00:00Z"}));
        later.repeat_of = Some(IncidentKey::parse("INC-1").unwrap());
        let earlier = doc("INC-1", json!({"detected": "2025-05-01T10:00:00Z"}));
        let q = quarterly(&[later, earlier]);
        assert_eq!(q[0].quarter.quarter, 2);
        assert_eq!((q[0].repeats, q[1].repeats), (0, 1));
        assert_eq!(q[0].mttd, None);
    }

    fn with_items(items: serde_json::Value) -> PostMortem {
        serde_json::from_value(json!({
            "key": "INC-2025-1128", "title": "t", "severity": "low", "status": "open",
            "postmortem_status": "draft", "lifecycle": {"detected": "2025-11-28T03:10:00Z"},
            "action_items": items
        }))
        .unwrap()
    }

    #[test]
    fn completion_counts_complete_and_verified_and_ignores_wont_do() {
        let d = with_items(json!([
            {"title": "a", "priority": "low", "status": "complete", "due": "2025-11-30"},
            {"title": "b", "priority": "low", "status": "verified", "due": "2025-12-01",
             "verification": {"effective": true, "on": "2025-12-10", "evidence": "tested"}},
            {"title": "c", "priority": "low", "status": "in_progress", "due": "2025-12-02"},
            {"title": "d", "priority": "low", "status": "wont_do", "due": "2025-12-03"},
            {"title": "e", "priority": "low", "status": "planned"},
            {"title": "f", "priority": "low", "status": "blocked", "due": "2026-04-30"}
        ]));
        let c = completion_by_horizon(&[d]);
        let horizons: Vec<_> = c.iter().map(|h| h.horizon).collect();
        assert_eq!(horizons, Horizon::ALL);
        assert_eq!((c[0].total, c[0].done, c[0].rate_percent), (3, 2, Some(67)));
        assert_eq!((c[1].total, c[1].rate_percent), (0, None));
        assert_eq!((c[3].total, c[3].done, c[3].rate_percent), (1, 0, Some(0)));
    }

    #[test]
    fn percentages_round_half_up() {
        assert_eq!(percent(1, 8), Some(13)); // 12.5
        assert_eq!(percent(19, 20), Some(95));
        assert_eq!(percent(1, 3), Some(33));
        assert_eq!(percent(0, 0), None);
    }

    #[test]
    fn incident_measures_follow_their_definitions() {
        let d = doc(
            "INC-2025-1128",
            json!({
                "first_activity": "2025-11-28T02:15:00Z", "detected": "2025-11-28T03:10:00Z",
                "responded": "2025-11-28T03:15:00Z", "escalated": "2025-11-28T03:25:00Z",
                "contained": "2025-11-28T04:15:00Z", "recovered": "2025-11-28T08:00:00Z",
                "resolved": "2025-11-28T12:00:00Z"
            }),
        );
        let m = IncidentMeasures::of(&d);
        assert_eq!(m.time_to_detect, Some(Duration::minutes(55)));
        assert_eq!(m.time_to_respond, Some(Duration::minutes(5)));
        assert_eq!(m.time_to_escalate, Some(Duration::minutes(15)));
        assert_eq!(m.time_to_contain, Some(Duration::minutes(65)));
        assert_eq!(m.response_to_containment, Some(Duration::hours(1)));
        assert_eq!(m.time_to_recover, Some(Duration::minutes(225)));
        assert_eq!(m.total_duration, Some(Duration::minutes(585)));
        assert_eq!(m.dwell_time, Some(Duration::hours(2)));
    }

    #[test]
    fn measures_are_absent_when_a_time_is_missing() {
        let m = IncidentMeasures::of(&doc("INC-1", json!({"detected": "2025-11-28T03:10:00Z"})));
        assert_eq!(m.time_to_detect, None);
        assert_eq!(m.time_to_respond, None);
        assert_eq!(m.total_duration, None);
    }

    #[test]
    fn durations_are_whole_seconds_in_json() {
        let docs = [
            doc(
                "INC-1",
                json!({"first_activity": "2025-10-01T10:00:00Z", "detected": "2025-10-01T10:00:01Z"}),
            ),
            doc(
                "INC-2",
                json!({"first_activity": "2025-10-01T10:00:00Z", "detected": "2025-10-01T10:00:02Z"}),
            ),
        ];
        let q = &quarterly(&docs)[0];
        assert_eq!(q.mttd, Some(Duration::milliseconds(1500)));
        let v = serde_json::to_value(q).unwrap();
        assert_eq!(v["mttd_seconds"], json!(1));
        assert_eq!(v["mttr_seconds"], json!(null));
        assert_eq!(v["quarter"], json!({"year": 2025, "quarter": 4}));
        let back: QuarterMetrics = serde_json::from_value(v).unwrap();
        assert_eq!(back.mttd, Some(Duration::seconds(1)));
    }
}
