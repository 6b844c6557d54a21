//! Rules about accounts as plain functions: e-mail normalisation and the password policy.

use crate::error::FieldError;

/// E-mail addresses are compared case-insensitively: store them trimmed and lower-cased.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// An e-mail address with a domain name (not an IP literal such as `x@[::1]`).
pub fn valid_email(email: &str) -> Result<(), validator::ValidationError> {
    let invalid = || validator::ValidationError::new("email").with_message("This is not a valid e-mail address.".into());
    if !validator::ValidateEmail::validate_email(&email) {
        return Err(invalid());
    }
    match email.rsplit_once('@') {
        Some((_, domain)) if !domain.starts_with('[') && domain.contains('.') => Ok(()),
        _ => Err(invalid()),
    }
}

pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 128;

/// Passwords people choose most often that are long enough to pass a length rule.
const COMMON: &[&str] = &[
    "password1234",
    "password12345",
    "password123456",
    "passwordpassword",
    "123456789012",
    "1234567890123",
    "12345678901234",
    "qwertyuiop12",
    "qwertyuiop123",
    "qwertyuiopasdf",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "iloveyou1234",
    "letmein12345",
    "welcome12345",
    "administrator",
    "changeme1234",
    "trustno1trustno1",
    "abcdefghijkl",
    "abc123abc123",
    "football1234",
    "baseball1234",
    "sunshine1234",
    "princess1234",
    "qwerty123456",
    "aaaaaaaaaaaa",
    "monkey123456",
    "dragon123456",
    "starwars1234",
    "superman1234",
    "trellis12345",
    "mentoring123",
    "safeguarding",
    "password1!password1!",
    "welcome1welcome1",
];

/// Length 12–128, not a commonly chosen password, not built from the user's own name or
/// e-mail, not one repeated character or a simple run.
pub fn check_password(password: &str, email: &str, name: &str) -> Result<(), FieldError> {
    let len = password.chars().count();
    let err = |code: &str, msg: &str| Err(FieldError::new("password", code, msg));
    if len < PASSWORD_MIN {
        return err("too_short", "Use at least 12 characters; a few unrelated words work well.");
    }
    if len > PASSWORD_MAX {
        return err("too_long", "Use at most 128 characters.");
    }
    let lower = password.to_lowercase();
    let squashed: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
    if COMMON.iter().any(|c| *c == lower || *c == squashed) || lower.contains("password") {
        return err("too_common", "This password is too common and would be guessed.");
    }
    let first = lower.chars().next().unwrap_or(' ');
    if lower.chars().all(|c| c == first) {
        return err("too_simple", "A single repeated character is too easy to guess.");
    }
    let bytes = lower.as_bytes();
    if bytes.windows(2).all(|w| w[1] == w[0].wrapping_add(1)) || bytes.windows(2).all(|w| w[1].wrapping_add(1) == w[0]) {
        return err("too_simple", "A simple run of characters is too easy to guess.");
    }
    let local = email.split('@').next().unwrap_or("").to_lowercase();
    if local.len() >= 4 && lower.contains(&local) {
        return err("contains_personal", "Do not build the password from your e-mail address.");
    }
    for part in name.split_whitespace().map(str::to_lowercase).filter(|p| p.len() >= 4) {
        if lower.contains(&part) {
            return err("contains_personal", "Do not build the password from your name.");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(pw: &str) -> String {
        check_password(pw, "amira.khan@example.org", "Amira Khan").err().map(|e| e.code).unwrap_or_else(|| "ok".into())
    }

    #[test]
    fn password_policy() {
        assert_eq!(code("short"), "too_short");
        assert_eq!(code(&"x".repeat(129)), "too_long");
        assert_eq!(code("Password1234"), "too_common");
        assert_eq!(code("qwertyuiop12"), "too_common");
        assert_eq!(code("zzzzzzzzzzzzzz"), "too_simple");
        assert_eq!(code("abcdefghijklmnop"), "too_simple");
        assert_eq!(code("amira.khan-2026!"), "contains_personal");
        assert_eq!(code("river-lantern-oak-47"), "ok");
        assert_eq!(code(&"é".repeat(12)), "too_simple");
    }

    #[test]
    fn emails_are_case_insensitive() {
        assert_eq!(normalise_email("  Amira.Khan@Example.ORG "), "amira.khan@example.org");
    }
}
