//! What can go wrong talking to a backend, each with a message that says what
//! happened and what to do. Messages name hosts and statuses; a server's own
//! message is quoted shortened and sanitised, and nothing from the
//! conversation is ever added to them.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectFailure {
    Refused,
    Dns,
    Tls(String),
    Timeout { seconds: u64 },
    Other(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpFailure {
    /// 401 / 403.
    KeyRejected,
    /// 429, with the server's Retry-After if it sent one.
    RateLimited {
        retry_after: Option<String>,
    },
    /// 400: e.g. the context is too long for the model.
    BadRequest,
    /// 404: wrong base URL or model.
    NotFound,
    /// 5xx.
    ServerError,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    #[error("{}", describe_connect(host, reason))]
    Connect { host: String, reason: ConnectFailure },

    #[error(
        "'{host}' sent nothing for {seconds} s, so sotto stopped waiting; what arrived is kept. Try again, or raise read_timeout_secs for this backend if the model is just slow"
    )]
    Stalled { host: String, seconds: u64 },

    #[error(
        "'{host}' was still sending its reply after {seconds} s, so sotto stopped it; what arrived is kept. Raise reply_timeout_secs for this backend if it is slow but working"
    )]
    TooSlow { host: String, seconds: u64 },

    #[error("{}", describe_http(host, *status, kind, message.as_deref()))]
    Http {
        host: String,
        status: u16,
        kind: HttpFailure,
        message: Option<String>,
    },

    #[error("'{host}' reported an error in the middle of the reply: {message}")]
    InStream { host: String, message: String },

    #[error("'{host}' broke the streaming protocol ({detail}); what arrived is kept")]
    Protocol { host: String, detail: String },

    #[error("the connection to '{host}' was lost in the middle of the reply; what arrived is kept")]
    Interrupted { host: String },

    #[error("the backend '{backend}' has no API key: {hint}")]
    MissingKey { backend: String, hint: String },

    #[error("{0}")]
    Unavailable(String),
}

fn describe_connect(host: &str, reason: &ConnectFailure) -> String {
    match reason {
        ConnectFailure::Refused => {
            format!("cannot connect to '{host}': the connection was refused. Is the server running, and on that port?")
        }
        ConnectFailure::Dns => {
            format!("cannot find the host '{host}' (DNS lookup failed). Check base_url and the network")
        }
        ConnectFailure::Tls(reason) => format!(
            "the TLS handshake with '{host}' failed ({reason}). sotto only talks to servers with a valid certificate"
        ),
        ConnectFailure::Timeout { seconds } => format!(
            "'{host}' did not accept a connection within {seconds} s. Check that it is reachable, or raise \
             connect_timeout_secs"
        ),
        ConnectFailure::Other(reason) => format!("cannot connect to '{host}': {reason}"),
    }
}

fn describe_http(host: &str, status: u16, kind: &HttpFailure, message: Option<&str>) -> String {
    let said = message.map(|m| format!(" The server said: '{m}'.")).unwrap_or_default();
    match kind {
        HttpFailure::KeyRejected => format!(
            "'{host}' rejected the API key (HTTP {status}).{said} Check the key this backend uses \
             (api_key_env, api_key_command, or 'sotto key set')"
        ),
        HttpFailure::RateLimited { retry_after } => format!(
            "'{host}' is rate limiting requests (HTTP {status}){}.{said}",
            retry_after
                .as_deref()
                .map(|r| format!("; it asks to retry after '{r}'"))
                .unwrap_or_default()
        ),
        HttpFailure::BadRequest => format!(
            "'{host}' refused the request (HTTP {status}).{said} If the conversation is long, it may exceed the \
             model's context; start a new one"
        ),
        HttpFailure::NotFound => format!(
            "'{host}' has no such endpoint or model (HTTP {status}).{said} Check base_url (it usually ends in \
             '/v1') and the model name"
        ),
        HttpFailure::ServerError => format!("'{host}' failed (HTTP {status}).{said} Try again later"),
        HttpFailure::Other => format!("'{host}' answered HTTP {status}.{said}"),
    }
}

impl fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HttpFailure::KeyRejected => "key rejected",
            HttpFailure::RateLimited { .. } => "rate limited",
            HttpFailure::BadRequest => "bad request",
            HttpFailure::NotFound => "not found",
            HttpFailure::ServerError => "server error",
            HttpFailure::Other => "unexpected status",
        })
    }
}

impl HttpFailure {
    pub fn from_status(status: u16, retry_after: Option<String>) -> Self {
        match status {
            401 | 403 => HttpFailure::KeyRejected,
            429 => HttpFailure::RateLimited { retry_after },
            400 | 413 | 422 => HttpFailure::BadRequest,
            404 => HttpFailure::NotFound,
            500..=599 => HttpFailure::ServerError,
            _ => HttpFailure::Other,
        }
    }
}
