//! The debrief domain: everything a security post-mortem holds, and the rules
//! that keep it consistent.
//!
//! This crate is pure. It does no IO, spawns nothing and never reads the
//! clock: any rule that depends on "now" takes the time as a parameter, so
//! the rules behave the same in tests, in the server and in the CLI.
//!
//! The whole post-mortem of one incident is a [`PostMortem`] document: it is
//! what `GET /api/v1/incidents/{key}` returns, what `debrief export --format
//! json` writes and what `debrief import` reads back.

pub mod access;
pub mod action;
pub mod analysis;
pub mod audit;
pub mod checklist;
pub mod coach;
pub mod comms;
pub mod dashboard;
pub mod demo;
pub mod document;
pub mod error;
pub mod findings;
pub mod followup;
pub mod incident;
pub mod input;
pub mod knowledge;
pub mod meeting;
pub mod metrics;
pub mod notify;
pub mod process;
pub mod review;
pub mod similar;
pub mod sla;
pub mod time;
pub mod timeline;
pub mod tracker;

pub use action::{
    ActionItem, ActionKind, ActionStatus, Addresses, Criterion, Horizon, Priority, StatusChange,
    Verification,
};
pub use analysis::{
    Fishbone, FishboneCause, FiveWhys, FmeaRow, RootCause, RootCauseKind, Score, WhyStep,
};
pub use comms::{Communications, CustomerNotification, InternalSummary, Lesson, Point};
pub use document::{Findings, IncidentPatch, NewIncident, PostMortem};
pub use error::{FieldError, ValidationErrors};
pub use findings::{Area, Finding, FindingKind};
pub use incident::{
    AttackTechnique, Impact, IncidentKey, IncidentStatus, Lifecycle, Participant, PostmortemStatus,
    PostmortemType, Role, Severity, SeverityChange,
};
pub use review::{Acknowledgement, Review};
pub use timeline::{Fact, Phase, TimelineEntry};
