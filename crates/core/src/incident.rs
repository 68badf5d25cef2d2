//! The incident itself: identity, classification, severity and its history,
//! lifecycle times, impact, attack details and the people involved.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ValidationErrors;
use crate::time::{utc, utc_opt};

/// An incident key such as `INC-2025-1128`: upper-case letters and digits in
/// dash-separated groups, starting with a letter, at most 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "INC-2025-1128")]
pub struct IncidentKey(String);

impl IncidentKey {
    /// Parses a key, explaining what is wrong with it.
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok_chars = s
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
        let groups_ok = s.split('-').all(|g| !g.is_empty());
        let starts = s.chars().next().is_some_and(|c| c.is_ascii_uppercase());
        if s.is_empty() || s.len() > 64 || !ok_chars || !groups_ok || !starts || !s.contains('-') {
            return Err(format!(
                "`{s}` is not an incident key; use upper-case letters and digits in dash-separated groups, such as `INC-2025-1128`"
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The generated key for the `seq`-th incident of `year`: `INC-YYYY-NNNN`.
    pub fn generated(year: i32, seq: u32) -> Self {
        Self(format!("INC-{year:04}-{seq:04}"))
    }

    /// If this key has the generated shape `INC-YYYY-NNNN`, its year and number.
    pub fn generated_parts(&self) -> Option<(i32, u32)> {
        let rest = self.0.strip_prefix("INC-")?;
        let (year, seq) = rest.split_once('-')?;
        if year.len() != 4 || seq.is_empty() || seq.len() > 6 {
            return None;
        }
        Some((year.parse().ok()?, seq.parse().ok()?))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IncidentKey {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<IncidentKey> for String {
    fn from(k: IncidentKey) -> String {
        k.0
    }
}

impl fmt::Display for IncidentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for IncidentKey {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s)
    }
}

/// A MITRE ATT&CK technique or sub-technique id such as `T1110` or `T1110.004`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "T1110.004")]
pub struct AttackTechnique(String);

impl AttackTechnique {
    /// Parses `T` + four digits, optionally `.` + three digits.
    pub fn parse(s: &str) -> Result<Self, String> {
        let b = s.as_bytes();
        let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
        let ok = match b.len() {
            5 => b[0] == b'T' && digits(&b[1..5]),
            9 => b[0] == b'T' && digits(&b[1..5]) && b[5] == b'.' && digits(&b[6..9]),
            _ => false,
        };
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "`{s}` is not an ATT&CK technique id; expected e.g. `T1110` or `T1110.004`"
            ))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AttackTechnique {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<AttackTechnique> for String {
    fn from(t: AttackTechnique) -> String {
        t.0
    }
}

/// Declares a closed vocabulary: a serde enum in snake_case with a stable
/// text form used by the store, the query string and the Markdown export.
#[macro_export]
macro_rules! vocabulary {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal / $label:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* #[doc = concat!("`", $text, "`: ", $label)] $variant,)+ }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stable machine form, as in JSON.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }

            /// The human label.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        "`{}` is not one of: {}",
                        s,
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// How bad the incident is.
    pub enum Severity {
        Low => "low" / "LOW",
        Medium => "medium" / "MEDIUM",
        High => "high" / "HIGH",
        Critical => "critical" / "CRITICAL",
    }
}

vocabulary! {
    /// Where the incident itself stands.
    pub enum IncidentStatus {
        /// Detected, being handled.
        Open => "open" / "Open",
        /// The attacker's access is cut off.
        Contained => "contained" / "Contained",
        /// Systems are back to normal.
        Resolved => "resolved" / "Resolved",
        /// Nothing left to do on the incident; the learning goes on.
        Closed => "closed" / "Closed",
    }
}

vocabulary! {
    /// Where the post-mortem of the incident stands.
    pub enum PostmortemStatus {
        NotStarted => "not_started" / "Not started",
        Draft => "draft" / "Draft",
        InReview => "in_review" / "In review",
        Published => "published" / "Published",
    }
}

vocabulary! {
    /// The lenses a post-mortem looks through (seed 004); several may apply.
    pub enum PostmortemType {
        Technical => "technical" / "Technical",
        Process => "process" / "Process",
        Organizational => "organizational" / "Organizational",
    }
}

vocabulary! {
    /// The part a person played in the incident or its review.
    pub enum Role {
        IncidentCommander => "incident_commander" / "Incident commander",
        Responder => "responder" / "Responder",
        SystemOwner => "system_owner" / "System owner",
        NoteTaker => "note_taker" / "Note-taker",
        EngineeringLeadership => "engineering_leadership" / "Engineering leadership",
        Security => "security" / "Security",
        Legal => "legal" / "Legal",
        CustomerSupport => "customer_support" / "Customer support",
        Executive => "executive" / "Executive",
        Communications => "communications" / "Communications",
        Other => "other" / "Other",
    }
}

/// One change of severity, e.g. MEDIUM -> HIGH at 03:25 because an admin
/// account was confirmed compromised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeverityChange {
    /// When the severity changed.
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
    /// Severity before the change.
    pub from: Severity,
    /// Severity after the change.
    pub to: Severity,
    /// Why it changed.
    #[serde(default)]
    pub reason: String,
}

/// The moments that define an incident's response measures. All optional:
/// an open incident has only some of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    /// First malicious activity (start of dwell time).
    #[serde(default, with = "utc_opt", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_activity: Option<DateTime<Utc>>,
    /// When the organisation detected it.
    #[serde(default, with = "utc_opt", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub detected: Option<DateTime<Utc>>,
    /// When a responder first acted.
    #[serde(default, with = "utc_opt", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub responded: Option<DateTime<Utc>>,
    /// When it was escalated to incident command.
    #[serde(default, with = "utc_opt", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub escalated: Option<DateTime<Utc>>,
    /// When the attacker's access was cut off.
    #[serde(default, with = "utc_opt", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub contained: Option<DateTime<Utc>>,
    /// When systems were back in service.
    #[serde(default, with = "utc_opt", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub recovered: Option<DateTime<Utc>>,
    /// When the incident was declared resolved.
    #[serde(default, with = "utc_opt", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved: Option<DateTime<Utc>>,
    /// When the incident was closed (the post-mortem clock starts here).
    #[serde(default, with = "utc_opt", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed: Option<DateTime<Utc>>,
}

impl Lifecycle {
    /// The named moments in their natural order, for validation and display.
    pub fn ordered(&self) -> [(&'static str, Option<DateTime<Utc>>); 8] {
        [
            ("first_activity", self.first_activity),
            ("detected", self.detected),
            ("responded", self.responded),
            ("escalated", self.escalated),
            ("contained", self.contained),
            ("recovered", self.recovered),
            ("resolved", self.resolved),
            ("closed", self.closed),
        ]
    }

    /// Checks that the moments happen in order. Escalation is left out of the
    /// order (it may come before or after the first response), but it cannot
    /// precede detection.
    pub fn validate(&self) -> ValidationErrors {
        let mut errs = ValidationErrors::default();
        let chain = [
            ("first_activity", self.first_activity),
            ("detected", self.detected),
            ("responded", self.responded),
            ("contained", self.contained),
            ("recovered", self.recovered),
            ("resolved", self.resolved),
            ("closed", self.closed),
        ];
        let mut last: Option<(&str, DateTime<Utc>)> = None;
        for (name, t) in chain {
            if let Some(t) = t {
                if let Some((prev, pt)) = last
                    && t < pt
                {
                    errs.push(
                        name,
                        format!("is before `{prev}`; lifecycle times must not go backwards"),
                    );
                }
                last = Some((name, t));
            }
        }
        if let (Some(d), Some(e)) = (self.detected, self.escalated)
            && e < d
        {
            errs.push("escalated", "is before `detected`");
        }
        errs
    }
}

/// What the incident cost: who was affected and which data was involved.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Impact {
    /// Impact on customers, in words.
    #[serde(default)]
    pub customer_impact: String,
    /// Number of records affected (viewed, altered or taken), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records_affected: Option<u64>,
    /// Kinds of data involved.
    #[serde(default)]
    pub data_involved: Vec<String>,
    /// Kinds of data confirmed not involved.
    #[serde(default)]
    pub data_not_involved: Vec<String>,
    /// Systems affected.
    #[serde(default)]
    pub systems_affected: Vec<String>,
}

/// A person and the part they played.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Participant {
    /// Name as people know them.
    pub name: String,
    /// Role in the incident or the review.
    pub role: Role,
    /// Team, if useful.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_accept_user_and_generated_shapes() {
        assert!(IncidentKey::parse("INC-2025-1128").is_ok());
        assert!(IncidentKey::parse("SEC-42").is_ok());
        assert_eq!(IncidentKey::generated(2025, 7).as_str(), "INC-2025-0007");
        assert_eq!(
            IncidentKey::parse("INC-2025-1128")
                .unwrap()
                .generated_parts(),
            Some((2025, 1128))
        );
    }

    #[test]
    fn keys_refuse_lower_case_spaces_and_empty_groups() {
        for bad in ["inc-1", "INC 1", "INC--1", "-INC", "INC", "", "INC-1/../x"] {
            assert!(IncidentKey::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn attack_techniques_must_look_like_attack_ids() {
        assert!(AttackTechnique::parse("T1110").is_ok());
        assert!(AttackTechnique::parse("T1110.004").is_ok());
        assert!(AttackTechnique::parse("T111").is_err());
        assert!(AttackTechnique::parse("t1110").is_err());
    }

    #[test]
    fn severity_parses_from_its_text_form() {
        assert_eq!("high".parse::<Severity>(), Ok(Severity::High));
        assert!("HIGH".parse::<Severity>().is_err());
    }
}
