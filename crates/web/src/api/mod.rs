//! REST handlers, one module per resource. Routes live in `crate::routes`.

pub mod categories;
pub mod health;
pub mod incidents;
pub mod sections;
