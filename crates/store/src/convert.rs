//! Rows <-> core types.
//!
//! Every conversion is total in the writing direction except for JSON
//! serialization (which cannot fail for these types, but is still checked),
//! and fallible in the reading direction: a row that no longer parses (an
//! enum text the code does not know, a score out of range) is reported as a
//! database error naming the table and column rather than papered over.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use debrief_core::document::Findings;
use debrief_core::{
    ActionItem, Addresses, Area, Communications, Fact, Finding, FindingKind, Fishbone,
    FishboneCause, FiveWhys, FmeaRow, Impact, IncidentKey, Lesson, Lifecycle, PostMortem, Review,
    RootCause, Score, TimelineEntry,
};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{DbErr, JsonValue};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::StoreError;
use crate::entity::{
    action_items, findings, fishbone_causes, five_whys, fmea_rows, incidents, lessons, root_causes,
    timeline_entries,
};

/// A value as JSON for a JSON column.
pub(crate) fn to_json<T: Serialize + ?Sized>(v: &T) -> Result<JsonValue, StoreError> {
    serde_json::to_value(v).map_err(|e| StoreError::Database(DbErr::Json(e.to_string())))
}

/// A JSON column back into its type.
fn from_json<T: DeserializeOwned>(
    v: JsonValue,
    table: &str,
    column: &str,
) -> Result<T, StoreError> {
    serde_json::from_value(v)
        .map_err(|e| StoreError::Database(DbErr::Json(format!("{table}.{column}: {e}"))))
}

/// An enum stored as its text form back into the enum.
fn parse<T: FromStr<Err = String>>(s: &str, table: &str, column: &str) -> Result<T, StoreError> {
    s.parse()
        .map_err(|e| StoreError::Database(DbErr::Type(format!("{table}.{column}: {e}"))))
}

fn score(v: i32, table: &str, column: &str) -> Result<Score, StoreError> {
    Score::new(i64::from(v))
        .map_err(|e| StoreError::Database(DbErr::Type(format!("{table}.{column}: {e}"))))
}

fn score_opt(v: Option<i32>, table: &str, column: &str) -> Result<Option<Score>, StoreError> {
    v.map(|v| score(v, table, column)).transpose()
}

// ---------------------------------------------------------------- incidents

/// The header columns of a document. `version`, `created_at` and
/// `updated_at` are given separately: the store, not the document, decides
/// them on most paths.
pub(crate) fn incident_row(
    doc: &PostMortem,
    id: Uuid,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
) -> Result<incidents::ActiveModel, StoreError> {
    let l = &doc.lifecycle;
    Ok(incidents::ActiveModel {
        id: Set(id),
        key: Set(doc.key.as_str().to_owned()),
        title: Set(doc.title.clone()),
        summary: Set(doc.summary.clone()),
        category: Set(doc.category.clone()),
        types: Set(to_json(&doc.types)?),
        severity: Set(doc.severity.as_str().to_owned()),
        severity_history: Set(to_json(&doc.severity_history)?),
        status: Set(doc.status.as_str().to_owned()),
        postmortem_status: Set(doc.postmortem_status.as_str().to_owned()),
        first_activity_at: Set(l.first_activity),
        detected_at: Set(l.detected),
        responded_at: Set(l.responded),
        escalated_at: Set(l.escalated),
        contained_at: Set(l.contained),
        recovered_at: Set(l.recovered),
        resolved_at: Set(l.resolved),
        closed_at: Set(l.closed),
        impact: Set(to_json(&doc.impact)?),
        attack_vectors: Set(to_json(&doc.attack_vectors)?),
        attack_techniques: Set(to_json(&doc.attack_techniques)?),
        patient_zero: Set(doc.patient_zero.clone()),
        participants: Set(to_json(&doc.participants)?),
        repeat_of: Set(doc.repeat_of.as_ref().map(|k| k.as_str().to_owned())),
        related: Set(to_json(&doc.related)?),
        fishbone_effect: Set(doc.fishbone.effect.clone()),
        fishbone_categories: Set(to_json(&doc.fishbone.categories)?),
        communications: Set(to_json(&doc.communications)?),
        review: Set(to_json(&doc.review)?),
        version: Set(version),
        // Restriction is managed by `Store::set_restricted`, never by a
        // document write: an edit or import must not lift it by accident.
        restricted: NotSet,
        created_at: Set(created_at),
        updated_at: Set(updated_at),
    })
}

fn key(s: &str, column: &str) -> Result<IncidentKey, StoreError> {
    IncidentKey::parse(s)
        .map_err(|e| StoreError::Database(DbErr::Type(format!("incidents.{column}: {e}"))))
}

/// A document with the header of `m` and empty sections (the fishbone frame
/// and the communications, which live on the header row, included).
pub(crate) fn incident_doc(m: incidents::Model) -> Result<PostMortem, StoreError> {
    const T: &str = "incidents";
    Ok(PostMortem {
        key: key(&m.key, "key")?,
        title: m.title,
        summary: m.summary,
        category: m.category,
        types: from_json(m.types, T, "types")?,
        severity: parse(&m.severity, T, "severity")?,
        severity_history: from_json(m.severity_history, T, "severity_history")?,
        status: parse(&m.status, T, "status")?,
        postmortem_status: parse(&m.postmortem_status, T, "postmortem_status")?,
        lifecycle: Lifecycle {
            first_activity: m.first_activity_at,
            detected: m.detected_at,
            responded: m.responded_at,
            escalated: m.escalated_at,
            contained: m.contained_at,
            recovered: m.recovered_at,
            resolved: m.resolved_at,
            closed: m.closed_at,
        },
        impact: from_json::<Impact>(m.impact, T, "impact")?,
        attack_vectors: from_json(m.attack_vectors, T, "attack_vectors")?,
        attack_techniques: from_json(m.attack_techniques, T, "attack_techniques")?,
        patient_zero: m.patient_zero,
        participants: from_json(m.participants, T, "participants")?,
        repeat_of: m
            .repeat_of
            .as_deref()
            .map(|k| key(k, "repeat_of"))
            .transpose()?,
        related: from_json(m.related, T, "related")?,
        timeline: Vec::new(),
        five_whys: Vec::new(),
        root_causes: Vec::new(),
        fishbone: Fishbone {
            effect: m.fishbone_effect,
            categories: from_json(m.fishbone_categories, T, "fishbone_categories")?,
            causes: Vec::new(),
        },
        fmea: Vec::new(),
        findings: Findings::default(),
        action_items: Vec::new(),
        communications: from_json::<Communications>(m.communications, T, "communications")?,
        lessons: Vec::new(),
        review: from_json::<Review>(m.review, T, "review")?,
        version: m.version,
        created_at: Some(m.created_at),
        updated_at: Some(m.updated_at),
    })
}

// ---------------------------------------------------------------- timeline

/// Number of columns of `timeline_entries`, for sizing multi-row INSERTs.
pub(crate) const TIMELINE_COLUMNS: usize = 15;

pub(crate) fn timeline_row(
    e: &TimelineEntry,
    incident_id: Uuid,
    position: i32,
) -> Result<timeline_entries::ActiveModel, StoreError> {
    Ok(timeline_entries::ActiveModel {
        id: Set(e.id),
        incident_id: Set(incident_id),
        position: Set(position),
        occurred_at: Set(e.occurred_at),
        learned_at: Set(e.learned_at),
        phase: Set(e.phase.as_str().to_owned()),
        title: Set(e.title.clone()),
        details: Set(to_json(&e.details)?),
        we_knew: Set(e.we_knew.clone()),
        we_didnt_know: Set(e.we_didnt_know.clone()),
        decision: Set(e.decision.clone()),
        action_taken: Set(e.action_taken.clone()),
        facts: Set(to_json(&e.facts)?),
        source: Set(e.source.clone()),
        tags: Set(to_json(&e.tags)?),
    })
}

pub(crate) fn timeline_entry(m: timeline_entries::Model) -> Result<TimelineEntry, StoreError> {
    const T: &str = "timeline_entries";
    Ok(TimelineEntry {
        id: m.id,
        occurred_at: m.occurred_at,
        learned_at: m.learned_at,
        phase: parse(&m.phase, T, "phase")?,
        title: m.title,
        details: from_json(m.details, T, "details")?,
        we_knew: m.we_knew,
        we_didnt_know: m.we_didnt_know,
        decision: m.decision,
        action_taken: m.action_taken,
        facts: from_json::<Vec<Fact>>(m.facts, T, "facts")?,
        source: m.source,
        tags: from_json(m.tags, T, "tags")?,
    })
}

// ---------------------------------------------------------------- 5 whys

pub(crate) fn five_whys_row(
    w: &FiveWhys,
    incident_id: Uuid,
    position: i32,
) -> Result<five_whys::ActiveModel, StoreError> {
    Ok(five_whys::ActiveModel {
        id: Set(w.id),
        incident_id: Set(incident_id),
        position: Set(position),
        problem: Set(w.problem.clone()),
        steps: Set(to_json(&w.steps)?),
    })
}

pub(crate) fn five_whys(m: five_whys::Model) -> Result<FiveWhys, StoreError> {
    Ok(FiveWhys {
        id: m.id,
        problem: m.problem,
        steps: from_json(m.steps, "five_whys", "steps")?,
    })
}

// ---------------------------------------------------------------- root causes

pub(crate) fn root_cause_row(
    r: &RootCause,
    incident_id: Uuid,
    position: i32,
) -> root_causes::ActiveModel {
    root_causes::ActiveModel {
        id: Set(r.id),
        incident_id: Set(incident_id),
        position: Set(position),
        kind: Set(r.kind.as_str().to_owned()),
        title: Set(r.title.clone()),
        details: Set(r.details.clone()),
    }
}

pub(crate) fn root_cause(m: root_causes::Model) -> Result<RootCause, StoreError> {
    Ok(RootCause {
        id: m.id,
        kind: parse(&m.kind, "root_causes", "kind")?,
        title: m.title,
        details: m.details,
    })
}

// ---------------------------------------------------------------- fishbone

pub(crate) fn fishbone_row(
    c: &FishboneCause,
    incident_id: Uuid,
    position: i32,
) -> fishbone_causes::ActiveModel {
    fishbone_causes::ActiveModel {
        id: Set(c.id),
        incident_id: Set(incident_id),
        position: Set(position),
        category: Set(c.category.clone()),
        text: Set(c.text.clone()),
        parent_id: Set(c.parent),
    }
}

pub(crate) fn fishbone_cause(m: fishbone_causes::Model) -> FishboneCause {
    FishboneCause {
        id: m.id,
        category: m.category,
        text: m.text,
        parent: m.parent_id,
    }
}

// ---------------------------------------------------------------- FMEA

pub(crate) fn fmea_row(r: &FmeaRow, incident_id: Uuid, position: i32) -> fmea_rows::ActiveModel {
    let s = |s: Score| i32::from(s.get());
    fmea_rows::ActiveModel {
        id: Set(r.id),
        incident_id: Set(incident_id),
        position: Set(position),
        failure_mode: Set(r.failure_mode.clone()),
        effect: Set(r.effect.clone()),
        cause: Set(r.cause.clone()),
        severity: Set(s(r.severity)),
        occurrence: Set(s(r.occurrence)),
        detection: Set(s(r.detection)),
        current_controls: Set(r.current_controls.clone()),
        recommended_action: Set(r.recommended_action.clone()),
        severity_after: Set(r.severity_after.map(s)),
        occurrence_after: Set(r.occurrence_after.map(s)),
        detection_after: Set(r.detection_after.map(s)),
    }
}

/// An FMEA row as stored; the RPNs are left for `with_computed` to fill in.
pub(crate) fn fmea(m: fmea_rows::Model) -> Result<FmeaRow, StoreError> {
    const T: &str = "fmea_rows";
    Ok(FmeaRow {
        id: m.id,
        failure_mode: m.failure_mode,
        effect: m.effect,
        cause: m.cause,
        severity: score(m.severity, T, "severity")?,
        occurrence: score(m.occurrence, T, "occurrence")?,
        detection: score(m.detection, T, "detection")?,
        rpn: None,
        current_controls: m.current_controls,
        recommended_action: m.recommended_action,
        severity_after: score_opt(m.severity_after, T, "severity_after")?,
        occurrence_after: score_opt(m.occurrence_after, T, "occurrence_after")?,
        detection_after: score_opt(m.detection_after, T, "detection_after")?,
        rpn_after: None,
    })
}

// ---------------------------------------------------------------- findings

pub(crate) fn finding_row(
    f: &Finding,
    kind: FindingKind,
    incident_id: Uuid,
    position: i32,
) -> Result<findings::ActiveModel, StoreError> {
    Ok(findings::ActiveModel {
        id: Set(f.id),
        incident_id: Set(incident_id),
        position: Set(position),
        kind: Set(kind.as_str().to_owned()),
        area: Set(f.area.as_str().to_owned()),
        title: Set(f.title.clone()),
        details: Set(to_json(&f.details)?),
        impact: Set(f.impact.clone()),
    })
}

pub(crate) fn finding(m: findings::Model) -> Result<(FindingKind, Finding), StoreError> {
    const T: &str = "findings";
    let kind = parse(&m.kind, T, "kind")?;
    Ok((
        kind,
        Finding {
            id: m.id,
            area: parse::<Area>(&m.area, T, "area")?,
            title: m.title,
            details: from_json(m.details, T, "details")?,
            impact: m.impact,
        },
    ))
}

// ---------------------------------------------------------------- action items

/// An action item number as stored.
pub(crate) fn number(n: u32) -> Result<i32, StoreError> {
    i32::try_from(n).map_err(|_| StoreError::invalid("number", "is too large"))
}

pub(crate) fn action_row(
    a: &ActionItem,
    incident_id: Uuid,
) -> Result<action_items::ActiveModel, StoreError> {
    Ok(action_items::ActiveModel {
        id: Set(a.id),
        incident_id: Set(incident_id),
        number: Set(number(a.number)?),
        title: Set(a.title.clone()),
        description: Set(a.description.clone()),
        owner: Set(a.owner.clone()),
        team: Set(a.team.clone()),
        due: Set(a.due),
        priority: Set(a.priority.as_str().to_owned()),
        kind: Set(a.kind.map(|k| k.as_str().to_owned())),
        success_criteria: Set(to_json(&a.success_criteria)?),
        status: Set(a.status.as_str().to_owned()),
        status_history: Set(to_json(&a.status_history)?),
        verification: Set(a.verification.as_ref().map(to_json).transpose()?),
        addresses: Set(to_json(&a.addresses)?),
        external_ref: Set(a.external_ref.clone()),
    })
}

/// An action item as stored; the horizon is left for `with_computed`.
pub(crate) fn action_item(m: action_items::Model) -> Result<ActionItem, StoreError> {
    const T: &str = "action_items";
    Ok(ActionItem {
        id: m.id,
        number: u32::try_from(m.number).map_err(|_| {
            StoreError::Database(DbErr::Type(format!("{T}.number: {} is negative", m.number)))
        })?,
        title: m.title,
        description: m.description,
        owner: m.owner,
        team: m.team,
        due: m.due,
        priority: parse(&m.priority, T, "priority")?,
        horizon: None,
        kind: m.kind.as_deref().map(|k| parse(k, T, "kind")).transpose()?,
        success_criteria: from_json(m.success_criteria, T, "success_criteria")?,
        status: parse(&m.status, T, "status")?,
        status_history: from_json(m.status_history, T, "status_history")?,
        verification: m
            .verification
            .filter(|v| !v.is_null())
            .map(|v| from_json(v, T, "verification"))
            .transpose()?,
        addresses: from_json::<Addresses>(m.addresses, T, "addresses")?,
        external_ref: m.external_ref,
    })
}

// ---------------------------------------------------------------- lessons

pub(crate) fn lesson_row(l: &Lesson, incident_id: Uuid, position: i32) -> lessons::ActiveModel {
    lessons::ActiveModel {
        id: Set(l.id),
        incident_id: Set(incident_id),
        position: Set(position),
        text: Set(l.text.clone()),
        details: Set(l.details.clone()),
    }
}

pub(crate) fn lesson(m: lessons::Model) -> Lesson {
    Lesson {
        id: m.id,
        text: m.text,
        details: m.details,
    }
}
