//! A real HTTP/1.1 server on 127.0.0.1 for backend tests. Each request is
//! recorded (so tests can check exactly what left the machine) and answered by
//! a script: status and headers, then body pieces sent as separate chunks with
//! pauses between them, a stall, or a dropped connection. The same server
//! speaks TLS (rustls) when given a certificate, for the TLS tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A request as the server received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the request body is JSON")
    }
}

pub enum Step {
    /// One chunk of body.
    Bytes(Vec<u8>),
    /// The same chunk `n` times (large replies without holding them in memory).
    Repeat(Vec<u8>, usize),
    Pause(Duration),
    /// Close the connection now, mid-body.
    Drop,
}

pub struct Script {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub steps: Vec<Step>,
    /// Accept the request but never answer (until the client gives up).
    pub never_answer: bool,
}

impl Script {
    pub fn new(status: u16, content_type: &str, steps: Vec<Step>) -> Self {
        Script {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            steps,
            never_answer: false,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn never_answers() -> Self {
        Script {
            status: 200,
            headers: Vec::new(),
            steps: Vec::new(),
            never_answer: true,
        }
    }
}

/// A stream of SSE events, each its own chunk.
pub fn sse(events: &[String]) -> Script {
    Script::new(
        200,
        "text/event-stream",
        events.iter().map(|e| Step::Bytes(e.clone().into_bytes())).collect(),
    )
}

/// `data: <json>\n\n` for a delta carrying `content`.
pub fn delta(content: &str) -> String {
    let chunk = serde_json::json!({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "test-model",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": null}]
    });
    format!("data: {chunk}\n\n")
}

/// The final chunk with a finish reason.
pub fn finish(reason: &str) -> String {
    let chunk = serde_json::json!({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "test-model",
        "choices": [{"index": 0, "delta": {}, "finish_reason": reason}]
    });
    format!("data: {chunk}\n\n")
}

pub fn done() -> String {
    "data: [DONE]\n\n".to_owned()
}

/// A stream that sends one delta carrying `text`, then goes silent for `pause`.
pub fn delta_then_silence(text: &str, pause: Duration) -> Script {
    Script::new(
        200,
        "text/event-stream",
        vec![Step::Bytes(delta(text).into_bytes()), Step::Pause(pause)],
    )
}

pub fn json(status: u16, body: serde_json::Value) -> Script {
    Script::new(
        status,
        "application/json",
        vec![Step::Bytes(body.to_string().into_bytes())],
    )
}

type Handler = dyn Fn(&Recorded) -> Script + Send + Sync;

pub struct TestServer {
    addr: SocketAddr,
    scheme: &'static str,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl TestServer {
    pub fn start(handler: impl Fn(&Recorded) -> Script + Send + Sync + 'static) -> Self {
        Self::serving(None, handler)
    }

    /// The same server over TLS with `tls` (a rustls server configuration).
    pub fn start_tls(
        tls: Arc<rustls::ServerConfig>,
        handler: impl Fn(&Recorded) -> Script + Send + Sync + 'static,
    ) -> Self {
        Self::serving(Some(tls), handler)
    }

    fn serving(
        tls: Option<Arc<rustls::ServerConfig>>,
        handler: impl Fn(&Recorded) -> Script + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let recorded = requests.clone();
        let scheme = if tls.is_some() { "https" } else { "http" };
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                // Each step is written as it comes, as a streaming server does;
                // Nagle's algorithm would hold small writes back for the
                // client's delayed ACK.
                let _ = stream.set_nodelay(true);
                let handler = handler.clone();
                let recorded = recorded.clone();
                let tls = tls.clone();
                std::thread::spawn(move || match tls {
                    None => serve(stream, &*handler, &recorded),
                    Some(config) => {
                        let Ok(session) = rustls::ServerConnection::new(config) else {
                            return;
                        };
                        serve(rustls::StreamOwned::new(session, stream), &*handler, &recorded);
                    }
                });
            }
        });
        TestServer { addr, scheme, requests }
    }

    /// Answers every request with the same script, built fresh each time.
    pub fn always(script: impl Fn() -> Script + Send + Sync + 'static) -> Self {
        Self::start(move |_| script())
    }

    pub fn base_url(&self) -> String {
        format!("{}://{}/v1", self.scheme, self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

/// A connection the server answers on: plain TCP, or TLS over it.
trait Connection: Read + Write {
    /// Closes the connection at once, mid-body.
    fn cut(&mut self);
}

impl Connection for TcpStream {
    fn cut(&mut self) {
        let _ = self.shutdown(std::net::Shutdown::Both);
    }
}

impl Connection for rustls::StreamOwned<rustls::ServerConnection, TcpStream> {
    fn cut(&mut self) {
        let _ = self.sock.shutdown(std::net::Shutdown::Both);
    }
}

fn serve(stream: impl Connection, handler: &Handler, recorded: &Mutex<Vec<Recorded>>) {
    let mut reader = BufReader::new(stream);
    loop {
        let Some(request) = read_request(&mut reader) else {
            return;
        };
        recorded.lock().unwrap().push(request.clone());
        let script = handler(&request);
        if script.never_answer {
            std::thread::sleep(Duration::from_secs(120));
            return;
        }
        if !answer(reader.get_mut(), script) {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<impl Read>) -> Option<Recorded> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded {
        method,
        path,
        headers,
        body,
    })
}

/// Sends the scripted answer; false if the connection must close after it.
fn answer(stream: &mut impl Connection, script: Script) -> bool {
    let mut head = format!("HTTP/1.1 {} Scripted\r\nTransfer-Encoding: chunked\r\n", script.status);
    for (name, value) in &script.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    if stream.write_all(head.as_bytes()).is_err() {
        return false;
    }
    let chunk = |stream: &mut dyn Write, bytes: &[u8]| -> bool {
        if bytes.is_empty() {
            return true; // an empty chunk would end the body
        }
        stream
            .write_all(format!("{:x}\r\n", bytes.len()).as_bytes())
            .and_then(|()| stream.write_all(bytes))
            .and_then(|()| stream.write_all(b"\r\n"))
            .and_then(|()| stream.flush())
            .is_ok()
    };
    for step in script.steps {
        let ok = match step {
            Step::Bytes(bytes) => chunk(stream, &bytes),
            Step::Repeat(bytes, n) => (0..n).all(|_| chunk(stream, &bytes)),
            Step::Pause(pause) => {
                std::thread::sleep(pause);
                true
            }
            Step::Drop => {
                stream.cut();
                return false;
            }
        };
        if !ok {
            return false;
        }
    }
    stream.write_all(b"0\r\n\r\n").and_then(|()| stream.flush()).is_ok()
}
