//! Structured root-cause analysis: 5 Whys chains, root causes, the fishbone
//! (Ishikawa) diagram and FMEA.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ValidationErrors;
use crate::vocabulary;

/// One "why?" and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhyStep {
    /// The question, e.g. "Why was the admin account compromised?".
    pub why: String,
    /// The answer, e.g. "Attacker had valid password and backup MFA code".
    pub because: String,
}

/// A 5 Whys chain: a problem and the ordered questions that dig beneath it.
/// An incident may have several chains, one per line of inquiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FiveWhys {
    /// Stable id; assigned by the server when absent.
    #[serde(default)]
    pub id: Uuid,
    /// The problem statement the chain starts from.
    pub problem: String,
    /// The steps, in order.
    #[serde(default)]
    pub steps: Vec<WhyStep>,
}

impl FiveWhys {
    /// Checks the chain's own rules.
    pub fn validate(&self) -> ValidationErrors {
        let mut errs = ValidationErrors::default();
        if self.problem.trim().is_empty() {
            errs.push("problem", "must not be empty");
        }
        for (i, s) in self.steps.iter().enumerate() {
            if s.why.trim().is_empty() {
                errs.push(format!("steps[{i}].why"), "must not be empty");
            }
            if s.because.trim().is_empty() {
                errs.push(format!("steps[{i}].because"), "must not be empty");
            }
        }
        errs
    }
}

vocabulary! {
    /// How a cause contributed.
    pub enum RootCauseKind {
        /// The cause without which the incident would not have happened.
        Primary => "primary" / "Primary root cause",
        /// A factor that made it possible, worse or slower to stop.
        Contributing => "contributing" / "Contributing factor",
        /// An organisational condition behind several factors.
        Systemic => "systemic" / "Systemic issue",
    }
}

/// A root cause, contributing factor or systemic issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RootCause {
    /// Stable id; assigned by the server when absent.
    #[serde(default)]
    pub id: Uuid,
    /// Kind of cause.
    pub kind: RootCauseKind,
    /// The cause in a few words, e.g. "Weak MFA implementation".
    pub title: String,
    /// More detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

impl RootCause {
    /// Checks the cause's own rules.
    pub fn validate(&self) -> ValidationErrors {
        let mut errs = ValidationErrors::default();
        if self.title.trim().is_empty() {
            errs.push("title", "must not be empty");
        }
        errs
    }
}

/// The default fishbone categories (seed 004: people, processes, technology,
/// environment).
pub const DEFAULT_FISHBONE_CATEGORIES: [&str; 4] =
    ["People", "Process", "Technology", "Environment"];

/// One cause on the fishbone: on a category bone, or under another cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FishboneCause {
    /// Stable id; assigned by the server when absent.
    #[serde(default)]
    pub id: Uuid,
    /// The category (bone) it sits on.
    pub category: String,
    /// The cause.
    pub text: String,
    /// The cause this is a sub-cause of, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Uuid>,
}

/// The fishbone (Ishikawa) diagram of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fishbone {
    /// The effect at the head of the fish; defaults to the incident title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
    /// Category bones in drawing order.
    #[serde(default = "default_categories")]
    pub categories: Vec<String>,
    /// Causes, in order within each category.
    #[serde(default)]
    pub causes: Vec<FishboneCause>,
}

fn default_categories() -> Vec<String> {
    DEFAULT_FISHBONE_CATEGORIES
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

impl Default for Fishbone {
    fn default() -> Self {
        Self {
            effect: None,
            categories: default_categories(),
            causes: Vec::new(),
        }
    }
}

impl Fishbone {
    /// Checks that categories are unique and every cause sits on a known
    /// category under a parent that exists on the same bone.
    pub fn validate(&self) -> ValidationErrors {
        let mut errs = ValidationErrors::default();
        for (i, c) in self.categories.iter().enumerate() {
            if c.trim().is_empty() {
                errs.push(format!("categories[{i}]"), "must not be empty");
            } else if self.categories[..i].contains(c) {
                errs.push(format!("categories[{i}]"), format!("`{c}` is listed twice"));
            }
        }
        for (i, c) in self.causes.iter().enumerate() {
            errs.0
                .extend(self.validate_cause(c).nest(&format!("causes[{i}]")).0);
        }
        errs
    }

    /// Checks one cause against the diagram it is (or will be) part of.
    pub fn validate_cause(&self, c: &FishboneCause) -> ValidationErrors {
        let mut errs = ValidationErrors::default();
        if !self.categories.contains(&c.category) {
            errs.push(
                "category",
                format!(
                    "`{}` is not a category of this fishbone ({})",
                    c.category,
                    self.categories.join(", ")
                ),
            );
        }
        if c.text.trim().is_empty() {
            errs.push("text", "must not be empty");
        }
        if let Some(p) = c.parent {
            match self.causes.iter().find(|o| o.id == p) {
                None => errs.push("parent", format!("no cause with id {p} on this fishbone")),
                Some(parent) if parent.category != c.category => {
                    errs.push("parent", "is on a different category bone")
                }
                Some(_) if p == c.id => errs.push("parent", "a cause cannot be its own parent"),
                Some(_) => {}
            }
        }
        errs
    }
}

/// A score from 1 (best) to 10 (worst), as FMEA uses for severity, occurrence
/// and detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "i64", into = "u8")]
#[schema(value_type = u8)]
pub struct Score(u8);

impl Score {
    /// Parses a score, refusing anything outside 1-10.
    pub fn new(v: i64) -> Result<Self, String> {
        if (1..=10).contains(&v) {
            Ok(Self(v as u8))
        } else {
            Err(format!("{v} is outside 1-10"))
        }
    }

    /// The score as a number.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for Score {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        Self::new(v)
    }
}

impl From<Score> for u8 {
    fn from(s: Score) -> u8 {
        s.0
    }
}

/// One FMEA row: a failure mode, its effect and cause, its severity,
/// occurrence and detection scores, and the same scores after the
/// recommended action. The risk priority number is always computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FmeaRow {
    /// Stable id; assigned by the server when absent.
    #[serde(default)]
    pub id: Uuid,
    /// How the control or process can fail.
    pub failure_mode: String,
    /// What happens when it does.
    #[serde(default)]
    pub effect: String,
    /// Why it fails.
    #[serde(default)]
    pub cause: String,
    /// Severity of the effect, 1-10.
    pub severity: Score,
    /// Likelihood of occurrence, 1-10.
    pub occurrence: Score,
    /// Difficulty of detection, 1-10 (10: undetectable).
    pub detection: Score,
    /// Risk priority number, S x O x D. Computed; a value sent in must match.
    #[serde(default)]
    pub rpn: Option<u16>,
    /// Controls in place today.
    #[serde(default)]
    pub current_controls: String,
    /// What is recommended.
    #[serde(default)]
    pub recommended_action: String,
    /// Severity after the action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_after: Option<Score>,
    /// Occurrence after the action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurrence_after: Option<Score>,
    /// Detection after the action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection_after: Option<Score>,
    /// RPN after the action, when all three after-scores are given. Computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpn_after: Option<u16>,
}

/// S x O x D.
pub fn rpn(s: Score, o: Score, d: Score) -> u16 {
    u16::from(s.0) * u16::from(o.0) * u16::from(d.0)
}

impl FmeaRow {
    /// The risk priority number before the action.
    pub fn computed_rpn(&self) -> u16 {
        rpn(self.severity, self.occurrence, self.detection)
    }

    /// The risk priority number after the action, if all three scores are set.
    pub fn computed_rpn_after(&self) -> Option<u16> {
        Some(rpn(
            self.severity_after?,
            self.occurrence_after?,
            self.detection_after?,
        ))
    }

    /// Checks the row and that any RPN sent in agrees with the scores.
    pub fn validate(&self) -> ValidationErrors {
        let mut errs = ValidationErrors::default();
        if self.failure_mode.trim().is_empty() {
            errs.push("failure_mode", "must not be empty");
        }
        if let Some(r) = self.rpn
            && r != self.computed_rpn()
        {
            errs.push(
                "rpn",
                format!(
                    "is computed as severity x occurrence x detection = {}; leave it out",
                    self.computed_rpn()
                ),
            );
        }
        let after = [
            self.severity_after,
            self.occurrence_after,
            self.detection_after,
        ];
        let set = after.iter().filter(|s| s.is_some()).count();
        if set != 0 && set != 3 {
            errs.push(
                "severity_after",
                "give all three after-action scores or none",
            );
        }
        if let Some(r) = self.rpn_after
            && Some(r) != self.computed_rpn_after()
        {
            errs.push(
                "rpn_after",
                "is computed from the after-action scores; leave it out",
            );
        }
        errs
    }

    /// Fills in the computed numbers, so that what is shown is never stale.
    pub fn with_computed(mut self) -> Self {
        self.rpn = Some(self.computed_rpn());
        self.rpn_after = self.computed_rpn_after();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(s: i64, o: i64, d: i64) -> FmeaRow {
        FmeaRow {
            id: Uuid::nil(),
            failure_mode: "Backup codes reusable".into(),
            effect: String::new(),
            cause: String::new(),
            severity: Score::new(s).unwrap(),
            occurrence: Score::new(o).unwrap(),
            detection: Score::new(d).unwrap(),
            rpn: None,
            current_controls: String::new(),
            recommended_action: String::new(),
            severity_after: None,
            occurrence_after: None,
            detection_after: None,
            rpn_after: None,
        }
    }

    #[test]
    fn rpn_is_severity_times_occurrence_times_detection() {
        assert_eq!(row(9, 6, 8).with_computed().rpn, Some(432));
    }

    #[test]
    fn a_hand_written_rpn_that_disagrees_is_refused() {
        let mut r = row(9, 6, 8);
        r.rpn = Some(100);
        assert_eq!(r.validate().0[0].field, "rpn");
    }

    #[test]
    fn scores_outside_one_to_ten_are_refused() {
        assert!(Score::new(0).is_err());
        assert!(Score::new(11).is_err());
        assert!(serde_json::from_str::<Score>("11").is_err());
    }

    #[test]
    fn a_fishbone_cause_must_sit_on_a_known_bone() {
        let fb = Fishbone::default();
        let c = FishboneCause {
            id: Uuid::nil(),
            category: "Weather".into(),
            text: "x".into(),
            parent: None,
        };
        assert_eq!(fb.validate_cause(&c).0[0].field, "category");
    }
}
