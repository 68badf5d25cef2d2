//! Reading user input into domain types, with errors that name the field.
//!
//! serde alone reports "missing field `title` at line 1 column 40"; a person
//! fixing a form or a script needs `timeline[3].occurred_at` instead. Every
//! JSON document that enters debrief, through the API or the CLI, is read
//! here.

use serde::de::DeserializeOwned;

use crate::error::{FieldError, join_path};

/// Why a JSON input could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// Not JSON at all (syntax error, truncated, empty).
    #[error("malformed JSON at line {line}, column {column}: {message}")]
    Malformed {
        /// Line of the error, from 1.
        line: usize,
        /// Column of the error, from 1.
        column: usize,
        /// The parser's description.
        message: String,
    },
    /// Valid JSON whose content does not fit: names the field.
    #[error("{}: {}", .0.field, .0.message)]
    Field(FieldError),
}

/// Reads `T` from JSON bytes.
pub fn from_json_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, InputError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        classify(path, e.into_inner())
    })?;
    // Trailing garbage after a valid document is malformed input too.
    de.end().map_err(|e| classify(String::new(), e))?;
    Ok(value)
}

fn classify(path: String, inner: serde_json::Error) -> InputError {
    {
        if inner.is_syntax() || inner.is_eof() || inner.is_io() {
            return InputError::Malformed {
                line: inner.line(),
                column: inner.column(),
                message: strip_position(&inner.to_string()),
            };
        }
        let message = strip_position(&inner.to_string());
        let base = if path == "." { String::new() } else { path };
        // serde points a missing field at the object that should hold it;
        // point at the field itself. (An unknown field's path already ends
        // with its name.)
        let field = named_field(&message, "missing field `")
            .map_or_else(|| base.clone(), |f| join_path(&base, &f));
        InputError::Field(FieldError::new(
            if field.is_empty() {
                "(document)".to_owned()
            } else {
                field
            },
            message,
        ))
    }
}

fn named_field(message: &str, prefix: &str) -> Option<String> {
    let rest = message.strip_prefix(prefix)?;
    rest.split_once('`').map(|(name, _)| name.to_owned())
}

/// serde_json appends " at line L column C"; the field path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PostMortem;

    fn field_of(json: &str) -> String {
        match from_json_slice::<PostMortem>(json.as_bytes()) {
            Err(InputError::Field(f)) => f.field,
            other => format!("{other:?}"),
        }
    }

    const HEAD: &str =
        r#""key":"INC-2025-0001","severity":"low","status":"open","postmortem_status":"draft""#;

    #[test]
    fn a_missing_field_is_named() {
        assert_eq!(field_of(&format!("{{{HEAD}}}")), "title");
    }

    #[test]
    fn an_unknown_field_is_named_with_its_path() {
        let j = format!(r#"{{{HEAD},"title":"t","lifecycle":{{"detected_when":"x"}}}}"#);
        assert_eq!(field_of(&j), "lifecycle.detected_when");
    }

    #[test]
    fn a_time_without_zone_is_named_and_explained() {
        let j = format!(
            r#"{{{HEAD},"title":"t","timeline":[{{"occurred_at":"2025-11-28T02:15:00","phase":"detection","title":"x"}}]}}"#
        );
        let err = from_json_slice::<PostMortem>(j.as_bytes()).unwrap_err();
        let InputError::Field(f) = err else {
            panic!("{err:?}")
        };
        assert_eq!(f.field, "timeline[0].occurred_at");
        assert!(f.message.contains("no time zone"), "{}", f.message);
    }

    #[test]
    fn an_fmea_score_out_of_range_is_named() {
        let j = format!(
            r#"{{{HEAD},"title":"t","fmea":[{{"failure_mode":"x","severity":11,"occurrence":1,"detection":1}}]}}"#
        );
        assert_eq!(field_of(&j), "fmea[0].severity");
    }

    #[test]
    fn malformed_json_reports_its_position() {
        let err = from_json_slice::<PostMortem>(b"{\"key\": ").unwrap_err();
        assert!(
            matches!(err, InputError::Malformed { line: 1, .. }),
            "{err:?}"
        );
    }
}
