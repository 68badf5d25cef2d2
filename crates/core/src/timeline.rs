//! The reconstructed timeline: what happened when, and, separately, when the
//! team learned it, what they knew and did not know, and what they decided.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ValidationErrors;
use crate::time::{utc, utc_opt};
use crate::vocabulary;

vocabulary! {
    /// Incident-response phase an entry belongs to (NIST SP 800-61 shaped).
    pub enum Phase {
        Detection => "detection" / "Detection",
        Response => "response" / "Response",
        Containment => "containment" / "Containment",
        Eradication => "eradication" / "Eradication",
        Recovery => "recovery" / "Recovery",
        PostIncident => "post_incident" / "Post-incident",
    }
}

/// A labelled fact noted on an entry, e.g. "Response time: 5 minutes (SLA: 15 min)".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fact {
    /// Label, e.g. "Impact".
    pub label: String,
    /// Value, e.g. "~50,000 customer records viewed".
    pub value: String,
}

/// One entry of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimelineEntry {
    /// Stable id; assigned by the server when absent.
    #[serde(default)]
    pub id: Uuid,
    /// When it happened.
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: DateTime<Utc>,
    /// When the team learned of it, if later than it happened.
    #[serde(default, with = "utc_opt", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub learned_at: Option<DateTime<Utc>>,
    /// Response phase.
    pub phase: Phase,
    /// Headline, e.g. "Successful login detected".
    pub title: String,
    /// Details as a list of short statements.
    #[serde(default)]
    pub details: Vec<String>,
    /// What the team knew at that moment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub we_knew: Option<String>,
    /// What the team did not know yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub we_didnt_know: Option<String>,
    /// Decision taken at this point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    /// Action taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_taken: Option<String>,
    /// Other labelled facts (response time, impact, finding...).
    #[serde(default)]
    pub facts: Vec<Fact>,
    /// Where the information came from, e.g. "SIEM alert", "PagerDuty".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Free tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

impl TimelineEntry {
    /// Checks the entry's own rules.
    pub fn validate(&self) -> ValidationErrors {
        let mut errs = ValidationErrors::default();
        if self.title.trim().is_empty() {
            errs.push("title", "must not be empty");
        }
        if let Some(l) = self.learned_at
            && l < self.occurred_at
        {
            errs.push(
                "learned_at",
                "is before `occurred_at`; nobody learns of a thing before it happens",
            );
        }
        for (i, f) in self.facts.iter().enumerate() {
            if f.label.trim().is_empty() {
                errs.push(format!("facts[{i}].label"), "must not be empty");
            }
        }
        errs
    }

    /// How long it took to learn of this entry, in whole minutes, if recorded.
    pub fn learning_delay_minutes(&self) -> Option<i64> {
        self.learned_at
            .map(|l| (l - self.occurred_at).num_minutes())
    }
}
