//! `fmea_rows`: FMEA rows. The RPN is never stored: it is computed from the
//! scores on every read, so it can never be stale.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "fmea_rows")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub incident_id: Uuid,
    pub position: i32,
    pub failure_mode: String,
    pub effect: String,
    pub cause: String,
    pub severity: i32,
    pub occurrence: i32,
    pub detection: i32,
    pub current_controls: String,
    pub recommended_action: String,
    pub severity_after: Option<i32>,
    pub occurrence_after: Option<i32>,
    pub detection_after: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
