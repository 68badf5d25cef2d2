//! Whole incidents: create, read, list, patch, delete, import.

use chrono::{DateTime, Utc};
use sea_orm::DbErr;

use crate::{IncidentFilter, IncidentKey, IncidentPatch, IncidentSummary, NewIncident, Page, PostMortem, Store, StoreError};

fn todo_err() -> StoreError {
    StoreError::Database(DbErr::Custom("not implemented yet".into()))
}

impl Store {
    /// Creates an incident.
    pub async fn create_incident(&self, input: NewIncident, now: DateTime<Utc>) -> Result<PostMortem, StoreError> {
        let _ = (input, now);
        Err(todo_err())
    }
    /// The whole document.
    pub async fn get(&self, key: &IncidentKey) -> Result<PostMortem, StoreError> {
        let _ = key;
        Err(todo_err())
    }
    /// One page of incidents.
    pub async fn list(&self, filter: &IncidentFilter) -> Result<Page<IncidentSummary>, StoreError> {
        let _ = filter;
        Err(todo_err())
    }
    /// Changes the header.
    pub async fn patch_incident(&self, key: &IncidentKey, patch: IncidentPatch, expected: Option<i64>, now: DateTime<Utc>) -> Result<PostMortem, StoreError> {
        let _ = (key, patch, expected, now);
        Err(todo_err())
    }
    /// Deletes an incident.
    pub async fn delete_incident(&self, key: &IncidentKey, expected: Option<i64>) -> Result<(), StoreError> {
        let _ = (key, expected);
        Err(todo_err())
    }
    /// Imports a document.
    pub async fn import(&self, doc: PostMortem, replace: bool, now: DateTime<Utc>) -> Result<PostMortem, StoreError> {
        let _ = (doc, replace, now);
        Err(todo_err())
    }
    /// All keys.
    pub async fn keys(&self) -> Result<Vec<IncidentKey>, StoreError> {
        Err(todo_err())
    }
}
