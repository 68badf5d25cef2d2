//! Renders debrief post-mortems for people.
//!
//! The domain crate holds a post-mortem as one [`PostMortem`] document; this
//! crate turns it into something a person reads. Today that is Markdown, in
//! the order and wording of the seed's worked example (INC-2025-1128): facts,
//! summary and impact, the timeline with what was known when, root-cause
//! analysis, what went well and wrong, action items, communications and
//! lessons. [`svg`] draws an incident's fishbone and timeline, and [`charts`]
//! the metrics dashboard's charts. HTML and PDF come later and will render
//! the same document.
//!
//! Every renderer here is a pure function of the document: no clock, no IO,
//! so the same post-mortem always renders to the same bytes.
//!
//! [`PostMortem`]: debrief_core::PostMortem

pub mod agenda;
pub mod calendar;
pub mod charts;
pub mod markdown;
pub mod svg;

pub use markdown::{duration_words, markdown, thousands};
