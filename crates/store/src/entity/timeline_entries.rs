//! `timeline_entries`: the reconstructed timeline, read in
//! (`occurred_at`, `position`) order.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "timeline_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub incident_id: Uuid,
    pub position: i32,
    pub occurred_at: DateTimeUtc,
    pub learned_at: Option<DateTimeUtc>,
    pub phase: String,
    pub title: String,
    pub details: Json,
    pub we_knew: Option<String>,
    pub we_didnt_know: Option<String>,
    pub decision: Option<String>,
    pub action_taken: Option<String>,
    pub facts: Json,
    pub source: Option<String>,
    pub tags: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
