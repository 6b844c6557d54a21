//! The SMTP settings alerts are e-mailed through, checked together once all are read.

use secrecy::SecretString;

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text: only for a relay on the same host or a trusted network.
    None,
    /// Plain connection upgraded with STARTTLS, which is required.
    StartTls,
    /// TLS from the first byte (SMTPS).
    Tls,
}

/// Where alerts are e-mailed through.
#[derive(Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub from: String,
}

/// The SMTP settings as read, checked together once all are known.
#[derive(Default)]
pub(super) struct SmtpParts {
    pub(super) host: Option<(String, String)>,
    pub(super) port: Option<u16>,
    pub(super) tls: Option<SmtpTls>,
    pub(super) username: Option<String>,
    pub(super) password: Option<SecretString>,
    pub(super) from: Option<String>,
}

impl SmtpParts {
    pub(super) fn build(self) -> Result<Option<Smtp>, Vec<String>> {
        let Some((host, host_from)) = self.host else {
            let others =
                self.port.is_some() || self.tls.is_some() || self.username.is_some() || self.password.is_some() || self.from.is_some();
            return if others { Err(vec!["smtp_host: must be set when other smtp_ settings are".into()]) } else { Ok(None) };
        };
        let tls = self.tls.unwrap_or(SmtpTls::StartTls);
        let mut errors = Vec::new();
        if self.from.is_none() {
            errors.push(format!("{host_from}: smtp_from must be set too: alerts need a sender"));
        }
        if self.username.is_some() != self.password.is_some() {
            errors.push("smtp_username and smtp_password: set both or neither".into());
        }
        if tls == SmtpTls::None && self.password.is_some() {
            errors.push("smtp_tls: none would send the SMTP password in clear; use starttls or tls".into());
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let port = self.port.unwrap_or(match tls {
            SmtpTls::None => 25,
            SmtpTls::StartTls => 587,
            SmtpTls::Tls => 465,
        });
        Ok(Some(Smtp { host, port, tls, username: self.username, password: self.password, from: self.from.unwrap_or_default() }))
    }
}
