//! A server-sent events parser: bytes in, events out, no I/O.
//!
//! Written here rather than taken from a crate, for two reasons the backends
//! need and the well-kept crates (eventsource-stream, reqwest-eventsource) do
//! not give: hard limits on line and event size, so a hostile server cannot
//! grow memory without bound by never sending a newline; and no reconnection,
//! because silently re-sending a request would send the conversation twice.
//! Being sans-I/O it is also easy to fuzz and to feed bytes split anywhere.
//!
//! It follows the WHATWG event-stream rules: lines end in CRLF, LF or CR
//! (also split across reads), `:` starts a comment, `data` lines join with
//! `\n`, a blank line dispatches, a leading BOM is ignored, an unfinished
//! event at the end of the stream is dropped. Invalid UTF-8 is replaced,
//! never fatal.

/// Size limits for one stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SseLimits {
    /// The longest line accepted, in bytes.
    pub max_line: usize,
    /// The largest event (its joined data) accepted, in bytes.
    pub max_event: usize,
}

impl Default for SseLimits {
    fn default() -> Self {
        SseLimits {
            max_line: 1 << 20,
            max_event: 4 << 20,
        }
    }
}

/// A dispatched event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, if any (OpenAI-style servers send none).
    pub event: Option<String>,
    pub data: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    #[error("a line longer than {limit} bytes")]
    LineTooLong { limit: usize },
    #[error("an event larger than {limit} bytes")]
    EventTooLarge { limit: usize },
}

#[derive(Debug)]
pub struct SseParser {
    limits: SseLimits,
    line: Vec<u8>,
    /// The previous byte was a CR, so an LF right after it ends nothing.
    after_cr: bool,
    at_start: bool,
    bom_seen: usize,
    data: String,
    has_data: bool,
    event: Option<String>,
    /// Comments seen so far (keep-alives), for diagnostics.
    pub comments: u64,
}

impl SseParser {
    pub fn new(limits: SseLimits) -> Self {
        SseParser {
            limits,
            line: Vec::new(),
            after_cr: false,
            at_start: true,
            bom_seen: 0,
            data: String::new(),
            has_data: false,
            event: None,
            comments: 0,
        }
    }

    /// Feeds the next bytes of the stream; complete events go to `out`.
    pub fn feed(&mut self, mut bytes: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        // A UTF-8 BOM may only start the stream, and can arrive split.
        const BOM: &[u8] = b"\xEF\xBB\xBF";
        while self.at_start && !bytes.is_empty() {
            if bytes[0] == BOM[self.bom_seen] {
                self.bom_seen += 1;
                bytes = &bytes[1..];
                self.at_start = self.bom_seen < BOM.len();
            } else {
                // Not a BOM after all: the bytes held back are ordinary data.
                self.at_start = false;
                let held = &BOM[..self.bom_seen];
                self.push_line_bytes(held)?;
            }
        }
        while !bytes.is_empty() {
            if self.after_cr && bytes[0] == b'\n' {
                bytes = &bytes[1..];
                self.after_cr = false;
                continue;
            }
            self.after_cr = false;
            match bytes.iter().position(|b| *b == b'\n' || *b == b'\r') {
                Some(end) => {
                    self.push_line_bytes(&bytes[..end])?;
                    self.after_cr = bytes[end] == b'\r';
                    bytes = &bytes[end + 1..];
                    let line = std::mem::take(&mut self.line);
                    self.process_line(&line, out)?;
                }
                None => {
                    self.push_line_bytes(bytes)?;
                    bytes = &[];
                }
            }
        }
        Ok(())
    }

    /// Ends the stream. Per the rules, an event not followed by a blank line is dropped.
    pub fn finish(&mut self) {
        self.line.clear();
        self.reset_event();
    }

    fn push_line_bytes(&mut self, bytes: &[u8]) -> Result<(), SseError> {
        if self.line.len() + bytes.len() > self.limits.max_line {
            self.line.clear();
            return Err(SseError::LineTooLong {
                limit: self.limits.max_line,
            });
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn reset_event(&mut self) {
        self.data.clear();
        self.has_data = false;
        self.event = None;
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        if line.is_empty() {
            if self.has_data {
                if self.data.ends_with('\n') {
                    self.data.pop();
                }
                out.push(SseEvent {
                    event: self.event.take(),
                    data: std::mem::take(&mut self.data),
                });
            }
            self.reset_event();
            return Ok(());
        }
        if line[0] == b':' {
            self.comments += 1;
            return Ok(());
        }
        let text = String::from_utf8_lossy(line);
        let (field, value) = match text.find(':') {
            Some(colon) => {
                let value = &text[colon + 1..];
                (&text[..colon], value.strip_prefix(' ').unwrap_or(value))
            }
            None => (text.as_ref(), ""),
        };
        match field {
            "data" => {
                if self.data.len() + value.len() + 1 > self.limits.max_event {
                    self.reset_event();
                    return Err(SseError::EventTooLarge {
                        limit: self.limits.max_event,
                    });
                }
                self.data.push_str(value);
                self.data.push('\n');
                self.has_data = true;
            }
            "event" => self.event = Some(value.to_owned()),
            // `id` and `retry` only matter for reconnection, which sotto never does.
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_pieces(input: &[u8], piece: usize) -> Vec<SseEvent> {
        let mut parser = SseParser::new(SseLimits::default());
        let mut out = Vec::new();
        for chunk in input.chunks(piece.max(1)) {
            parser.feed(chunk, &mut out).unwrap();
        }
        parser.finish();
        out
    }

    fn data(events: &[SseEvent]) -> Vec<&str> {
        events.iter().map(|e| e.data.as_str()).collect()
    }

    const STREAM: &[u8] = b"\xEF\xBB\xBF: keep-alive\r\n\r\ndata: {\"a\":1}\r\n\r\nevent: note\ndata: two\ndata:  lines\n\ndata:[DONE]\r\r";

    #[test]
    fn events_come_out_the_same_whatever_the_split() {
        let whole = parse_in_pieces(STREAM, STREAM.len());
        assert_eq!(data(&whole), ["{\"a\":1}", "two\n lines", "[DONE]"]);
        assert_eq!(whole[1].event.as_deref(), Some("note"));
        for piece in 1..STREAM.len() {
            assert_eq!(parse_in_pieces(STREAM, piece), whole, "split every {piece} bytes");
        }
    }

    #[test]
    fn comments_are_counted_not_dispatched() {
        let mut parser = SseParser::new(SseLimits::default());
        let mut out = Vec::new();
        parser.feed(b": ping\n\n: ping\n\n", &mut out).unwrap();
        assert!(out.is_empty());
        assert_eq!(parser.comments, 2);
    }

    #[test]
    fn an_unfinished_event_at_the_end_is_dropped() {
        assert_eq!(data(&parse_in_pieces(b"data: complete\n\ndata: cut", 3)), ["complete"]);
    }

    #[test]
    fn a_line_without_end_is_refused_at_the_limit() {
        let mut parser = SseParser::new(SseLimits {
            max_line: 64,
            max_event: 1024,
        });
        let mut out = Vec::new();
        let err = parser.feed(&[b'x'; 65], &mut out).unwrap_err();
        assert_eq!(err, SseError::LineTooLong { limit: 64 });
    }

    #[test]
    fn an_event_too_large_is_refused() {
        let mut parser = SseParser::new(SseLimits {
            max_line: 64,
            max_event: 100,
        });
        let mut out = Vec::new();
        let line = format!("data: {}\n", "y".repeat(50));
        parser.feed(line.as_bytes(), &mut out).unwrap();
        assert!(parser.feed(line.as_bytes(), &mut out).is_err());
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        assert_eq!(data(&parse_in_pieces(b"data: a\xFFb\n\n", 1)), ["a\u{FFFD}b"]);
    }

    #[test]
    fn a_stream_that_only_looks_like_a_bom_at_first_keeps_its_bytes() {
        // "\xEF" then "data" is a line whose field is "\u{FFFD}data": not data.
        assert!(parse_in_pieces(b"\xEFdata: x\n\n", 1).is_empty());
        assert_eq!(data(&parse_in_pieces(b"\xEF\xBBdata: x\n\ndata: y\n\n", 1)), ["y"]);
        assert_eq!(data(&parse_in_pieces(b"data: x\n\n", 1)), ["x"]);
    }
}
