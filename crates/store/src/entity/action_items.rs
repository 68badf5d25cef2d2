//! `action_items`: action items, numbered within their incident. The horizon
//! is never stored: it is derived from the due date and the detection time.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "action_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub incident_id: Uuid,
    pub number: i32,
    pub title: String,
    pub description: String,
    pub owner: Option<String>,
    pub team: Option<String>,
    pub due: Option<Date>,
    pub priority: String,
    pub kind: Option<String>,
    pub success_criteria: Json,
    pub status: String,
    pub status_history: Json,
    pub verification: Option<Json>,
    pub addresses: Json,
    pub external_ref: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
