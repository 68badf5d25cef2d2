//! Action items: SMART improvements with an owner, a due date, success
//! criteria and a status history, linked to the causes they address.

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ValidationErrors;
use crate::time::{date, date_opt};
use crate::vocabulary;

vocabulary! {
    /// How urgent an action item is.
    pub enum Priority {
        Critical => "critical" / "CRITICAL",
        High => "high" / "HIGH",
        Medium => "medium" / "MEDIUM",
        Low => "low" / "LOW",
    }
}

vocabulary! {
    /// When an action item is due, relative to the incident's detection.
    pub enum Horizon {
        /// Due within 7 days.
        Immediate => "immediate" / "Immediate (0-7 days)",
        /// Due within 30 days.
        ShortTerm => "short_term" / "Short-term (7-30 days)",
        /// Due within three calendar months.
        MediumTerm => "medium_term" / "Medium-term (30-90 days)",
        /// Due later.
        LongTerm => "long_term" / "Long-term (90+ days)",
    }
}

impl Horizon {
    /// The horizon of an item due on `due` for an incident detected on `base`.
    ///
    /// Immediate is up to 7 days, short-term up to 30 days. Medium-term runs
    /// to the same day three calendar months later rather than to day 90,
    /// because teams plan quarters, not day counts: the seed's item #9, due
    /// 2026-02-28 for an incident of 2025-11-28 (92 days), is medium-term.
    pub fn for_due(base: NaiveDate, due: NaiveDate) -> Horizon {
        let days = (due - base).num_days();
        if days <= 7 {
            Horizon::Immediate
        } else if days <= 30 {
            Horizon::ShortTerm
        } else if base
            .checked_add_months(Months::new(3))
            .is_none_or(|q| due <= q)
        {
            Horizon::MediumTerm
        } else {
            Horizon::LongTerm
        }
    }
}

vocabulary! {
    /// What kind of improvement an action item is.
    pub enum ActionKind {
        Prevent => "prevent" / "Prevent",
        Detect => "detect" / "Detect",
        Respond => "respond" / "Respond",
        Recover => "recover" / "Recover",
        Process => "process" / "Process",
    }
}

vocabulary! {
    /// Where an action item stands.
    pub enum ActionStatus {
        Planned => "planned" / "Planned",
        InProgress => "in_progress" / "In progress",
        Blocked => "blocked" / "Blocked",
        /// Done, not yet shown to work.
        Complete => "complete" / "Complete",
        /// Done and shown to meet its success criteria.
        Verified => "verified" / "Verified",
        WontDo => "wont_do" / "Won't do",
    }
}

impl ActionStatus {
    /// Complete or verified: counts as done in completion rates.
    pub fn is_done(self) -> bool {
        matches!(self, ActionStatus::Complete | ActionStatus::Verified)
    }

    /// No further work expected (done, or decided against).
    pub fn is_closed(self) -> bool {
        self.is_done() || self == ActionStatus::WontDo
    }
}

/// One success criterion, ticked when met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// What must be true.
    pub text: String,
    /// Whether it is.
    #[serde(default)]
    pub done: bool,
}

/// One change of an action item's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// New status.
    pub status: ActionStatus,
    /// Day of the change.
    #[serde(with = "date")]
    #[schema(value_type = String, format = Date)]
    pub on: NaiveDate,
    /// Why, or what happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Whether a completed fix proved to work, and the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    /// True when the fix met its success criteria in practice; false when it
    /// failed (a repeat incident links back to a fix that failed).
    pub effective: bool,
    /// Day of the verdict.
    #[serde(with = "date")]
    #[schema(value_type = String, format = Date)]
    pub on: NaiveDate,
    /// Evidence for the verdict.
    pub evidence: String,
}

/// The causes an action item addresses, by their ids in the same incident.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Addresses {
    /// Root causes, contributing factors or systemic issues.
    #[serde(default)]
    pub root_causes: Vec<Uuid>,
    /// Fishbone causes.
    #[serde(default)]
    pub fishbone_causes: Vec<Uuid>,
    /// FMEA rows.
    #[serde(default)]
    pub fmea_rows: Vec<Uuid>,
}

impl Addresses {
    /// True when nothing is linked.
    pub fn is_empty(&self) -> bool {
        self.root_causes.is_empty() && self.fishbone_causes.is_empty() && self.fmea_rows.is_empty()
    }
}

/// One action item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionItem {
    /// Stable id; assigned by the server when absent.
    #[serde(default)]
    pub id: Uuid,
    /// Number within the incident (#1, #2...); assigned when absent.
    #[serde(default)]
    pub number: u32,
    /// What to do, in a line.
    pub title: String,
    /// Details.
    #[serde(default)]
    pub description: String,
    /// Person who owns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Team that owns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Due date.
    #[serde(default, with = "date_opt", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date)]
    pub due: Option<NaiveDate>,
    /// Priority.
    pub priority: Priority,
    /// Horizon, derived from the due date. Computed; a value sent in must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizon: Option<Horizon>,
    /// Kind of improvement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ActionKind>,
    /// Success criteria, as a checklist.
    #[serde(default)]
    pub success_criteria: Vec<Criterion>,
    /// Current status.
    pub status: ActionStatus,
    /// Every status change, oldest first.
    #[serde(default)]
    pub status_history: Vec<StatusChange>,
    /// Whether the fix proved effective.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// Causes this item addresses.
    #[serde(default, skip_serializing_if = "Addresses::is_empty")]
    pub addresses: Addresses,
    /// Reference in an external tracker, e.g. "SEC-1234".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_ref: Option<String>,
}

impl ActionItem {
    /// Checks the item. `base` is the incident's detection day, used to check
    /// a horizon sent in.
    pub fn validate(&self, base: Option<NaiveDate>) -> ValidationErrors {
        let mut errs = ValidationErrors::default();
        if self.title.trim().is_empty() {
            errs.push("title", "must not be empty");
        }
        for (i, c) in self.success_criteria.iter().enumerate() {
            if c.text.trim().is_empty() {
                errs.push(format!("success_criteria[{i}].text"), "must not be empty");
            }
        }
        if let Some(h) = self.horizon {
            match self.derived_horizon(base) {
                Some(d) if d != h => errs.push(
                    "horizon",
                    format!("is derived from the due date (`{d}` here); leave it out"),
                ),
                None => errs.push(
                    "horizon",
                    "is derived from the due date and the detection time; leave it out",
                ),
                _ => {}
            }
        }
        if let Some(last) = self.status_history.last()
            && last.status != self.status
        {
            errs.push(
                "status",
                format!(
                    "is `{}` but the last status change went to `{}`",
                    self.status, last.status
                ),
            );
        }
        for (i, w) in self.status_history.windows(2).enumerate() {
            if w[1].on < w[0].on {
                errs.push(
                    format!("status_history[{}].on", i + 1),
                    "is before the previous change",
                );
            }
        }
        if self.status == ActionStatus::Verified
            && self.verification.as_ref().is_none_or(|v| !v.effective)
        {
            errs.push(
                "verification",
                "a verified item needs a verification showing it effective, with evidence",
            );
        }
        if let Some(v) = &self.verification
            && v.evidence.trim().is_empty()
        {
            errs.push("verification.evidence", "must not be empty");
        }
        errs
    }

    /// The horizon for an incident detected on `base`.
    pub fn derived_horizon(&self, base: Option<NaiveDate>) -> Option<Horizon> {
        Some(Horizon::for_due(base?, self.due?))
    }

    /// Whether the item is past due on `today` and still open.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        !self.status.is_closed() && self.due.is_some_and(|d| d < today)
    }

    /// Moves the item to `status` on the day of `now`, recording the change.
    pub fn set_status(&mut self, status: ActionStatus, now: DateTime<Utc>, note: Option<String>) {
        if status == self.status {
            return;
        }
        self.status = status;
        self.status_history.push(StatusChange {
            status,
            on: now.date_naive(),
            note,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        crate::time::parse_date(s).unwrap()
    }

    #[test]
    fn the_seed_action_items_fall_into_the_seed_horizons() {
        let base = d("2025-11-28");
        let cases = [
            ("2025-11-30", Horizon::Immediate),
            ("2025-12-05", Horizon::Immediate),
            ("2025-12-15", Horizon::ShortTerm),
            ("2025-12-22", Horizon::ShortTerm),
            ("2026-01-15", Horizon::MediumTerm),
            ("2026-02-28", Horizon::MediumTerm),
            ("2026-04-30", Horizon::LongTerm),
        ];
        for (due, want) in cases {
            assert_eq!(Horizon::for_due(base, d(due)), want, "{due}");
        }
    }

    #[test]
    fn closed_items_are_never_overdue() {
        let mut item: ActionItem = serde_json::from_value(serde_json::json!({
            "title": "Rotate keys", "priority": "high", "status": "planned", "due": "2025-12-01"
        }))
        .unwrap();
        assert!(item.is_overdue(d("2025-12-02")));
        assert!(!item.is_overdue(d("2025-12-01")));
        item.status = ActionStatus::WontDo;
        assert!(!item.is_overdue(d("2026-12-02")));
    }
}
