//! Password policy and hashing.
//!
//! The policy follows NIST SP 800-63B: a minimum length and a check against
//! passwords known from breaches, and nothing else. There are no composition
//! rules (they push people to `Password1!`), no truncation (every character
//! counts) and a generous maximum that only exists so a megabyte of input is
//! refused with a message instead of being fed to the hash.
//!
//! Passwords are hashed with argon2id through `password-auth`, which picks
//! the OWASP-recommended parameters and a random salt and produces a PHC
//! string (`$argon2id$v=19$m=19456,t=2,p=1$…`) that carries both, so the
//! parameters can be raised later without a migration (see
//! [`password_needs_rehash`]).
//!
//! Every function here first normalises the password to Unicode NFC
//! (RFC 8265, as 800-63B recommends): `é` typed as one code point on one
//! keyboard and as `e` + combining accent on another must be the same
//! password.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

use unicode_normalization::{UnicodeNormalization as _, is_nfc};

/// Fewest characters a new password may have.
///
/// Length is what makes a password hard to guess; 15 is the 800-63B-4
/// minimum for a password used as the only factor.
pub const MIN_PASSWORD_CHARS: usize = 15;

/// Most characters a new password may have.
///
/// Far above the 64 that 800-63B asks verifiers to accept, so pass-phrases
/// and password-manager output always fit, yet small enough that an absurd
/// input is refused before it costs any hashing.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// A UTF-8 character is at most four bytes, so anything longer than this is
/// over [`MAX_PASSWORD_CHARS`] without counting (or normalising) a thing.
const MAX_PASSWORD_BYTES: usize = MAX_PASSWORD_CHARS * 4;

/// The bundled list: lower-cased passwords seen in breaches, one per line
/// (see `data/README.md` for its origin and licence).
static BREACHED: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .filter(|line| !line.is_empty())
        .collect()
});

/// An argon2id hash, made with `password-auth`'s default parameters, of a
/// random password that was thrown away. [`dummy_verify`] checks against it
/// so an unknown user name costs a full hash, just like a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$NrXlm0XjHXOz723ql5+fuw$cg87Ztyhgvf2AkVBJfIYotQ/0u9jDOp9bJL9prn6BqQ";

/// Why a proposed password is refused.
///
/// The `Display` text is written for the person choosing the password and
/// can be shown as is; [`PasswordProblem::code`] gives a stable identifier
/// for API clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    /// Fewer characters than the minimum.
    #[error(
        "Use at least {min} characters; this password has {got}. A few unrelated words make a long password that is easy to remember."
    )]
    TooShort {
        /// The minimum, [`MIN_PASSWORD_CHARS`].
        min: usize,
        /// How many characters the password has.
        got: usize,
    },
    /// More characters than the maximum.
    #[error("Use at most {max} characters.")]
    TooLong {
        /// The maximum, [`MAX_PASSWORD_CHARS`].
        max: usize,
    },
    /// Contains NUL, a line break, a tab or another control character:
    /// they cannot be typed reliably and some systems cut the password at
    /// the first one.
    #[error("Passwords cannot contain control characters such as line breaks, tabs or NUL.")]
    ControlCharacters,
    /// Found in the bundled list of passwords known from breaches.
    #[error(
        "This password appears in lists of breached passwords that attackers try first. Choose a different one."
    )]
    Breached,
    /// The password is the user name.
    #[error("The password cannot be the same as the user name.")]
    SameAsUsername,
}

impl PasswordProblem {
    /// A stable, machine-readable identifier (`too_short`, `too_long`,
    /// `control_characters`, `breached`, `same_as_username`) so clients can
    /// react without parsing the message.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "too_short",
            Self::TooLong { .. } => "too_long",
            Self::ControlCharacters => "control_characters",
            Self::Breached => "breached",
            Self::SameAsUsername => "same_as_username",
        }
    }
}

/// NFC form of `s`, borrowed when it is already normalised (the usual case).
fn nfc(s: &str) -> Cow<'_, str> {
    if is_nfc(s) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.nfc().collect())
    }
}

/// Checks a new password against the policy.
///
/// Counts characters, not bytes, and never truncates. Refuses control
/// characters, a password found (case-insensitively) in the breached list,
/// and one equal to `username` ignoring case. Call this before
/// [`hash_password`] whenever a password is set or changed; it never hashes,
/// so an over-long input is refused cheaply.
pub fn check_password(password: &str, username: &str) -> Result<(), PasswordProblem> {
    let too_long = PasswordProblem::TooLong {
        max: MAX_PASSWORD_CHARS,
    };
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(too_long);
    }
    let password = nfc(password);
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordProblem::TooShort {
            min: MIN_PASSWORD_CHARS,
            got: chars,
        });
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(too_long);
    }
    if password.chars().any(char::is_control) {
        return Err(PasswordProblem::ControlCharacters);
    }
    let lowered = password.to_lowercase();
    if BREACHED.contains(lowered.as_str()) {
        return Err(PasswordProblem::Breached);
    }
    let username = username.trim();
    if !username.is_empty() && lowered == nfc(username).to_lowercase() {
        return Err(PasswordProblem::SameAsUsername);
    }
    Ok(())
}

/// Whether the password, compared case-insensitively, is in the bundled list
/// of breached passwords.
pub fn is_breached(password: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        // No entry in the list is anywhere near this long.
        return false;
    }
    BREACHED.contains(nfc(password).to_lowercase().as_str())
}

/// Number of entries in the bundled breached-password list.
pub fn breached_list_len() -> usize {
    BREACHED.len()
}

/// Hashes a password with argon2id and a fresh random salt, returning the
/// PHC string to store.
///
/// Deliberately slow (tens of milliseconds in a release build); run it off
/// the async executor. It does not apply the policy: call
/// [`check_password`] first.
pub fn hash_password(password: &str) -> String {
    password_auth::generate_hash(nfc(password).as_bytes())
}

/// Whether `password` matches the stored PHC string.
///
/// `false` on a mismatch and on a hash that cannot be parsed, so a corrupt
/// row locks the account rather than opening it. An input longer than any
/// permitted password is refused without hashing.
pub fn verify_password(password: &str, phc: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    password_auth::verify_password(nfc(password).as_bytes(), phc).is_ok()
}

/// Spends the time of a real verification when there is no user to verify.
///
/// Call it on the "unknown user name" path of a login so that path takes as
/// long as "wrong password"; otherwise the response time tells an attacker
/// which user names exist. The result is always a failed login.
pub fn dummy_verify(password: &str) {
    // black_box keeps the optimiser from discarding work whose result is unused.
    std::hint::black_box(verify_password(password, DUMMY_HASH));
}

/// Whether a stored hash was made with weaker parameters (or another
/// algorithm) than [`hash_password`] uses today.
///
/// After a successful [`verify_password`], re-hash the password and store the
/// new string when this returns `true`. A hash that cannot be parsed also
/// returns `true`.
pub fn password_needs_rehash(phc: &str) -> bool {
    password_auth::is_hash_obsolete(phc).unwrap_or(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One hash shared by the tests: argon2 is slow in debug builds.
    static HASHED: LazyLock<String> =
        LazyLock::new(|| hash_password("correct horse battery staple"));

    #[test]
    fn a_64_character_password_is_accepted() {
        let password = "a long pass phrase made of unremarkable words, ".repeat(2);
        let password: String = password.chars().take(64).collect();
        assert_eq!(password.chars().count(), 64);
        assert_eq!(check_password(&password, "alice"), Ok(()));
    }

    #[test]
    fn a_password_of_exactly_the_maximum_length_is_accepted() {
        let password = "lengthy-phrase ".repeat(100);
        let password: String = password.chars().take(MAX_PASSWORD_CHARS).collect();
        assert_eq!(check_password(&password, "alice"), Ok(()));
    }

    #[test]
    fn a_15_character_password_is_accepted_and_14_is_refused() {
        assert_eq!(check_password("quiet otter jam", "alice"), Ok(()));
        assert_eq!(
            check_password("quiet otterjam", "alice"),
            Err(PasswordProblem::TooShort { min: 15, got: 14 })
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // 15 characters, 30 bytes: long enough.
        assert_eq!(check_password("ééééééééééééééé", "alice"), Ok(()));
        // 14 characters, 28 bytes: too short, although it has 28 bytes.
        assert_eq!(
            check_password("éééééééééééééé", "alice"),
            Err(PasswordProblem::TooShort { min: 15, got: 14 })
        );
    }

    #[test]
    fn a_decomposed_accent_counts_as_one_character() {
        // "é" written as "e" + U+0301 is one character after NFC.
        let decomposed = "e\u{301}".repeat(14);
        assert_eq!(
            check_password(&decomposed, "alice"),
            Err(PasswordProblem::TooShort { min: 15, got: 14 })
        );
    }

    #[test]
    fn a_one_megabyte_password_is_refused_as_too_long() {
        let password = "x".repeat(1024 * 1024);
        assert_eq!(
            check_password(&password, "alice"),
            Err(PasswordProblem::TooLong { max: 1024 })
        );
        assert!(!verify_password(&password, &HASHED));
    }

    #[test]
    fn one_character_over_the_maximum_is_refused() {
        let password = "y".repeat(MAX_PASSWORD_CHARS + 1);
        assert_eq!(
            check_password(&password, "alice"),
            Err(PasswordProblem::TooLong { max: 1024 })
        );
    }

    #[test]
    fn nul_and_other_control_characters_are_refused() {
        for password in [
            "a perfectly long\0password",
            "a perfectly long\npassword",
            "a perfectly long\tpassword",
            "a perfectly long\u{7f}password",
            "a perfectly long\u{85}password",
        ] {
            assert_eq!(
                check_password(password, "alice"),
                Err(PasswordProblem::ControlCharacters),
                "{password:?}"
            );
        }
    }

    #[test]
    fn spaces_and_symbols_are_allowed_without_composition_rules() {
        assert_eq!(check_password("all lower case no digits", "alice"), Ok(()));
        assert_eq!(check_password("  leading and trailing  ", "alice"), Ok(()));
    }

    #[test]
    fn a_breached_password_is_refused_in_any_case() {
        assert!(is_breached("1q2w3e4r5t6y7u8i9o0p"));
        assert_eq!(
            check_password("1q2w3e4r5t6y7u8i9o0p", "alice"),
            Err(PasswordProblem::Breached)
        );
        assert_eq!(
            check_password("1Q2W3E4R5T6Y7U8I9O0P", "alice"),
            Err(PasswordProblem::Breached)
        );
        assert!(is_breached("PASSWORD"));
        assert!(!is_breached("quiet otter jam on toast"));
    }

    #[test]
    fn the_breached_list_has_at_least_ten_thousand_entries() {
        assert!(breached_list_len() >= 10_000, "{}", breached_list_len());
    }

    #[test]
    fn a_password_equal_to_the_user_name_is_refused_ignoring_case() {
        assert_eq!(
            check_password("Incident-Commander-7", "incident-commander-7"),
            Err(PasswordProblem::SameAsUsername)
        );
        assert_eq!(check_password("incident-commander-7", ""), Ok(()));
    }

    #[test]
    fn every_problem_has_a_distinct_code_and_a_message() {
        let problems = [
            PasswordProblem::TooShort { min: 15, got: 3 },
            PasswordProblem::TooLong { max: 1024 },
            PasswordProblem::ControlCharacters,
            PasswordProblem::Breached,
            PasswordProblem::SameAsUsername,
        ];
        let codes: HashSet<_> = problems.iter().map(PasswordProblem::code).collect();
        assert_eq!(codes.len(), problems.len());
        assert!(problems[0].to_string().contains("at least 15"));
        assert!(problems[1].to_string().contains("at most 1024"));
    }

    #[test]
    fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        assert!(HASHED.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery staple", &HASHED));
        assert!(!verify_password("correct horse battery stapler", &HASHED));
    }

    #[test]
    fn verification_normalises_unicode_like_hashing() {
        // Verifying the same text with a different (decomposed) encoding of
        // "é" must succeed; the hash was made from the composed form.
        let hashed = hash_password("caf\u{e9} au lait, s'il vous pla\u{ee}t");
        assert!(verify_password(
            "cafe\u{301} au lait, s'il vous plai\u{302}t",
            &hashed
        ));
    }

    #[test]
    fn a_malformed_hash_verifies_nothing() {
        assert!(!verify_password("anything", ""));
        assert!(!verify_password("anything", "not a phc string"));
        assert!(!verify_password(
            "anything",
            "$argon2id$v=19$m=19456,t=2,p=1$"
        ));
    }

    #[test]
    fn the_dummy_hash_uses_the_same_parameters_as_real_hashes() {
        // Same algorithm and cost, so dummy_verify takes as long as a real check.
        let params = |phc: &str| phc.split('$').take(4).collect::<Vec<_>>().join("$");
        assert_eq!(params(DUMMY_HASH), params(&HASHED));
        assert!(!password_needs_rehash(DUMMY_HASH));
        dummy_verify("whatever the attacker typed");
    }

    #[test]
    fn weaker_or_unreadable_hashes_need_a_rehash() {
        assert!(!password_needs_rehash(&HASHED));
        assert!(password_needs_rehash(
            "$argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHRzYWx0$S0lGz1KjQ0fqbrtBCfyCt+/JmydU9mNFdVbR+3P3G0Y"
        ));
        assert!(password_needs_rehash("garbage"));
    }
}
