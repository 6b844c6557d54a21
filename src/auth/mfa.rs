//! TOTP (RFC 6238): SHA-1, six digits, 30-second steps, one step of clock skew either way.
//! A code is accepted once: the step it matched is stored and later codes must be newer.

use totp_rs::{Builder, Secret, Totp};

use crate::error::ApiError;

pub const ISSUER: &str = "Trellis";

pub fn totp(secret: &[u8], account: &str) -> Result<Totp, ApiError> {
    Builder::new()
        .with_secret(Secret::new(secret.to_vec().into_boxed_slice()))
        // The otpauth label may not hold ':'; the address is only a label in the app.
        .with_account_name(account.replace(':', ""))
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| ApiError::internal(format!("totp: {e:?}")))
}

/// A new 160-bit secret from the OS random source.
pub fn new_secret() -> Result<[u8; 20], ApiError> {
    Ok(crate::crypto::random_bytes::<20>()?)
}

pub fn base32(secret: &[u8]) -> String {
    Secret::new(secret.to_vec().into_boxed_slice()).to_base32()
}

pub fn decode_base32(text: &str) -> Option<Vec<u8>> {
    Secret::try_from_base32(text).ok().map(|s| s.as_bytes().to_vec())
}

/// The step the code matches at `unix_secs`, if it is valid and newer than `last_step`.
pub fn accept(totp: &Totp, code: &str, unix_secs: u64, last_step: Option<i64>) -> Option<i64> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let step = totp.check(code, unix_secs)? as i64;
    match last_step {
        Some(last) if step <= last => None,
        _ => Some(step),
    }
}

/// The current code (for the demo accounts and tests).
pub fn code_at(secret: &[u8], unix_secs: u64) -> Result<String, ApiError> {
    Ok(totp(secret, "x@example.org")?.generate(unix_secs).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_accepted_once_and_only_near_its_time() {
        let secret = [42u8; 20];
        let t = totp(&secret, "a@example.org").unwrap();
        let now = 1_800_000_000u64;
        let code = code_at(&secret, now).unwrap();
        let step = accept(&t, &code, now, None).unwrap();
        assert_eq!(step, (now / 30) as i64);
        assert_eq!(accept(&t, &code, now, Some(step)), None, "replayed code");
        assert_eq!(accept(&t, &code, now + 30 * 5, None), None, "expired code");
        assert_eq!(accept(&t, "12345", now, None), None);
    }
}
