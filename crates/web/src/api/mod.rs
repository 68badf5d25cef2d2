//! REST handlers, one module per resource. Routes and their access
//! policies live in `crate::routes`.

pub mod access;
pub mod audit;
pub mod auth;
pub mod categories;
pub mod health;
pub mod incidents;
pub mod metrics;
pub mod review;
pub mod sections;
pub mod tokens;
pub mod users;
