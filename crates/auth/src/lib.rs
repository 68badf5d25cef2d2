//! Credential primitives of debrief.
//!
//! Everything a login needs that is not storage or transport: the password
//! policy and argon2id hashing ([`password`]), random tokens that are shown
//! once and stored only as hashes ([`tokens`]), RFC 6238 one-time codes
//! ([`totp`]), single-use MFA backup codes ([`backup`]) and the back-off
//! arithmetic for repeated failures ([`throttle`]).
//!
//! The crate does no IO and never reads the clock: the current time is a
//! parameter, so the web layer, the CLI and the tests all see the same rules.
//! The only outside resource it touches is the operating system's random
//! number generator, for salts and secrets.

pub mod backup;
pub mod password;
pub mod throttle;
pub mod tokens;
pub mod totp;

pub use backup::{BACKUP_CODE_COUNT, backup_code_hash, new_backup_codes, normalize_backup_code};
pub use password::{
    MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, PasswordProblem, breached_list_len, check_password,
    dummy_verify, hash_password, is_breached, password_needs_rehash, verify_password,
};
pub use throttle::ThrottlePolicy;
pub use tokens::{
    Secret, constant_time_eq, looks_like_api_token, new_api_token, new_session_token,
    new_setup_token, token_hash,
};
pub use totp::{TotpSecret, new_totp_secret, totp_code, totp_secret_from_base32, verify_totp};

/// What can go wrong when reading credential material supplied from outside.
///
/// Password policy failures are not here: they are [`PasswordProblem`], whose
/// messages are written for the person choosing the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The TOTP secret contains characters outside the RFC 4648 base32 alphabet.
    #[error("the TOTP secret is not valid base32")]
    TotpSecretNotBase32,
    /// The TOTP secret decodes to fewer than the 128 bits RFC 4226 requires.
    #[error("the TOTP secret is {bits} bits long; at least 128 bits are required")]
    TotpSecretTooShort {
        /// Length of the decoded secret in bits.
        bits: usize,
    },
}

/// Fills an array from the operating system's random number generator.
///
/// Every secret in this crate comes from here. If the kernel cannot supply
/// randomness the process panics (inside `rand`): handing out a predictable
/// token or salt would be worse than failing the request, and the failure is
/// practically unreachable on the platforms debrief runs on.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    use rand::Rng as _;
    let mut bytes = [0u8; N];
    rand::rand_core::UnwrapErr(rand::rngs::SysRng).fill_bytes(&mut bytes);
    bytes
}

/// Lower-case hex SHA-256, the digest this crate stores for tokens and codes.
pub(crate) fn sha256_hex(input: &[u8]) -> String {
    use sha2::Digest as _;
    data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(input))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_bytes_differ_between_calls() {
        assert_ne!(random_bytes::<32>(), random_bytes::<32>());
    }

    #[test]
    fn sha256_hex_matches_the_known_digest_of_abc() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
