//! The knowledge base: one entry per incident category, built from the
//! post-mortems of that category, in the shape of the seed's entry ("Total
//! Incidents", "Last Occurrence", "Common Root Causes", "Effective
//! Mitigations", "Failed Mitigations", "Lessons Learned", "Related
//! Incidents"). Pure: the caller passes the documents it may show (the
//! store filters restricted incidents out before this runs).
//!
//! The rules, so a reader can check an entry by hand:
//! - **Last occurrence**: the latest detection day (UTC); an incident with
//!   no detection time counts with its creation day.
//! - **Common root causes**: the *primary* root causes (contributing and
//!   systemic ones are per-incident detail, and would drown the pattern),
//!   grouped by [`normalise`]d title, each counted once per incident, most
//!   frequent first, then most recently seen. The text shown is the
//!   wording of the most recent incident.
//! - **Effective mitigations**: action items whose verification says
//!   effective, with the evidence.
//! - **Failed mitigations**: action items whose verification says not
//!   effective; and, for a repeat incident (its `repeat_of` is another
//!   incident of the category), the *prevent* items of the earlier incident
//!   that were done before the repeat was detected, were not verified
//!   effective, and address a root cause whose normalised title is also a
//!   root cause of the repeat: the fix was in place and the same cause
//!   came back.
//! - **Lessons learned**: every lesson, newest incident first, duplicates
//!   (by normalised text) shown once.
//! - **Related incidents**: every incident of the category, oldest first,
//!   with its title.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{ActionKind, IncidentKey, PostMortem, RootCauseKind};

/// One category's entry.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KnowledgeEntry {
    /// The category.
    pub category: String,
    /// How many incidents of the category the caller may see.
    pub total_incidents: u32,
    /// The latest detection day.
    #[schema(value_type = Option<String>, format = Date)]
    pub last_occurrence: Option<NaiveDate>,
    /// Primary root causes grouped by normalised title, most common first.
    pub common_root_causes: Vec<CauseCount>,
    /// Action items verified effective.
    pub effective_mitigations: Vec<Mitigation>,
    /// Action items verified ineffective, or done before a repeat.
    pub failed_mitigations: Vec<Mitigation>,
    /// Lessons, newest incident first, without duplicates.
    pub lessons_learned: Vec<LessonRef>,
    /// The incidents of the category, oldest first.
    pub related_incidents: Vec<RelatedIncident>,
}

/// A root cause and how many incidents had it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CauseCount {
    /// The cause as the most recent incident words it.
    pub text: String,
    /// Number of incidents.
    pub incidents: u32,
    /// Their keys, oldest first.
    pub keys: Vec<IncidentKey>,
}

/// An action item judged as a mitigation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Mitigation {
    /// The action item's title.
    pub title: String,
    /// The incident it belongs to.
    pub incident: IncidentKey,
    /// Its number in that incident.
    pub number: u32,
    /// Why it is listed: the verification evidence, or the repeat.
    pub why: String,
}

/// A lesson and where it was learned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LessonRef {
    /// The lesson.
    pub text: String,
    /// The incident that taught it.
    pub incident: IncidentKey,
}

/// An incident of the category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RelatedIncident {
    /// Key.
    pub key: IncidentKey,
    /// Title.
    pub title: String,
    /// Detection day.
    #[schema(value_type = Option<String>, format = Date)]
    pub detected: Option<NaiveDate>,
}

/// The grouping key of a root cause or lesson: lower case, every run of
/// characters that are not letters or digits turned into one space, trimmed.
/// "Weak MFA implementation." and "weak  MFA-implementation" group together;
/// different words do not (no stemming or synonyms: a wrong merge would
/// invent a pattern).
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

/// The day an incident counts on: detection, else creation.
fn day(doc: &PostMortem) -> Option<NaiveDate> {
    doc.lifecycle
        .detected
        .or(doc.created_at)
        .map(|t| t.date_naive())
}

/// The day an action item was last marked done, if its history says so.
fn done_on(a: &crate::ActionItem) -> Option<NaiveDate> {
    a.status_history
        .iter()
        .rev()
        .find(|s| s.status.is_done())
        .map(|s| s.on)
}

/// The entry of `category` from `docs` (documents of other categories are
/// ignored). Only the header, root causes, action items and lessons of
/// each document are read.
pub fn entry(category: &str, docs: &[PostMortem]) -> KnowledgeEntry {
    let mut docs: Vec<&PostMortem> = docs
        .iter()
        .filter(|d| d.category.as_deref() == Some(category))
        .collect();
    docs.sort_by(|a, b| day(a).cmp(&day(b)).then_with(|| a.key.cmp(&b.key)));

    // Root causes: oldest first, so the last wording seen is the newest.
    let mut causes: Vec<(String, CauseCount, Option<NaiveDate>)> = Vec::new();
    for d in &docs {
        for r in d
            .root_causes
            .iter()
            .filter(|r| r.kind == RootCauseKind::Primary)
        {
            let norm = normalise(&r.title);
            if norm.is_empty() {
                continue;
            }
            match causes.iter_mut().find(|(n, _, _)| *n == norm) {
                Some((_, c, last)) => {
                    if !c.keys.contains(&d.key) {
                        c.keys.push(d.key.clone());
                        c.incidents += 1;
                    }
                    c.text = r.title.trim().to_owned();
                    *last = day(d);
                }
                None => causes.push((
                    norm,
                    CauseCount {
                        text: r.title.trim().to_owned(),
                        incidents: 1,
                        keys: vec![d.key.clone()],
                    },
                    day(d),
                )),
            }
        }
    }
    causes.sort_by(|a, b| {
        b.1.incidents
            .cmp(&a.1.incidents)
            .then_with(|| b.2.cmp(&a.2))
            .then_with(|| a.1.text.cmp(&b.1.text))
    });

    let mut effective = Vec::new();
    let mut failed = Vec::new();
    for d in &docs {
        for a in &d.action_items {
            if let Some(v) = &a.verification {
                let m = Mitigation {
                    title: a.title.clone(),
                    incident: d.key.clone(),
                    number: a.number,
                    why: v.evidence.clone(),
                };
                if v.effective {
                    effective.push(m);
                } else {
                    failed.push(m);
                }
            }
        }
    }
    // Repeats: the earlier incident's completed prevention that did not hold.
    let by_key: HashMap<&IncidentKey, &PostMortem> = docs.iter().map(|d| (&d.key, *d)).collect();
    for repeat in &docs {
        let Some(earlier) = repeat.repeat_of.as_ref().and_then(|k| by_key.get(k)) else {
            continue;
        };
        let repeat_causes: Vec<String> = repeat
            .root_causes
            .iter()
            .map(|r| normalise(&r.title))
            .collect();
        let shared: Vec<uuid::Uuid> = earlier
            .root_causes
            .iter()
            .filter(|r| repeat_causes.contains(&normalise(&r.title)))
            .map(|r| r.id)
            .collect();
        let detected = day(repeat);
        for a in &earlier.action_items {
            let done_before = a.status.is_done()
                && match (done_on(a), detected) {
                    (Some(on), Some(det)) => on <= det,
                    _ => true,
                };
            let verified_effective = a.verification.as_ref().is_some_and(|v| v.effective);
            let listed = failed
                .iter()
                .any(|m: &Mitigation| m.incident == earlier.key && m.number == a.number);
            if a.kind == Some(ActionKind::Prevent)
                && done_before
                && !verified_effective
                && !listed
                && a.addresses.root_causes.iter().any(|id| shared.contains(id))
            {
                failed.push(Mitigation {
                    title: a.title.clone(),
                    incident: earlier.key.clone(),
                    number: a.number,
                    why: format!("done, yet {} repeated the incident", repeat.key),
                });
            }
        }
    }

    let mut lessons: Vec<LessonRef> = Vec::new();
    let mut seen = Vec::new();
    for d in docs.iter().rev() {
        for l in &d.lessons {
            let norm = normalise(&l.text);
            if norm.is_empty() || seen.contains(&norm) {
                continue;
            }
            seen.push(norm);
            lessons.push(LessonRef {
                text: l.text.trim().to_owned(),
                incident: d.key.clone(),
            });
        }
    }

    KnowledgeEntry {
        category: category.to_owned(),
        total_incidents: u32::try_from(docs.len()).unwrap_or(u32::MAX),
        last_occurrence: docs.iter().filter_map(|d| day(d)).max(),
        common_root_causes: causes.into_iter().map(|(_, c, _)| c).collect(),
        effective_mitigations: effective,
        failed_mitigations: failed,
        lessons_learned: lessons,
        related_incidents: docs
            .iter()
            .map(|d| RelatedIncident {
                key: d.key.clone(),
                title: d.title.clone(),
                detected: day(d),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_ignores_case_punctuation_and_spacing_only() {
        assert_eq!(
            normalise("Weak MFA implementation."),
            "weak mfa implementation"
        );
        assert_eq!(
            normalise("  weak  MFA-implementation "),
            "weak mfa implementation"
        );
        assert_ne!(normalise("Weak MFA"), normalise("Weak MFA implementation"));
        assert_eq!(normalise("--"), "");
    }

    #[test]
    fn the_demo_authentication_bypass_entry_is_the_seeds() {
        let docs = crate::demo::documents().unwrap();
        let e = entry("Authentication Bypass", &docs);
        assert_eq!(e.total_incidents, 3);
        assert_eq!(e.last_occurrence.unwrap().to_string(), "2025-11-28");
        let causes: Vec<(&str, u32)> = e
            .common_root_causes
            .iter()
            .map(|c| (c.text.as_str(), c.incidents))
            .collect();
        assert_eq!(
            causes,
            [("Weak MFA implementation", 2), ("Session hijacking", 1)]
        );
        let titles = |list: &[Mitigation]| list.iter().map(|m| m.title.clone()).collect::<Vec<_>>();
        let effective = titles(&e.effective_mitigations).join(" | ");
        for seed in [
            "hardware security keys",
            "Short session timeouts",
            "IP allowlisting for admin access",
        ] {
            assert!(effective.contains(seed), "{seed} in {effective}");
        }
        assert_eq!(e.effective_mitigations.len(), 3);
        let failed = titles(&e.failed_mitigations).join(" | ");
        assert!(failed.contains("SMS MFA"), "{failed}");
        assert!(failed.contains("email one-time codes"), "{failed}");
        assert_eq!(e.failed_mitigations.len(), 2, "{failed}");
        let lessons: Vec<&str> = e.lessons_learned.iter().map(|l| l.text.as_str()).collect();
        for seed in [
            "Backup codes should expire",
            "Hardware keys prevent most bypasses",
            "Admin access needs extra protection",
        ] {
            assert!(lessons.contains(&seed), "{seed} in {lessons:?}");
        }
        let keys: Vec<&str> = e.related_incidents.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["INC-2025-0523", "INC-2025-0812", "INC-2025-1128"]);
    }

    #[test]
    fn a_completed_fix_that_a_repeat_defeated_is_failed() {
        let docs = crate::demo::documents().unwrap();
        // Make the earlier incident's verified-ineffective items merely
        // complete: the repeat alone must now list them.
        let mut docs: Vec<PostMortem> = docs
            .into_iter()
            .filter(|d| d.category.as_deref() == Some("Authentication Bypass"))
            .collect();
        for d in &mut docs {
            for a in &mut d.action_items {
                if a.verification.as_ref().is_some_and(|v| !v.effective) {
                    a.verification = None;
                }
            }
        }
        let e = entry("Authentication Bypass", &docs);
        assert_eq!(e.failed_mitigations.len(), 2);
        assert!(
            e.failed_mitigations
                .iter()
                .all(|m| m.incident.as_str() == "INC-2025-0523" && m.why.contains("INC-2025-1128"))
        );
    }

    #[test]
    fn other_categories_are_ignored_and_an_empty_entry_is_empty() {
        let docs = crate::demo::documents().unwrap();
        let e = entry("No Such Category", &docs);
        assert_eq!(e.total_incidents, 0);
        assert_eq!(e.last_occurrence, None);
        assert!(e.related_incidents.is_empty());
    }
}
