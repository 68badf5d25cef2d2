//! REST handlers, one module per resource. Routes and their access
//! policies live in `crate::routes`.

pub mod access;
pub mod actions;
pub mod audit;
pub mod auth;
pub mod categories;
pub mod feeds;
pub mod health;
pub mod incidents;
pub mod knowledge;
pub mod metrics;
pub mod review;
pub mod search;
pub mod sections;
pub mod tokens;
pub mod tracker;
pub mod users;
pub mod webhooks;
