//! Serde helpers for times and dates with error messages a user can act on.
//!
//! Every instant debrief stores is in UTC, but a user may write it in any
//! time zone. An instant without a time zone is refused: "02:15" means
//! nothing in an incident that spans offices.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// Parses an RFC 3339 instant that carries a time zone, converting it to UTC.
pub fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
    match DateTime::parse_from_rfc3339(s) {
        Ok(t) => Ok(t.with_timezone(&Utc)),
        Err(_) => {
            // Tell apart "no time zone" from "not a time at all": the first
            // is the common mistake and deserves its own message.
            let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"));
            if naive.is_ok() {
                Err(format!(
                    "`{s}` has no time zone; write it as RFC 3339 with an offset, e.g. `{s}Z` or `{s}+01:00`"
                ))
            } else {
                Err(format!(
                    "`{s}` is not a time; expected RFC 3339 such as `2025-11-28T02:15:00Z`"
                ))
            }
        }
    }
}

/// Parses a calendar date written as `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date; expected YYYY-MM-DD such as `2025-11-30`"))
}

/// Formats an instant the one way debrief writes instants: RFC 3339 in UTC,
/// seconds precision unless the instant has sub-second digits.
pub fn format_instant(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// `#[serde(with = "utc")]` for `DateTime<Utc>` fields.
pub mod utc {
    use super::*;

    /// Writes RFC 3339 in UTC.
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_instant(t))
    }

    /// Reads RFC 3339 with a mandatory time zone.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        parse_instant(&s).map_err(serde::de::Error::custom)
    }
}

/// `#[serde(with = "utc_opt")]` for `Option<DateTime<Utc>>` fields.
pub mod utc_opt {
    use super::*;

    /// Writes RFC 3339 in UTC, or null.
    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format_instant(t)),
            None => s.serialize_none(),
        }
    }

    /// Reads RFC 3339 with a mandatory time zone, or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(s) => parse_instant(&s)
                .map(Some)
                .map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

/// `#[serde(with = "date")]` for `NaiveDate` fields.
pub mod date {
    use super::*;

    /// Writes `YYYY-MM-DD`.
    pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&d.format("%Y-%m-%d"))
    }

    /// Reads `YYYY-MM-DD`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let s = String::deserialize(d)?;
        parse_date(&s).map_err(serde::de::Error::custom)
    }
}

/// `#[serde(with = "date_opt")]` for `Option<NaiveDate>` fields.
pub mod date_opt {
    use super::*;

    /// Writes `YYYY-MM-DD`, or null.
    pub fn serialize<S: Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.collect_str(&d.format("%Y-%m-%d")),
            None => s.serialize_none(),
        }
    }

    /// Reads `YYYY-MM-DD`, or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(s) => parse_date(&s).map(Some).map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_without_a_time_zone_is_refused_with_a_hint() {
        let err = parse_instant("2025-11-28T02:15:00").unwrap_err();
        assert!(err.contains("no time zone"), "{err}");
    }

    #[test]
    fn an_instant_with_an_offset_is_stored_in_utc() {
        let t = parse_instant("2025-11-28T03:15:00+01:00").unwrap();
        assert_eq!(format_instant(&t), "2025-11-28T02:15:00Z");
    }

    #[test]
    fn a_bad_date_is_refused() {
        assert!(parse_date("2025-13-40").is_err());
        assert_eq!(parse_date("2025-11-30").unwrap().to_string(), "2025-11-30");
    }
}
