//! Random bearer secrets: API tokens, session tokens and the first-start
//! setup token.
//!
//! Each is generated here, shown to its owner once, and stored only as
//! [`token_hash`]. A database leak then yields hashes, not credentials.
//!
//! Shapes (base64url without padding, so they survive URLs, headers and
//! shells unquoted):
//! - API token: `dbf_` + 32 random bytes (47 characters). The prefix lets
//!   secret scanners and humans recognise a leaked debrief token.
//! - Session token: 32 random bytes (43 characters), lives in a cookie.
//! - Setup token: `dbs_` + 24 random bytes (36 characters), printed in the
//!   server log at first start so only whoever can read that log can create
//!   the first administrator.

use std::fmt;

use data_encoding::BASE64URL_NOPAD;
use subtle::ConstantTimeEq as _;

/// Prefix of every API token.
pub const API_TOKEN_PREFIX: &str = "dbf_";

/// Prefix of the one-time setup token.
pub const SETUP_TOKEN_PREFIX: &str = "dbs_";

/// Random bytes in an API or session token: 256 bits, beyond brute force.
const TOKEN_BYTES: usize = 32;

/// Random bytes in the setup token: 192 bits; it lives for minutes, but is
/// still far out of reach of guessing.
const SETUP_TOKEN_BYTES: usize = 24;

/// Length of `n` bytes in unpadded base64: four characters per three bytes,
/// rounded up.
const fn base64_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

/// Total length of a well-formed API token.
const API_TOKEN_LEN: usize = API_TOKEN_PREFIX.len() + base64_len(TOKEN_BYTES);

/// A secret value that must never reach a log.
///
/// `Debug` prints `Secret(***)`, and there is no `Display`, so
/// `tracing::info!(?token)` or `{:?}` in an error message cannot leak it.
/// Read the value deliberately with [`Secret::expose`].
// No PartialEq: comparing secrets with `==` would not be constant-time;
// use [`constant_time_eq`] on the exposed values.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value that should be treated as secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that shows or sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// `N` random bytes as unpadded base64url.
fn random_b64<const N: usize>() -> String {
    BASE64URL_NOPAD.encode(&crate::random_bytes::<N>())
}

/// A new API token: `dbf_` followed by 32 random bytes in base64url.
pub fn new_api_token() -> Secret {
    Secret(format!("{API_TOKEN_PREFIX}{}", random_b64::<TOKEN_BYTES>()))
}

/// A new session token: 32 random bytes in base64url.
pub fn new_session_token() -> Secret {
    Secret(random_b64::<TOKEN_BYTES>())
}

/// A new one-time setup token for the first start: `dbs_` followed by 24
/// random bytes in base64url.
pub fn new_setup_token() -> Secret {
    Secret(format!(
        "{SETUP_TOKEN_PREFIX}{}",
        random_b64::<SETUP_TOKEN_BYTES>()
    ))
}

/// The value stored for a token and used to look it up: lower-case hex
/// SHA-256 of the whole token string, prefix included.
///
/// A fast hash is right here, unlike for passwords. Passwords are chosen by
/// people and can be guessed, so their hash must make each guess expensive.
/// These tokens carry 192 to 256 bits from the OS generator: no amount of
/// hashing speed makes guessing them feasible. And a deterministic, unsalted
/// hash is what lets the database find the row by an indexed equality
/// lookup on every request without a per-request argon2 cost.
pub fn token_hash(token: &str) -> String {
    crate::sha256_hex(token.as_bytes())
}

/// Whether `s` has the shape of an API token: the `dbf_` prefix, the exact
/// length and base64url that decodes to 32 bytes.
///
/// Run it before any database lookup, so garbage in an `Authorization`
/// header costs no query and is answered like any other bad token.
pub fn looks_like_api_token(s: &str) -> bool {
    let Some(body) = s.strip_prefix(API_TOKEN_PREFIX) else {
        return false;
    };
    s.len() == API_TOKEN_LEN
        && BASE64URL_NOPAD
            .decode(body.as_bytes())
            .is_ok_and(|bytes| bytes.len() == TOKEN_BYTES)
}

/// Compares two strings in time that does not depend on where they differ.
///
/// Use it wherever a secret is compared directly (for instance the setup
/// token) so response timing reveals nothing about how much of a guess was
/// right. Strings of different lengths compare unequal at once; the length
/// of a fixed-shape token is no secret.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_base64url(s: &str) -> bool {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }

    #[test]
    fn an_api_token_is_the_prefix_and_43_base64url_characters() {
        let token = new_api_token();
        let token = token.expose();
        assert_eq!(token.len(), 47);
        let body = token.strip_prefix("dbf_").unwrap();
        assert_eq!(body.len(), 43);
        assert!(is_base64url(body));
        assert!(looks_like_api_token(token));
    }

    #[test]
    fn a_session_token_is_43_base64url_characters() {
        let token = new_session_token();
        assert_eq!(token.expose().len(), 43);
        assert!(is_base64url(token.expose()));
        assert!(!looks_like_api_token(token.expose()));
    }

    #[test]
    fn a_setup_token_is_its_prefix_and_32_base64url_characters() {
        let token = new_setup_token();
        let body = token.expose().strip_prefix("dbs_").unwrap();
        assert_eq!(body.len(), 32);
        assert!(is_base64url(body));
        assert!(!looks_like_api_token(token.expose()));
    }

    #[test]
    fn two_tokens_are_never_the_same() {
        assert_ne!(new_api_token().expose(), new_api_token().expose());
        assert_ne!(new_session_token().expose(), new_session_token().expose());
        assert_ne!(new_setup_token().expose(), new_setup_token().expose());
    }

    #[test]
    fn malformed_api_tokens_are_recognised_without_a_lookup() {
        let good = new_api_token().expose().to_owned();
        let body = &good[4..];
        let bad = [
            String::new(),
            "dbf_".to_owned(),
            format!("dbx_{body}"),
            format!("DBF_{body}"),
            format!("dbf_{}", &body[1..]),
            format!("{good}A"),
            format!("dbf_{}+", &body[1..]),
            format!("dbf_{}=", &body[1..]),
            format!("dbf_{}é", &body[2..]),
            format!(" {good}"),
        ];
        for token in &bad {
            assert!(!looks_like_api_token(token), "{token:?}");
        }
    }

    #[test]
    fn an_api_token_with_non_canonical_trailing_bits_is_refused() {
        // 43 characters encode 258 bits; the last 2 must be zero for 32 bytes.
        let token = format!("dbf_{}", "A".repeat(42) + "B");
        assert!(!looks_like_api_token(&token));
        let token = format!("dbf_{}", "A".repeat(42) + "E");
        assert!(looks_like_api_token(&token));
    }

    #[test]
    fn a_token_hash_is_64_hex_digits_and_stable() {
        let hash = token_hash("dbf_example");
        assert_eq!(hash.len(), 64);
        assert!(
            hash.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(hash, token_hash("dbf_example"));
        assert_ne!(hash, token_hash("dbf_examplf"));
    }

    #[test]
    fn secret_debug_never_shows_the_value() {
        let token = new_api_token();
        let debug = format!("{token:?}");
        assert_eq!(debug, "Secret(***)");
        assert!(!debug.contains(token.expose()));
        let nested = format!("{:?}", Some(vec![Secret::new("hunter2hunter2")]));
        assert!(!nested.contains("hunter2"));
    }

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq("dbs_abc", "dbs_abc"));
        assert!(!constant_time_eq("dbs_abc", "dbs_abd"));
        assert!(!constant_time_eq("dbs_abc", "dbs_ab"));
        assert!(constant_time_eq("", ""));
    }
}
