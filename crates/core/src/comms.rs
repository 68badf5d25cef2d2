//! Sharing the learning: the internal all-hands summary, the customer
//! notification, and the lessons learned.
//!
//! Both communications are structured drafts in the seed's shape, so a later
//! report can render each audience's version from the same fields.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ValidationErrors;

/// A point with a bold headline and an elaboration, as communications list
/// them: "**MFA is stronger now**: we've invalidated all backup codes", or
/// "**Change your password** as a precaution".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Point {
    /// Headline, e.g. "MFA is stronger now".
    pub title: String,
    /// Elaboration.
    #[serde(default)]
    pub detail: String,
}

/// The internal "learnings" message to all staff.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InternalSummary {
    /// Recipients, e.g. "All Engineering".
    #[serde(default)]
    pub to: String,
    /// Sender, e.g. "Security Team".
    #[serde(default)]
    pub from: String,
    /// Subject line.
    #[serde(default)]
    pub subject: String,
    /// Salutation, e.g. "Hi team,".
    #[serde(default)]
    pub greeting: String,
    /// Opening paragraph.
    #[serde(default)]
    pub intro: String,
    /// What happened, at a high level.
    #[serde(default)]
    pub what_happened: String,
    /// Customer impact statement.
    #[serde(default)]
    pub customer_impact: String,
    /// What worked.
    #[serde(default)]
    pub what_worked: Vec<String>,
    /// What we are improving.
    #[serde(default)]
    pub improvements: Vec<Point>,
    /// What every reader can do.
    #[serde(default)]
    pub what_you_can_do: Vec<Point>,
    /// Where to ask questions.
    #[serde(default)]
    pub questions: String,
    /// Closing line and signature.
    #[serde(default)]
    pub sign_off: String,
}

/// The notification sent to affected customers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerNotification {
    /// Subject line.
    #[serde(default)]
    pub subject: String,
    /// Salutation, e.g. "Dear [Customer Name],".
    #[serde(default)]
    pub greeting: String,
    /// Opening paragraph.
    #[serde(default)]
    pub intro: String,
    /// What happened.
    #[serde(default)]
    pub what_happened: String,
    /// Lead-in to the information involved, e.g. "The attacker accessed
    /// customer records including:".
    #[serde(default)]
    pub information_involved_intro: String,
    /// Information involved.
    #[serde(default)]
    pub information_involved: Vec<String>,
    /// Lead-in to the information not involved, e.g. "The attacker did NOT access:".
    #[serde(default)]
    pub information_not_involved_intro: String,
    /// Information not involved.
    #[serde(default)]
    pub information_not_involved: Vec<String>,
    /// What we are doing.
    #[serde(default)]
    pub what_we_are_doing: Vec<String>,
    /// What the customer should do.
    #[serde(default)]
    pub what_you_should_do: Vec<Point>,
    /// Where to find more information.
    #[serde(default)]
    pub more_information: String,
    /// Closing paragraph.
    #[serde(default)]
    pub closing: String,
    /// Signature.
    #[serde(default)]
    pub signature: String,
}

/// The communications drafted for an incident.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Communications {
    /// The internal all-hands summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal: Option<InternalSummary>,
    /// The customer notification, if one is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<CustomerNotification>,
}

/// A lesson learned, in a sentence that can stand alone in the knowledge base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    /// Stable id; assigned by the server when absent.
    #[serde(default)]
    pub id: Uuid,
    /// The lesson, e.g. "Backup codes should expire".
    pub text: String,
    /// Elaboration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

impl Lesson {
    /// Checks the lesson's own rules.
    pub fn validate(&self) -> ValidationErrors {
        let mut errs = ValidationErrors::default();
        if self.text.trim().is_empty() {
            errs.push("text", "must not be empty");
        }
        errs
    }
}
