//! The whole post-mortem of one incident as one document, and the inputs
//! that create and change its header.
//!
//! The document is the unit of exchange: the API's `GET` returns it, the
//! JSON export writes it, and import reads it back without loss.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::action::ActionItem;
use crate::analysis::{Fishbone, FiveWhys, FmeaRow, RootCause};
use crate::comms::{Communications, Lesson};
use crate::error::{ValidationErrors, join_path};
use crate::findings::Finding;
use crate::incident::{
    AttackTechnique, Impact, IncidentKey, IncidentStatus, Lifecycle, Participant, PostmortemStatus,
    PostmortemType, Severity, SeverityChange,
};
use crate::review::Review;
use crate::time::utc_opt;
use crate::timeline::TimelineEntry;

/// Maximum length of a title, in characters.
pub const MAX_TITLE: usize = 200;

/// What went well and what went wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Findings {
    /// Successes to keep.
    #[serde(default)]
    pub went_well: Vec<Finding>,
    /// Failures and gaps to close.
    #[serde(default)]
    pub went_wrong: Vec<Finding>,
}

/// The complete post-mortem of one incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostMortem {
    /// Unique key, e.g. `INC-2025-1128`.
    pub key: IncidentKey,
    /// Short title.
    pub title: String,
    /// What happened, in a paragraph.
    #[serde(default)]
    pub summary: String,
    /// Category from the managed list, e.g. "Authentication Bypass".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Post-mortem types that apply (technical, process, organizational).
    #[serde(default)]
    pub types: Vec<PostmortemType>,
    /// Current severity.
    pub severity: Severity,
    /// Every change of severity, oldest first.
    #[serde(default)]
    pub severity_history: Vec<SeverityChange>,
    /// Incident status.
    pub status: IncidentStatus,
    /// Post-mortem status.
    pub postmortem_status: PostmortemStatus,
    /// Lifecycle times.
    #[serde(default)]
    pub lifecycle: Lifecycle,
    /// Impact.
    #[serde(default)]
    pub impact: Impact,
    /// Attack vectors in words, e.g. "Credential stuffing".
    #[serde(default)]
    pub attack_vectors: Vec<String>,
    /// MITRE ATT&CK techniques observed.
    #[serde(default)]
    pub attack_techniques: Vec<AttackTechnique>,
    /// The first system or account compromised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_zero: Option<String>,
    /// People involved and their roles.
    #[serde(default)]
    pub participants: Vec<Participant>,
    /// The earlier incident this one repeats, if it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_of: Option<IncidentKey>,
    /// Other related incidents.
    #[serde(default)]
    pub related: Vec<IncidentKey>,
    /// The reconstructed timeline, in time order.
    #[serde(default)]
    pub timeline: Vec<TimelineEntry>,
    /// 5 Whys chains.
    #[serde(default)]
    pub five_whys: Vec<FiveWhys>,
    /// Root causes, contributing factors and systemic issues.
    #[serde(default)]
    pub root_causes: Vec<RootCause>,
    /// The fishbone diagram.
    #[serde(default)]
    pub fishbone: Fishbone,
    /// FMEA rows.
    #[serde(default)]
    pub fmea: Vec<FmeaRow>,
    /// What went well and what went wrong.
    #[serde(default)]
    pub findings: Findings,
    /// Action items, by number.
    #[serde(default)]
    pub action_items: Vec<ActionItem>,
    /// Internal and customer communications.
    #[serde(default)]
    pub communications: Communications,
    /// Lessons learned.
    #[serde(default)]
    pub lessons: Vec<Lesson>,
    /// The review: meeting agenda, process facts, checklist ticks and
    /// acknowledged coach findings.
    #[serde(default, skip_serializing_if = "Review::is_empty")]
    pub review: Review,
    /// Version, raised by every write; a write naming an older one is refused.
    #[serde(default)]
    pub version: i64,
    /// When the record was created.
    #[serde(default, with = "utc_opt", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub created_at: Option<DateTime<Utc>>,
    /// When the record last changed.
    #[serde(default, with = "utc_opt", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<DateTime<Utc>>,
}

impl PostMortem {
    /// The day action-item horizons count from: the detection day, or the
    /// first activity, or the creation day.
    pub fn horizon_base(&self) -> Option<NaiveDate> {
        self.lifecycle
            .detected
            .or(self.lifecycle.first_activity)
            .or(self.created_at)
            .map(|t| t.date_naive())
    }

    /// What the fishbone diagram explains: its effect, or the title when
    /// none is set.
    pub fn fishbone_effect(&self) -> String {
        self.fishbone
            .effect
            .clone()
            .filter(|e| !e.trim().is_empty())
            .unwrap_or_else(|| self.title.clone())
    }

    /// The review meeting's agenda: the one saved, else the seed's default.
    pub fn agenda(&self) -> crate::meeting::Agenda {
        self.review
            .agenda
            .clone()
            .unwrap_or_else(|| crate::meeting::Agenda::default_for(self))
    }

    /// Checks the header rules.
    pub fn validate_header(&self) -> ValidationErrors {
        header_rules(HeaderView {
            key: &self.key,
            title: &self.title,
            category: self.category.as_deref(),
            severity: self.severity,
            severity_history: &self.severity_history,
            participants: &self.participants,
            repeat_of: self.repeat_of.as_ref(),
            lifecycle: &self.lifecycle,
        })
    }

    /// Checks the whole document: the header, every item of every section,
    /// unique ids and numbers, and links between sections.
    pub fn validate(&self) -> ValidationErrors {
        let mut errs = self.validate_header();
        let mut ids = HashSet::new();
        let mut seen = |errs: &mut ValidationErrors, path: String, id: Uuid| {
            if !id.is_nil() && !ids.insert(id) {
                errs.push(
                    join_path(&path, "id"),
                    format!("{id} is used twice in this document"),
                );
            }
        };
        for (i, e) in self.timeline.iter().enumerate() {
            let p = format!("timeline[{i}]");
            seen(&mut errs, p.clone(), e.id);
            errs.0.extend(e.validate().nest(&p).0);
        }
        for (i, w) in self.five_whys.iter().enumerate() {
            let p = format!("five_whys[{i}]");
            seen(&mut errs, p.clone(), w.id);
            errs.0.extend(w.validate().nest(&p).0);
        }
        for (i, r) in self.root_causes.iter().enumerate() {
            let p = format!("root_causes[{i}]");
            seen(&mut errs, p.clone(), r.id);
            errs.0.extend(r.validate().nest(&p).0);
        }
        for (i, c) in self.fishbone.causes.iter().enumerate() {
            seen(&mut errs, format!("fishbone.causes[{i}]"), c.id);
        }
        errs.0.extend(self.fishbone.validate().nest("fishbone").0);
        for (i, r) in self.fmea.iter().enumerate() {
            let p = format!("fmea[{i}]");
            seen(&mut errs, p.clone(), r.id);
            errs.0.extend(r.validate().nest(&p).0);
        }
        for (group, list) in [
            ("went_well", &self.findings.went_well),
            ("went_wrong", &self.findings.went_wrong),
        ] {
            for (i, f) in list.iter().enumerate() {
                let p = format!("findings.{group}[{i}]");
                seen(&mut errs, p.clone(), f.id);
                errs.0.extend(f.validate().nest(&p).0);
            }
        }
        for (i, l) in self.lessons.iter().enumerate() {
            let p = format!("lessons[{i}]");
            seen(&mut errs, p.clone(), l.id);
            errs.0.extend(l.validate().nest(&p).0);
        }
        errs.0.extend(self.review.validate().nest("review").0);
        let base = self.horizon_base();
        let mut numbers = HashSet::new();
        for (i, a) in self.action_items.iter().enumerate() {
            let p = format!("action_items[{i}]");
            seen(&mut errs, p.clone(), a.id);
            errs.0.extend(a.validate(base).nest(&p).0);
            if a.number != 0 && !numbers.insert(a.number) {
                errs.push(
                    format!("{p}.number"),
                    format!("#{} is used twice", a.number),
                );
            }
            errs.0.extend(self.validate_links(a).nest(&p).0);
        }
        errs
    }

    /// Checks that an action item's links point at causes of this incident.
    pub fn validate_links(&self, a: &ActionItem) -> ValidationErrors {
        let mut errs = ValidationErrors::default();
        let checks: [(&str, &[Uuid], Vec<Uuid>); 3] = [
            (
                "root_causes",
                &a.addresses.root_causes,
                self.root_causes.iter().map(|r| r.id).collect(),
            ),
            (
                "fishbone_causes",
                &a.addresses.fishbone_causes,
                self.fishbone.causes.iter().map(|c| c.id).collect(),
            ),
            (
                "fmea_rows",
                &a.addresses.fmea_rows,
                self.fmea.iter().map(|r| r.id).collect(),
            ),
        ];
        for (name, wanted, known) in checks {
            for (j, id) in wanted.iter().enumerate() {
                if !known.contains(id) {
                    errs.push(
                        format!("addresses.{name}[{j}]"),
                        format!(
                            "no {} with id {id} in this incident",
                            name.trim_end_matches('s').replace('_', " ")
                        ),
                    );
                }
            }
        }
        errs
    }

    /// Fills in every computed field (RPN, horizons) and puts sections in
    /// their canonical order, so that what is shown is never stale.
    pub fn with_computed(mut self) -> Self {
        let base = self.horizon_base();
        self.fmea = self.fmea.into_iter().map(FmeaRow::with_computed).collect();
        for a in &mut self.action_items {
            a.horizon = a.derived_horizon(base);
        }
        self.action_items.sort_by_key(|a| a.number);
        self
    }

    /// The next free action item number.
    pub fn next_action_number(&self) -> u32 {
        self.action_items
            .iter()
            .map(|a| a.number)
            .max()
            .unwrap_or(0)
            + 1
    }

    /// Applies a header patch, recording a severity change at `now`.
    pub fn apply(&mut self, patch: IncidentPatch, now: DateTime<Utc>) {
        let IncidentPatch {
            version: _,
            title,
            summary,
            category,
            types,
            severity,
            severity_reason,
            status,
            postmortem_status,
            lifecycle,
            impact,
            attack_vectors,
            attack_techniques,
            patient_zero,
            participants,
            repeat_of,
            related,
        } = patch;
        if let Some(v) = title {
            self.title = v;
        }
        if let Some(v) = summary {
            self.summary = v;
        }
        if let Some(v) = category {
            self.category = v;
        }
        if let Some(v) = types {
            self.types = v;
        }
        if let Some(to) = severity
            && to != self.severity
        {
            self.severity_history.push(SeverityChange {
                at: now,
                from: self.severity,
                to,
                reason: severity_reason.unwrap_or_default(),
            });
            self.severity = to;
        }
        if let Some(v) = status {
            self.status = v;
        }
        if let Some(v) = postmortem_status {
            self.postmortem_status = v;
        }
        if let Some(v) = lifecycle {
            self.lifecycle = v;
        }
        if let Some(v) = impact {
            self.impact = v;
        }
        if let Some(v) = attack_vectors {
            self.attack_vectors = v;
        }
        if let Some(v) = attack_techniques {
            self.attack_techniques = v;
        }
        if let Some(v) = patient_zero {
            self.patient_zero = v;
        }
        if let Some(v) = participants {
            self.participants = v;
        }
        if let Some(v) = repeat_of {
            self.repeat_of = v;
        }
        if let Some(v) = related {
            self.related = v;
        }
    }

    /// The severity the incident was first given.
    pub fn initial_severity(&self) -> Severity {
        self.severity_history
            .first()
            .map_or(self.severity, |c| c.from)
    }
}

struct HeaderView<'a> {
    key: &'a IncidentKey,
    title: &'a str,
    category: Option<&'a str>,
    severity: Severity,
    severity_history: &'a [SeverityChange],
    participants: &'a [Participant],
    repeat_of: Option<&'a IncidentKey>,
    lifecycle: &'a Lifecycle,
}

fn header_rules(h: HeaderView<'_>) -> ValidationErrors {
    let mut errs = ValidationErrors::default();
    if h.title.trim().is_empty() {
        errs.push("title", "must not be empty");
    } else if h.title.chars().count() > MAX_TITLE {
        errs.push("title", format!("is longer than {MAX_TITLE} characters"));
    }
    if h.category.is_some_and(|c| c.trim().is_empty()) {
        errs.push("category", "must not be blank; leave it out instead");
    }
    for (i, p) in h.participants.iter().enumerate() {
        if p.name.trim().is_empty() {
            errs.push(format!("participants[{i}].name"), "must not be empty");
        }
    }
    if let Some(last) = h.severity_history.last()
        && last.to != h.severity
    {
        errs.push(
            "severity",
            format!(
                "is `{}` but the last severity change went to `{}`",
                h.severity, last.to
            ),
        );
    }
    for (i, w) in h.severity_history.windows(2).enumerate() {
        if w[1].at < w[0].at {
            errs.push(
                format!("severity_history[{}].at", i + 1),
                "is before the previous change",
            );
        }
        if w[1].from != w[0].to {
            errs.push(
                format!("severity_history[{}].from", i + 1),
                format!(
                    "is `{}` but the previous change went to `{}`",
                    w[1].from, w[0].to
                ),
            );
        }
    }
    if h.repeat_of == Some(h.key) {
        errs.push("repeat_of", "an incident cannot repeat itself");
    }
    errs.0.extend(h.lifecycle.validate().nest("lifecycle").0);
    errs
}

/// The input that creates an incident: the header, with the key optional
/// (generated as `INC-YYYY-NNNN` when absent).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    /// Key; generated when absent.
    #[serde(default)]
    pub key: Option<IncidentKey>,
    /// Short title.
    pub title: String,
    /// Summary.
    #[serde(default)]
    pub summary: String,
    /// Category from the managed list.
    #[serde(default)]
    pub category: Option<String>,
    /// Post-mortem types.
    #[serde(default)]
    pub types: Vec<PostmortemType>,
    /// Severity.
    pub severity: Severity,
    /// Incident status; `open` when absent.
    #[serde(default)]
    pub status: Option<IncidentStatus>,
    /// Post-mortem status; `draft` when absent.
    #[serde(default)]
    pub postmortem_status: Option<PostmortemStatus>,
    /// Lifecycle times.
    #[serde(default)]
    pub lifecycle: Lifecycle,
    /// Impact.
    #[serde(default)]
    pub impact: Impact,
    /// Attack vectors.
    #[serde(default)]
    pub attack_vectors: Vec<String>,
    /// ATT&CK techniques.
    #[serde(default)]
    pub attack_techniques: Vec<AttackTechnique>,
    /// Patient zero.
    #[serde(default)]
    pub patient_zero: Option<String>,
    /// Participants.
    #[serde(default)]
    pub participants: Vec<Participant>,
    /// The incident this repeats.
    #[serde(default)]
    pub repeat_of: Option<IncidentKey>,
    /// Related incidents.
    #[serde(default)]
    pub related: Vec<IncidentKey>,
}

impl NewIncident {
    /// The empty post-mortem this input starts, under `key`.
    pub fn into_document(self, key: IncidentKey) -> PostMortem {
        PostMortem {
            key,
            title: self.title,
            summary: self.summary,
            category: self.category,
            types: self.types,
            severity: self.severity,
            severity_history: Vec::new(),
            status: self.status.unwrap_or(IncidentStatus::Open),
            postmortem_status: self.postmortem_status.unwrap_or(PostmortemStatus::Draft),
            lifecycle: self.lifecycle,
            impact: self.impact,
            attack_vectors: self.attack_vectors,
            attack_techniques: self.attack_techniques,
            patient_zero: self.patient_zero,
            participants: self.participants,
            repeat_of: self.repeat_of,
            related: self.related,
            timeline: Vec::new(),
            five_whys: Vec::new(),
            root_causes: Vec::new(),
            fishbone: Fishbone::default(),
            fmea: Vec::new(),
            findings: Findings::default(),
            action_items: Vec::new(),
            communications: Communications::default(),
            lessons: Vec::new(),
            review: Review::default(),
            version: 0,
            created_at: None,
            updated_at: None,
        }
    }
}

/// A change to an incident's header. Absent fields are left alone; `null`
/// clears an optional field.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentPatch {
    /// The version the change was made against; refused when stale.
    #[serde(default)]
    pub version: Option<i64>,
    /// New title.
    #[serde(default)]
    pub title: Option<String>,
    /// New summary.
    #[serde(default)]
    pub summary: Option<String>,
    /// New category, or null to clear.
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<String>)]
    pub category: Option<Option<String>>,
    /// New types.
    #[serde(default)]
    pub types: Option<Vec<PostmortemType>>,
    /// New severity; a change is recorded in the severity history.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Why the severity changed.
    #[serde(default)]
    pub severity_reason: Option<String>,
    /// New incident status.
    #[serde(default)]
    pub status: Option<IncidentStatus>,
    /// New post-mortem status.
    #[serde(default)]
    pub postmortem_status: Option<PostmortemStatus>,
    /// New lifecycle times (all of them).
    #[serde(default)]
    pub lifecycle: Option<Lifecycle>,
    /// New impact (all of it).
    #[serde(default)]
    pub impact: Option<Impact>,
    /// New attack vectors.
    #[serde(default)]
    pub attack_vectors: Option<Vec<String>>,
    /// New ATT&CK techniques.
    #[serde(default)]
    pub attack_techniques: Option<Vec<AttackTechnique>>,
    /// New patient zero, or null to clear.
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<String>)]
    pub patient_zero: Option<Option<String>>,
    /// New participants (all of them).
    #[serde(default)]
    pub participants: Option<Vec<Participant>>,
    /// New repeated incident, or null to clear.
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<String>)]
    pub repeat_of: Option<Option<IncidentKey>>,
    /// New related incidents.
    #[serde(default)]
    pub related: Option<Vec<IncidentKey>>,
}

/// Tells "absent" (outer `None`, via `default`) from "null" (`Some(None)`).
fn some<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal() -> serde_json::Value {
        json!({"key": "INC-2025-0001", "title": "t", "severity": "low", "status": "open", "postmortem_status": "draft"})
    }

    #[test]
    fn unknown_fields_are_refused_with_their_name() {
        let mut v = minimal();
        v["colour"] = json!("red");
        let err = serde_json::from_value::<PostMortem>(v)
            .unwrap_err()
            .to_string();
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn a_patch_tells_null_from_absent() {
        let p: IncidentPatch = serde_json::from_value(json!({"category": null})).unwrap();
        assert_eq!(p.category, Some(None));
        assert_eq!(p.patient_zero, None);
    }

    #[test]
    fn a_severity_patch_records_the_change_and_why() {
        let mut doc: PostMortem = serde_json::from_value(minimal()).unwrap();
        let now = crate::time::parse_instant("2025-11-28T03:25:00Z").unwrap();
        doc.apply(
            IncidentPatch {
                severity: Some(Severity::High),
                severity_reason: Some("admin".into()),
                ..Default::default()
            },
            now,
        );
        assert_eq!(doc.severity, Severity::High);
        assert_eq!(doc.severity_history[0].from, Severity::Low);
        assert!(doc.validate().0.is_empty());
    }

    #[test]
    fn action_links_must_point_at_causes_of_the_same_incident() {
        let mut v = minimal();
        v["action_items"] = json!([{"title": "x", "priority": "low", "status": "planned",
            "addresses": {"root_causes": ["0191f0c2-0000-7000-8000-000000000001"]}}]);
        let doc: PostMortem = serde_json::from_value(v).unwrap();
        let errs = doc.validate();
        assert_eq!(errs.0[0].field, "action_items[0].addresses.root_causes[0]");
    }
}
