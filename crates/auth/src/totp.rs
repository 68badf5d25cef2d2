//! Time-based one-time passwords (RFC 6238) for the second factor.
//!
//! The parameters are the ones every authenticator app supports without
//! being told: HMAC-SHA-1, 6 digits, 30-second steps. Verification accepts
//! the previous and next step as well (RFC 6238 section 5.2) to absorb clock
//! drift and typing time, and reports which step matched so the caller can
//! store it and refuse the same step a second time (a code is single-use).
//!
//! The arithmetic is `totp-rs`; this module fixes the parameters, reads
//! user input leniently and keeps the secret out of logs.

use std::fmt;

use totp_rs::{Algorithm, Builder, Totp};

use crate::AuthError;

/// Digits in a code.
const DIGITS: u8 = 6;
/// Seconds per time step.
const STEP_SECS: u64 = 30;
/// Steps either side of the current one that are still accepted.
const SKEW_STEPS: u16 = 1;
/// Bytes in a generated secret: 160 bits, RFC 4226's recommendation.
const SECRET_BYTES: usize = 20;
/// RFC 4226's minimum for an imported secret: 128 bits.
const MIN_SECRET_BYTES: usize = 16;
/// Past this instant (year 292 billion) step arithmetic could overflow;
/// a clock that reads this is broken, and codes are simply refused.
const LATEST_SANE_TIME: u64 = u64::MAX / 2;

/// A user's TOTP shared secret.
///
/// `Debug` is redacted: whoever holds the secret can produce valid codes.
#[derive(Clone)]
pub struct TotpSecret {
    totp: Totp,
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(***)")
    }
}

impl TotpSecret {
    /// Builds the generator with debrief's fixed parameters.
    ///
    /// `build_noncompliant` skips `totp-rs`'s checks because they are made
    /// here: the parameters are constants within RFC limits, and callers
    /// guarantee a secret of at least 128 bits.
    fn from_bytes(secret: Vec<u8>) -> Self {
        let totp = Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS)
            .with_step_duration(STEP_SECS)
            .with_skew(SKEW_STEPS)
            .with_secret(secret)
            .build_noncompliant();
        Self { totp }
    }

    /// The secret as unpadded RFC 4648 base32, the form authenticator apps
    /// accept for manual entry and the form to store.
    pub fn base32(&self) -> String {
        self.totp.secret().to_base32()
    }

    /// An `otpauth://totp/…` URI for a QR code, labelled `issuer:account`.
    ///
    /// The Key URI format forbids `:` inside either part, so any colon is
    /// replaced by `-`; an empty account becomes `account`. Parameters that
    /// are the defaults (SHA-1, 6 digits, 30 s) are left out, which is what
    /// the widest range of apps understands.
    pub fn otpauth_url(&self, issuer: &str, account: &str) -> String {
        let issuer = issuer.trim().replace(':', "-");
        let account = account.trim().replace(':', "-");
        let account = if account.is_empty() {
            "account".to_owned()
        } else {
            account
        };
        let issuer = (!issuer.is_empty()).then_some(issuer);
        let with_label = Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS)
            .with_step_duration(STEP_SECS)
            .with_secret(self.totp.secret().clone())
            .with_issuer(issuer)
            .with_account_name(account)
            .build_noncompliant();
        // `to_url` only fails for an empty account name or one containing
        // a colon, both ruled out above.
        with_label.to_url().unwrap_or_default()
    }
}

/// A new random 160-bit secret for enrolling a user.
pub fn new_totp_secret() -> TotpSecret {
    TotpSecret::from_bytes(crate::random_bytes::<SECRET_BYTES>().to_vec())
}

/// Reads a stored or user-supplied base32 secret.
///
/// Lenient about presentation, as secrets are often copied from another
/// system: case, spaces, dashes and trailing `=` padding are ignored.
/// Refuses anything that is not base32 or is shorter than 128 bits.
pub fn totp_secret_from_base32(s: &str) -> Result<TotpSecret, AuthError> {
    let cleaned: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .trim_end_matches('=')
        .to_ascii_uppercase();
    if cleaned.is_empty()
        || !cleaned
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
    {
        return Err(AuthError::TotpSecretNotBase32);
    }
    let secret =
        totp_rs::Secret::try_from_base32(&cleaned).map_err(|_| AuthError::TotpSecretNotBase32)?;
    let bytes = secret.as_bytes().to_vec();
    if bytes.len() < MIN_SECRET_BYTES {
        return Err(AuthError::TotpSecretTooShort {
            bits: bytes.len() * 8,
        });
    }
    Ok(TotpSecret::from_bytes(bytes))
}

/// The 6-digit code for `unix_seconds`, as an authenticator app would show it.
///
/// For tests and the CLI; the server only ever verifies.
pub fn totp_code(secret: &TotpSecret, unix_seconds: u64) -> String {
    secret.totp.generate(unix_seconds).to_string()
}

/// Checks a code typed by the user at `unix_seconds`.
///
/// Returns the time step (`unix_seconds / 30` of the code's window) that
/// matched, trying the current step and one either side. The caller must
/// store the last accepted step per user and refuse a step that is not
/// greater, otherwise a code seen over someone's shoulder works twice.
///
/// Spaces anywhere are ignored (apps display `123 456`); anything else that
/// is not exactly six ASCII digits is `None`, as is a wrong code.
pub fn verify_totp(secret: &TotpSecret, code: &str, unix_seconds: u64) -> Option<u64> {
    if code.len() > 64 || unix_seconds > LATEST_SANE_TIME {
        return None;
    }
    let digits: String = code.chars().filter(|c| *c != ' ').collect();
    if digits.len() != usize::from(DIGITS) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    secret.totp.check(&digits, unix_seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret, the ASCII string "12345678901234567890".
    fn rfc_secret() -> TotpSecret {
        totp_secret_from_base32(&data_encoding::BASE32_NOPAD.encode(b"12345678901234567890"))
            .unwrap()
    }

    #[test]
    fn codes_match_the_rfc_6238_sha1_test_vectors() {
        let secret = rfc_secret();
        // Appendix B lists 8-digit values; a 6-digit code is their last six.
        for (time, rfc) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            let expected = &rfc[2..];
            assert_eq!(totp_code(&secret, time), expected, "t = {time}");
            assert_eq!(
                verify_totp(&secret, expected, time),
                Some(time / 30),
                "t = {time}"
            );
        }
    }

    #[test]
    fn a_code_from_one_step_either_side_is_accepted() {
        let secret = rfc_secret();
        let now = 1_234_567_890;
        let code = totp_code(&secret, now);
        let step = now / 30;
        assert_eq!(verify_totp(&secret, &code, now - 30), Some(step));
        assert_eq!(verify_totp(&secret, &code, now + 30), Some(step));
    }

    #[test]
    fn a_code_from_two_steps_away_is_refused() {
        let secret = rfc_secret();
        let now = 1_234_567_890;
        let code = totp_code(&secret, now);
        assert_eq!(verify_totp(&secret, &code, now - 60), None);
        assert_eq!(verify_totp(&secret, &code, now + 60), None);
    }

    #[test]
    fn the_matched_step_lets_a_caller_refuse_a_replay() {
        let secret = rfc_secret();
        let code = totp_code(&secret, 1_111_111_109);
        let first = verify_totp(&secret, &code, 1_111_111_109);
        let again = verify_totp(&secret, &code, 1_111_111_111);
        assert!(first.is_some());
        assert_eq!(
            first, again,
            "same step reported, so the store can refuse it"
        );
    }

    #[test]
    fn malformed_codes_are_refused() {
        let secret = rfc_secret();
        for code in [
            "",
            "28708",
            "2870822",
            "28708a",
            "+87082",
            "-87082",
            "２８７０８２",
            "287082\n",
            "0x1234",
            "287 08",
        ] {
            assert_eq!(verify_totp(&secret, code, 59), None, "{code:?}");
        }
        assert_eq!(verify_totp(&secret, &"1".repeat(10_000), 59), None);
    }

    #[test]
    fn spaces_in_a_code_are_ignored() {
        let secret = rfc_secret();
        assert_eq!(verify_totp(&secret, " 287 082 ", 59), Some(1));
    }

    #[test]
    fn a_wrong_code_is_refused() {
        let secret = rfc_secret();
        assert_eq!(verify_totp(&secret, "287083", 59), None);
    }

    #[test]
    fn an_absurd_clock_refuses_codes_without_panicking() {
        let secret = rfc_secret();
        let code = totp_code(&secret, u64::MAX);
        assert_eq!(verify_totp(&secret, &code, u64::MAX), None);
    }

    #[test]
    fn a_new_secret_is_160_bits_and_round_trips_through_base32() {
        let secret = new_totp_secret();
        let base32 = secret.base32();
        assert_eq!(base32.len(), 32);
        let again = totp_secret_from_base32(&base32).unwrap();
        assert_eq!(again.base32(), base32);
        assert_eq!(totp_code(&again, 1_000), totp_code(&secret, 1_000));
        assert_ne!(new_totp_secret().base32(), base32);
    }

    #[test]
    fn base32_input_is_read_leniently() {
        let secret = rfc_secret();
        let shown = secret.base32().to_lowercase();
        let spaced: Vec<String> = shown
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        let again = totp_secret_from_base32(&format!(" {}== ", spaced.join(" "))).unwrap();
        assert_eq!(again.base32(), secret.base32());
    }

    #[test]
    fn invalid_or_short_base32_secrets_are_refused() {
        assert_eq!(
            totp_secret_from_base32("not base32!").unwrap_err(),
            AuthError::TotpSecretNotBase32
        );
        assert_eq!(
            totp_secret_from_base32("").unwrap_err(),
            AuthError::TotpSecretNotBase32
        );
        assert_eq!(
            totp_secret_from_base32("GEZDGNBVGY3TQOJQ").unwrap_err(),
            AuthError::TotpSecretTooShort { bits: 80 }
        );
    }

    #[test]
    fn the_otpauth_url_carries_issuer_account_and_secret() {
        let secret = rfc_secret();
        let url = secret.otpauth_url("debrief", "alice@example.com");
        assert_eq!(
            url,
            format!(
                "otpauth://totp/debrief:alice%40example.com?secret={}&issuer=debrief",
                secret.base32()
            )
        );
    }

    #[test]
    fn colons_in_the_otpauth_label_are_replaced() {
        let url = rfc_secret().otpauth_url("ACME: debrief", "a:b");
        assert!(
            url.starts_with("otpauth://totp/ACME-%20debrief:a-b?"),
            "{url}"
        );
        let url = rfc_secret().otpauth_url("", "");
        assert!(url.starts_with("otpauth://totp/account?secret="), "{url}");
    }

    #[test]
    fn totp_secret_debug_never_shows_the_secret() {
        let secret = rfc_secret();
        let debug = format!("{secret:?}");
        assert_eq!(debug, "TotpSecret(***)");
        assert!(!debug.contains(&secret.base32()));
    }
}
