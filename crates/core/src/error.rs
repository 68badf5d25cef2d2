//! Validation errors that name the field and the problem.
//!
//! Every rule in this crate reports a [`FieldError`] whose `field` is a path
//! into the JSON document a user sent (`timeline[2].occurred_at`), so that
//! an API client, the CLI and the web form can all point at the exact input
//! that was wrong.

use serde::Serialize;

/// One problem with one field of the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Path of the field in the submitted document, e.g. `fmea[0].severity`.
    pub field: String,
    /// What is wrong with it, in words a user can act on.
    pub message: String,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// All the problems found in one input. Empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.summary())]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    /// Records a problem.
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Returns `Ok(())` when no problem was recorded.
    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }

    /// A one-line description: the first problem, and how many more.
    pub fn summary(&self) -> String {
        match self.0.as_slice() {
            [] => "no problems".to_owned(),
            [one] => format!("{}: {}", one.field, one.message),
            [first, rest @ ..] => format!(
                "{}: {} (and {} more)",
                first.field,
                first.message,
                rest.len()
            ),
        }
    }

    /// Prefixes every field path, for rules nested inside a larger document.
    pub fn nest(self, prefix: &str) -> Self {
        Self(
            self.0
                .into_iter()
                .map(|e| FieldError::new(join_path(prefix, &e.field), e.message))
                .collect(),
        )
    }
}

/// Joins a parent path and a child path the way serde_path_to_error does.
pub fn join_path(prefix: &str, field: &str) -> String {
    match (prefix.is_empty(), field.is_empty(), field.starts_with('[')) {
        (true, _, _) => field.to_owned(),
        (_, true, _) => prefix.to_owned(),
        (_, _, true) => format!("{prefix}{field}"),
        _ => format!("{prefix}.{field}"),
    }
}

impl From<FieldError> for ValidationErrors {
    fn from(e: FieldError) -> Self {
        Self(vec![e])
    }
}
