//! The plain HTTP side of talking to the server: a request sent within the
//! read timeout, an error reply read (bounded) and quoted without the key,
//! and the model list, which is one bounded JSON body.

use tokio::time::timeout;

use super::{MAX_ERROR_BODY, MAX_QUOTED_MESSAGE, OpenAiBackend, classify, wire};
use crate::backend::{BackendError, HttpFailure};
use crate::sanitize;

impl OpenAiBackend {
    /// Sends `request`, waiting at most the read timeout for the headers.
    pub(super) async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, BackendError> {
        let response = timeout(self.settings.read_timeout, request.send())
            .await
            .map_err(|_| self.stalled())?
            .map_err(|e| classify::request_error(&self.host(), &e, self.settings.connect_timeout))?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(self.http_error(response).await)
        }
    }

    async fn http_error(&self, mut response: reqwest::Response) -> BackendError {
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(|v| sanitize::one_line(v, 40));
        let mut body = Vec::new();
        while body.len() < MAX_ERROR_BODY {
            match timeout(self.settings.read_timeout, response.chunk()).await {
                Ok(Ok(Some(bytes))) => body.extend_from_slice(&bytes),
                _ => break,
            }
        }
        body.truncate(MAX_ERROR_BODY);
        let message = serde_json::from_slice::<wire::ErrorBody>(&body)
            .ok()
            .and_then(|b| b.message())
            .or_else(|| {
                let text = String::from_utf8_lossy(&body);
                (!text.trim().is_empty()).then(|| text.into_owned())
            })
            .map(|m| sanitize::one_line(&self.without_key(&m), MAX_QUOTED_MESSAGE));
        BackendError::Http {
            host: self.host(),
            status,
            kind: HttpFailure::from_status(status, retry_after),
            message,
        }
    }

    pub(super) async fn models_async(&self) -> Result<Vec<String>, BackendError> {
        let mut response = self
            .send(self.authorized(self.client.get(self.endpoint("models"))))
            .await?;
        let mut body = Vec::new();
        loop {
            match timeout(self.settings.read_timeout, response.chunk()).await {
                Err(_) => return Err(self.stalled()),
                Ok(Err(e)) => return Err(classify::body_error(&self.host(), &e)),
                Ok(Ok(None)) => break,
                Ok(Ok(Some(bytes))) => {
                    if body.len() + bytes.len() > self.settings.sse.max_event {
                        return Err(self.protocol("a model list larger than the event limit"));
                    }
                    body.extend_from_slice(&bytes);
                }
            }
        }
        let list: wire::ModelList = serde_json::from_slice(&body)
            .map_err(|e| self.protocol(&format!("a model list that is not JSON ({e})")))?;
        Ok(list.data.into_iter().map(|m| sanitize::one_line(&m.id, 200)).collect())
    }
}
