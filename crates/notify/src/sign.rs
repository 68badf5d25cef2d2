//! HMAC-SHA256 signing of deliveries, and the check a receiver makes.
//!
//! The signed message is `timestamp + "." + body`: binding the timestamp
//! into the MAC lets a receiver refuse replays of an old delivery, and
//! signing the raw body (not a re-serialization) means the receiver checks
//! exactly the bytes it got.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Header naming the event kind.
pub const EVENT_HEADER: &str = "X-Debrief-Event";
/// Header carrying the delivery id.
pub const DELIVERY_HEADER: &str = "X-Debrief-Delivery";
/// Header carrying the Unix time of the signature.
pub const TIMESTAMP_HEADER: &str = "X-Debrief-Timestamp";
/// Header carrying `sha256=<hex>`.
pub const SIGNATURE_HEADER: &str = "X-Debrief-Signature";

type HmacSha256 = Hmac<Sha256>;

/// The MAC over `timestamp.body`; `None` only if HMAC refused the key,
/// which it never does (HMAC takes keys of any length).
fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Option<HmacSha256> {
    let mut m = <HmacSha256 as KeyInit>::new_from_slice(secret).ok()?;
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    Some(m)
}

/// The `X-Debrief-Signature` value of `body` signed at `timestamp`:
/// `sha256=` and the lower-case hex of `HMAC-SHA256(secret, timestamp + "." + body)`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let tag = mac(secret.as_bytes(), timestamp, body)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default();
    format!("sha256={tag}")
}

/// Whether `header` is a valid signature of `body` at `timestamp` for
/// `secret`, and `timestamp` lies within `tolerance_secs` of `now` (Unix
/// seconds). The comparison is constant-time.
pub fn verify(
    secret: &str,
    timestamp: i64,
    body: &[u8],
    header: &str,
    now: i64,
    tolerance_secs: i64,
) -> bool {
    if (now - timestamp).abs() > tolerance_secs {
        return false;
    }
    let Some(given) = header
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
    else {
        return false;
    };
    mac(secret.as_bytes(), timestamp, body).is_some_and(|m| m.verify_slice(&given).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_any_change_breaks_it() {
        let sig = signature("s3cret-s3cret-s3cret", 1_700_000_000, b"{\"a\":1}");
        assert!(sig.starts_with("sha256="));
        assert_eq!(sig.len(), 7 + 64);
        assert!(verify(
            "s3cret-s3cret-s3cret",
            1_700_000_000,
            b"{\"a\":1}",
            &sig,
            1_700_000_010,
            300
        ));
        assert!(!verify(
            "other-secret-value",
            1_700_000_000,
            b"{\"a\":1}",
            &sig,
            1_700_000_010,
            300
        ));
        assert!(!verify(
            "s3cret-s3cret-s3cret",
            1_700_000_000,
            b"{\"a\":2}",
            &sig,
            1_700_000_010,
            300
        ));
        assert!(!verify(
            "s3cret-s3cret-s3cret",
            1_700_000_001,
            b"{\"a\":1}",
            &sig,
            1_700_000_010,
            300
        ));
        assert!(
            !verify(
                "s3cret-s3cret-s3cret",
                1_700_000_000,
                b"{\"a\":1}",
                &sig,
                1_700_009_000,
                300
            ),
            "a replay is refused"
        );
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Computed independently: HMAC-SHA256(key="key", "42.body").
        assert_eq!(
            signature("key", 42, b"body"),
            "sha256=b62a8bcafebc3dda9022b563e771f54e72a1eef3fd12e7bd2713899387cc26f8"
        );
    }
}
