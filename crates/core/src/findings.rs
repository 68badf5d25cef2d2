//! What went well and what went wrong, by area of the response.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ValidationErrors;
use crate::vocabulary;

vocabulary! {
    /// Whether a finding is a success to keep or a gap to close.
    pub enum FindingKind {
        WentWell => "went_well" / "What went well",
        WentWrong => "went_wrong" / "What went wrong",
    }
}

vocabulary! {
    /// The area of the response a finding is about.
    pub enum Area {
        Prevention => "prevention" / "Prevention",
        Detection => "detection" / "Detection",
        Response => "response" / "Response",
        Containment => "containment" / "Containment",
        Eradication => "eradication" / "Eradication",
        Recovery => "recovery" / "Recovery",
        Communication => "communication" / "Communication",
        Coordination => "coordination" / "Coordination",
        Documentation => "documentation" / "Documentation",
        /// Findings about the process and playbooks themselves.
        Lessons => "lessons" / "Lessons",
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// Stable id; assigned by the server when absent.
    #[serde(default)]
    pub id: Uuid,
    /// Area of the response.
    pub area: Area,
    /// Headline, e.g. "Alert fired within expected time".
    pub title: String,
    /// Supporting statements.
    #[serde(default)]
    pub details: Vec<String>,
    /// What it led to, e.g. "20 minute delay in escalation".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<String>,
}

impl Finding {
    /// Checks the finding's own rules.
    pub fn validate(&self) -> ValidationErrors {
        let mut errs = ValidationErrors::default();
        if self.title.trim().is_empty() {
            errs.push("title", "must not be empty");
        }
        errs
    }
}
