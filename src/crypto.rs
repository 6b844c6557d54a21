//! Field encryption, keyed pseudonyms and secret tokens.
//!
//! Narrative free text is sealed with XChaCha20-Poly1305. A sealed value reads
//! `v1.<key id>.<base64url(nonce || ciphertext)>`: the key id lets old keys keep decrypting
//! after a rotation, and the associated data (table, column, row id) binds a ciphertext to
//! its place so it cannot be copied into another row or column. Pseudonyms are
//! HMAC-SHA256 under a key derived per recipient project, so two projects' extracts cannot
//! be joined. All randomness comes from the operating system.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the operating system's random source failed")]
    Random,
    #[error("a sealed value is malformed")]
    Malformed,
    #[error("a sealed value names key `{0}`, which is not configured")]
    UnknownKey(String),
    #[error("a sealed value failed authentication")]
    Tampered,
}

/// `n` bytes from the operating system's random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|_| CryptoError::Random)?;
    Ok(buf)
}

/// A fresh 256-bit bearer token (base64url) and the SHA-256 hex under which it is stored.
pub fn new_token() -> Result<(String, String), CryptoError> {
    let token = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
    let hash = sha256_hex(token.as_bytes());
    Ok((token, hash))
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0x0f) as usize] as char);
    }
    out
}

/// Constant-time equality for secrets of equal length.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

struct DataKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl DataKey {
    fn new(bytes: &[u8; KEY_LEN]) -> Self {
        // The key id is a short fingerprint, so it says which key without revealing it.
        let id = sha256_hex(bytes)[..8].to_string();
        Self { id, cipher: XChaCha20Poly1305::new(bytes.into()) }
    }
}

/// The field-encryption keys: one current key that seals, and retired keys that still open.
pub struct FieldCipher {
    current: DataKey,
    previous: Vec<DataKey>,
}

impl FieldCipher {
    pub fn new(current: &[u8; KEY_LEN], previous: &[[u8; KEY_LEN]]) -> Self {
        Self { current: DataKey::new(current), previous: previous.iter().map(DataKey::new).collect() }
    }

    pub fn key_id(&self) -> &str {
        &self.current.id
    }

    /// Seals `plaintext` for the place named by `table`, `column` and `row`.
    pub fn seal(&self, table: &str, column: &str, row: &uuid::Uuid, plaintext: &str) -> Result<String, CryptoError> {
        let nonce_bytes = random_bytes::<NONCE_LEN>()?;
        let nonce = XNonce::from(nonce_bytes);
        let aad = associated_data(table, column, row);
        let ct = self
            .current
            .cipher
            .encrypt(&nonce, Payload { msg: plaintext.as_bytes(), aad: aad.as_bytes() })
            .map_err(|_| CryptoError::Tampered)?;
        let mut blob = Vec::with_capacity(NONCE_LEN + ct.len());
        blob.extend_from_slice(&nonce_bytes);
        blob.extend_from_slice(&ct);
        Ok(format!("v1.{}.{}", self.current.id, URL_SAFE_NO_PAD.encode(blob)))
    }

    /// Opens a value sealed by [`seal`](Self::seal) for the same place.
    pub fn open(&self, table: &str, column: &str, row: &uuid::Uuid, sealed: &str) -> Result<String, CryptoError> {
        let mut parts = sealed.splitn(3, '.');
        let (Some("v1"), Some(kid), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(CryptoError::Malformed);
        };
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == kid)
            .ok_or_else(|| CryptoError::UnknownKey(kid.to_string()))?;
        let blob = URL_SAFE_NO_PAD.decode(body).map_err(|_| CryptoError::Malformed)?;
        if blob.len() < NONCE_LEN {
            return Err(CryptoError::Malformed);
        }
        let (nonce, ct) = blob.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| CryptoError::Malformed)?;
        let aad = associated_data(table, column, row);
        let pt = key.cipher.decrypt(&nonce, Payload { msg: ct, aad: aad.as_bytes() }).map_err(|_| CryptoError::Tampered)?;
        String::from_utf8(pt).map_err(|_| CryptoError::Malformed)
    }
}

fn associated_data(table: &str, column: &str, row: &uuid::Uuid) -> String {
    format!("trellis/{table}/{column}/{row}")
}

/// Keyed pseudonyms for record-level extracts.
pub struct Pseudonymiser {
    key: [u8; KEY_LEN],
}

impl Pseudonymiser {
    pub fn new(key: [u8; KEY_LEN]) -> Self {
        Self { key }
    }

    fn mac(key: &[u8], parts: &[&[u8]]) -> Result<[u8; 32], CryptoError> {
        // HMAC accepts keys of any length; the error arm is never taken.
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).map_err(|_| CryptoError::Malformed)?;
        for p in parts {
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p);
        }
        Ok(mac.finalize().into_bytes().into())
    }

    /// A keyed tag (hex) of `data` for `purpose`: a lookup key that reveals nothing without
    /// the key, such as the lock-out key of an e-mail address.
    pub fn tag(&self, purpose: &str, data: &[u8]) -> Result<String, CryptoError> {
        let purpose_key = Self::mac(&self.key, &[b"trellis-tag", purpose.as_bytes()])?;
        Ok(hex(&Self::mac(&purpose_key, &[data])?))
    }

    /// The pseudonym of `subject` for recipient `project`: stable for one project, unlinkable
    /// across projects, and not computable without the key.
    pub fn pseudonym(&self, project: &str, subject: &uuid::Uuid) -> Result<String, CryptoError> {
        let project_key = Self::mac(&self.key, &[b"trellis-pseudonym-project", project.as_bytes()])?;
        let tag = Self::mac(&project_key, &[subject.as_bytes()])?;
        // Hex, not base64url: a pseudonym then never starts with a character a spreadsheet
        // takes for a formula, and reads the same in CSV and JSON.
        Ok(hex(&tag[..16]))
    }
}

/// The keys a running service uses, resolved from configuration.
pub struct Keys {
    pub fields: FieldCipher,
    pub pseudonyms: Pseudonymiser,
    /// Set when a development key file was generated or read, to tell the operator.
    pub notice: Option<String>,
}

impl Keys {
    /// Keys from configuration. On SQLite without configured keys, a development run
    /// generates key files (mode 0600) in `key_dir` and says so; on PostgreSQL missing keys
    /// are an error, because a production database must not depend on a file beside it.
    pub fn load(cfg: &crate::config::Config) -> Result<Self, String> {
        let mut notice = Vec::new();
        let data = resolve(cfg.data_key.as_ref(), cfg, "trellis-data.key", "TRELLIS_DATA_KEY", &mut notice)?;
        let pseud = resolve(cfg.pseudonym_key.as_ref(), cfg, "trellis-pseudonym.key", "TRELLIS_PSEUDONYM_KEY", &mut notice)?;
        let previous: Vec<[u8; KEY_LEN]> = cfg
            .data_key_previous
            .iter()
            .map(|k| crate::config::parse_key(k.expose_secret()).map_err(|e| format!("TRELLIS_DATA_KEY_PREVIOUS {e}")))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            fields: FieldCipher::new(&data, &previous),
            pseudonyms: Pseudonymiser::new(pseud),
            notice: if notice.is_empty() { None } else { Some(notice.join("; ")) },
        })
    }
}

fn resolve(
    configured: Option<&SecretString>,
    cfg: &crate::config::Config,
    file: &str,
    env: &str,
    notice: &mut Vec<String>,
) -> Result<[u8; KEY_LEN], String> {
    if let Some(k) = configured {
        return crate::config::parse_key(k.expose_secret()).map_err(|e| format!("{env} {e}"));
    }
    if cfg.is_postgres() {
        return Err(format!(
            "{env} is not set: on PostgreSQL the service refuses to start without it (generate one with: openssl rand -base64 32)"
        ));
    }
    let path = cfg.key_dir.join(file);
    if path.exists() {
        let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        notice.push(format!("using development key {} (set {env} in production)", path.display()));
        return crate::config::parse_key(&text).map_err(|e| format!("{} {e}", path.display()));
    }
    let key = random_bytes::<KEY_LEN>().map_err(|e| e.to_string())?;
    write_private(&path, &STANDARD.encode(key)).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    notice.push(format!("generated development key {} (set {env} in production)", path.display()));
    Ok(key)
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> FieldCipher {
        FieldCipher::new(&[7u8; 32], &[])
    }

    #[test]
    fn sealed_text_opens_only_in_its_own_place() {
        let c = cipher();
        let row = uuid::Uuid::now_v7();
        let sealed = c.seal("notes", "body", &row, "she said she felt safe").unwrap();
        assert!(!sealed.contains("safe"));
        assert_eq!(c.open("notes", "body", &row, &sealed).unwrap(), "she said she felt safe");
        assert!(matches!(c.open("notes", "body", &uuid::Uuid::now_v7(), &sealed), Err(CryptoError::Tampered)));
        assert!(matches!(c.open("notes", "title", &row, &sealed), Err(CryptoError::Tampered)));
    }

    #[test]
    fn rotated_keys_still_open_old_values() {
        let row = uuid::Uuid::now_v7();
        let old = FieldCipher::new(&[1u8; 32], &[]);
        let sealed = old.seal("t", "c", &row, "x").unwrap();
        let rotated = FieldCipher::new(&[2u8; 32], &[[1u8; 32]]);
        assert_eq!(rotated.open("t", "c", &row, &sealed).unwrap(), "x");
        let without = FieldCipher::new(&[2u8; 32], &[]);
        assert!(matches!(without.open("t", "c", &row, &sealed), Err(CryptoError::UnknownKey(_))));
    }

    #[test]
    fn pseudonyms_are_stable_per_project_and_differ_across_projects() {
        let p = Pseudonymiser::new([9u8; 32]);
        let s = uuid::Uuid::now_v7();
        let a = p.pseudonym("eval-2026", &s).unwrap();
        assert_eq!(a, p.pseudonym("eval-2026", &s).unwrap());
        assert_ne!(a, p.pseudonym("other", &s).unwrap());
        assert_ne!(a, Pseudonymiser::new([8u8; 32]).pseudonym("eval-2026", &s).unwrap());
    }

    #[test]
    fn keys_must_be_32_bytes_of_base64() {
        assert!(crate::config::parse_key(&STANDARD.encode([0u8; 32])).is_ok());
        assert!(crate::config::parse_key(&STANDARD.encode([0u8; 16])).is_err());
        assert!(crate::config::parse_key("not base64!").is_err());
    }
}
