//! Starting a reply: the backend streams on a thread of its own and sends
//! each piece, and the end, to the loop as events; a panic in a backend
//! ends the reply instead of leaving it "streaming".

use super::{Event, Runtime};
use crate::backend::CancelToken;
use crate::exchange::ReplyFailure;
use crate::model::msg::Msg;

impl Runtime {
    pub(super) fn start_reply(&mut self, stream: u64, backend: &str, request: crate::redact::egress::EgressRequest) {
        let events = self.events.clone();
        let Some(bot) = self.backends.get(backend).cloned() else {
            let _ = events.send(Event::Msg(Msg::ReplyEnded {
                stream,
                result: Err(ReplyFailure {
                    reason: "unavailable",
                    message: format!("backend '{backend}' is not ready yet; try again in a moment"),
                }),
            }));
            return;
        };
        let cancel = CancelToken::new();
        self.streams.insert(stream, cancel.clone());
        let spawned = std::thread::Builder::new().name("sotto-reply".into()).spawn(move || {
            let streamed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                bot.stream(&request, &cancel, &mut |delta| {
                    let _ = events.send(Event::Msg(Msg::Delta {
                        stream,
                        text: delta.to_owned(),
                    }));
                })
            }));
            let result = match streamed {
                Ok(result) => result.map_err(|e| ReplyFailure::from(&e)),
                // A bug in a backend must not leave the reply "streaming".
                Err(_) => Err(ReplyFailure {
                    reason: "internal_error",
                    message: "the backend failed unexpectedly (an internal error); what arrived is kept".into(),
                }),
            };
            let _ = events.send(Event::Msg(Msg::ReplyEnded { stream, result }));
        });
        if let Err(e) = spawned {
            let _ = self.events.send(Event::Msg(Msg::ReplyEnded {
                stream,
                result: Err(ReplyFailure {
                    reason: "unavailable",
                    message: format!("cannot start the reply: {e}"),
                }),
            }));
        }
    }
}
