//! sea-orm entities, one file per table.
//!
//! They mirror the schema the migrations create (the migrations do not read
//! them: a migration is frozen once it ships, an entity follows the latest
//! schema). Enumerations are stored as their core `as_str()` text, and small
//! nested lists as JSON; `src/convert.rs` turns rows into core types and back.

#![allow(missing_docs)] // columns are documented on the core types they store

pub mod action_events;
pub mod action_items;
pub mod api_tokens;
pub mod audit_log;
pub mod backup_codes;
pub mod calendar_feeds;
pub mod categories;
pub mod findings;
pub mod fishbone_causes;
pub mod five_whys;
pub mod fmea_rows;
pub mod incident_members;
pub mod incidents;
pub mod knowledge_notes;
pub mod lessons;
pub mod login_throttle;
pub mod notifications;
pub mod root_causes;
pub mod sessions;
pub mod settings;
pub mod timeline_entries;
pub mod users;
pub mod webhook_attempts;
pub mod webhook_deliveries;
pub mod webhooks;
