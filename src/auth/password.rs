//! Password hashing with argon2id at the OWASP baseline (m = 19 MiB, t = 2, p = 1), run
//! off the async runtime behind a small semaphore so a burst of sign-ins cannot starve other
//! requests. An unknown account is checked against a dummy hash, so it costs the same time.

use std::sync::Arc;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use crate::error::ApiError;

fn argon2() -> Result<Argon2<'static>, ApiError> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(ApiError::internal)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub struct Passwords {
    permits: Arc<Semaphore>,
    dummy: String,
}

impl Passwords {
    pub fn new(concurrency: usize) -> Result<Self, String> {
        let salt = crate::crypto::random_bytes::<16>().map_err(|e| e.to_string())?;
        let dummy = hash_blocking(&crate::crypto::hex(&salt)).map_err(|e| e.to_string())?;
        Ok(Self { permits: Arc::new(Semaphore::new(concurrency.max(1))), dummy })
    }

    pub async fn hash(&self, password: &SecretString) -> Result<String, ApiError> {
        let _permit = self.permits.acquire().await.map_err(ApiError::internal)?;
        let pw = password.clone();
        tokio::task::spawn_blocking(move || hash_blocking(pw.expose_secret())).await.map_err(ApiError::internal)?
    }

    /// Checks `password` against `stored`, or against the dummy hash when there is no account.
    pub async fn verify(&self, password: &SecretString, stored: Option<&str>) -> Result<bool, ApiError> {
        let _permit = self.permits.acquire().await.map_err(ApiError::internal)?;
        let pw = password.clone();
        let known = stored.is_some();
        let hash = stored.unwrap_or(&self.dummy).to_string();
        let ok = tokio::task::spawn_blocking(move || verify_blocking(pw.expose_secret(), &hash)).await.map_err(ApiError::internal)??;
        Ok(ok && known)
    }
}

pub fn hash_blocking(password: &str) -> Result<String, ApiError> {
    Ok(argon2()?.hash_password(password.as_bytes()).map_err(ApiError::internal)?.to_string())
}

fn verify_blocking(password: &str, stored: &str) -> Result<bool, ApiError> {
    let parsed = PasswordHash::new(stored).map_err(ApiError::internal)?;
    Ok(argon2()?.verify_password(password.as_bytes(), &parsed).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_unknown_accounts_never_do() {
        let p = Passwords::new(1).unwrap();
        let pw = SecretString::from("river-lantern-oak-47");
        let h = p.hash(&pw).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(p.verify(&pw, Some(&h)).await.unwrap());
        assert!(!p.verify(&SecretString::from("wrong-password-here"), Some(&h)).await.unwrap());
        assert!(!p.verify(&pw, None).await.unwrap());
    }
}
