//! Items of sections.

use chrono::{DateTime, Utc};
use sea_orm::DbErr;
use uuid::Uuid;

use crate::{Communications, IncidentKey, PostMortem, Section, SectionItem, Store, StoreError, TimelineEntry};

fn todo_err() -> StoreError {
    StoreError::Database(DbErr::Custom("not implemented yet".into()))
}

impl Store {
    /// Adds an item.
    pub async fn add_item(&self, key: &IncidentKey, item: SectionItem, expected: Option<i64>, now: DateTime<Utc>) -> Result<(PostMortem, Uuid), StoreError> {
        let _ = (key, item, expected, now);
        Err(todo_err())
    }
    /// Replaces an item.
    pub async fn update_item(&self, key: &IncidentKey, id: Uuid, item: SectionItem, expected: Option<i64>, now: DateTime<Utc>) -> Result<PostMortem, StoreError> {
        let _ = (key, id, item, expected, now);
        Err(todo_err())
    }
    /// Deletes an item.
    pub async fn delete_item(&self, key: &IncidentKey, section: Section, id: Uuid, expected: Option<i64>) -> Result<PostMortem, StoreError> {
        let _ = (key, section, id, expected);
        Err(todo_err())
    }
    /// Reorders a section.
    pub async fn reorder(&self, key: &IncidentKey, section: Section, ids: Vec<Uuid>, expected: Option<i64>) -> Result<PostMortem, StoreError> {
        let _ = (key, section, ids, expected);
        Err(todo_err())
    }
    /// Sets the fishbone frame.
    pub async fn set_fishbone_frame(&self, key: &IncidentKey, effect: Option<String>, categories: Vec<String>, expected: Option<i64>, now: DateTime<Utc>) -> Result<PostMortem, StoreError> {
        let _ = (key, effect, categories, expected, now);
        Err(todo_err())
    }
    /// Sets the communications.
    pub async fn set_communications(&self, key: &IncidentKey, comms: Communications, expected: Option<i64>, now: DateTime<Utc>) -> Result<PostMortem, StoreError> {
        let _ = (key, comms, expected, now);
        Err(todo_err())
    }
    /// Appends timeline entries in bulk.
    pub async fn append_timeline(&self, key: &IncidentKey, entries: Vec<TimelineEntry>, expected: Option<i64>, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let _ = (key, entries, expected, now);
        Err(todo_err())
    }
}
