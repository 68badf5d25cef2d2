//! `incidents`: the header of each post-mortem, one row per incident.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "incidents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub key: String,
    pub title: String,
    pub summary: String,
    pub category: Option<String>,
    pub types: Json,
    pub severity: String,
    pub severity_history: Json,
    pub status: String,
    pub postmortem_status: String,
    pub first_activity_at: Option<DateTimeUtc>,
    pub detected_at: Option<DateTimeUtc>,
    pub responded_at: Option<DateTimeUtc>,
    pub escalated_at: Option<DateTimeUtc>,
    pub contained_at: Option<DateTimeUtc>,
    pub recovered_at: Option<DateTimeUtc>,
    pub resolved_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub impact: Json,
    pub attack_vectors: Json,
    pub attack_techniques: Json,
    pub patient_zero: Option<String>,
    pub participants: Json,
    pub repeat_of: Option<String>,
    pub related: Json,
    pub fishbone_effect: Option<String>,
    pub fishbone_categories: Json,
    pub communications: Json,
    pub review: Json,
    pub version: i64,
    pub restricted: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
