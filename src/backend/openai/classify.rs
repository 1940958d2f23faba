//! Turning reqwest's errors into what the user needs to know: refused, no
//! such host, bad certificate, timed out, or cut off.

use std::error::Error as _;
use std::time::Duration;

use crate::backend::{BackendError, ConnectFailure};
use crate::sanitize;

/// Every message in the error's source chain, lowercased, for classification.
/// The request URL is left out: a host named `tls-gw` must not read as a TLS
/// failure.
fn chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "");
    }
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(" | ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.to_lowercase()
}

fn has_io_kind(e: &reqwest::Error, kind: std::io::ErrorKind) -> bool {
    let mut source = e.source();
    while let Some(cause) = source {
        if cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == kind)
        {
            return true;
        }
        source = cause.source();
    }
    false
}

/// An error before any response arrived.
pub fn request_error(host: &str, e: &reqwest::Error, connect_timeout: Duration) -> BackendError {
    let text = chain(e);
    let reason = if has_io_kind(e, std::io::ErrorKind::ConnectionRefused) || text.contains("connection refused") {
        ConnectFailure::Refused
    } else if text.contains("dns error")
        || text.contains("failed to lookup address")
        || text.contains("name or service not known")
        || text.contains("no address associated")
    {
        ConnectFailure::Dns
    } else if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
        ConnectFailure::Tls(tls_reason(&text))
    } else if e.is_timeout() || has_io_kind(e, std::io::ErrorKind::TimedOut) {
        ConnectFailure::Timeout {
            seconds: connect_timeout.as_secs(),
        }
    } else if e.is_connect() {
        ConnectFailure::Other(sanitize::one_line(&text, 200))
    } else {
        // Sent, then cut off before any answer.
        return BackendError::Interrupted { host: host.to_owned() };
    };
    BackendError::Connect {
        host: host.to_owned(),
        reason,
    }
}

fn tls_reason(text: &str) -> String {
    for (needle, reason) in [
        ("unknownissuer", "the certificate is not signed by a trusted authority"),
        ("notvalidforname", "the certificate is for another host name"),
        ("expired", "the certificate has expired"),
        ("causedasendentity", "the server presents a CA certificate as its own"),
        ("self-signed", "the certificate is self-signed"),
        ("corrupt message", "the server did not speak TLS"),
        ("invalidcontenttype", "the server did not speak TLS"),
    ] {
        if text.contains(needle) {
            return reason.to_owned();
        }
    }
    sanitize::one_line(text, 160)
}

/// An error while reading the body of a response.
pub fn body_error(host: &str, _e: &reqwest::Error) -> BackendError {
    BackendError::Interrupted { host: host.to_owned() }
}
