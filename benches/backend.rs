//! Backend benchmarks (divan): SSE parsing throughput, the client overhead of
//! a streamed reply from a loopback server that answers at once, and the
//! built-in bot's answer latency over a 1,000-section knowledge base.
//! Figures and the machine are recorded in BENCHMARKS.md.
//!
//! Run: `cargo bench --bench backend`

#[path = "../tests/support/http.rs"]
#[allow(dead_code)]
mod http;

use std::sync::OnceLock;
use std::time::Duration;

use divan::{Bencher, counter::BytesCount, counter::ItemsCount};
use sotto::backend::local::LocalBot;
use sotto::backend::local::knowledge::{self, Section};
use sotto::backend::openai::{OpenAiBackend, OpenAiSettings};
use sotto::backend::sse::{SseLimits, SseParser};
use sotto::backend::{Backend, CancelToken, Channel};
use sotto::redact::egress::{Mode, outgoing_request};
use sotto::redact::mask::RedactionMap;
use sotto::request::{ChatMessage, ChatRequest, ChatRole};

fn main() {
    divan::main();
}

/// A realistic stream: 1,000 delta chunks as llama.cpp sends them.
fn stream_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let mut text = String::new();
        for i in 0..1000 {
            text.push_str(&http::delta(&format!("token{i} ")));
        }
        text.push_str(&http::done());
        text.into_bytes()
    })
}

/// Parsing the whole stream, fed in 4 KiB reads.
#[divan::bench]
fn sse_parse_1000_events(bencher: Bencher) {
    let bytes = stream_bytes();
    bencher.counter(ItemsCount::new(1001usize)).bench(|| {
        let mut parser = SseParser::new(SseLimits::default());
        let mut events = Vec::with_capacity(1024);
        for chunk in bytes.chunks(4096) {
            parser.feed(chunk, &mut events).unwrap();
        }
        events.len()
    });
}

/// The same, as bytes per second.
#[divan::bench]
fn sse_parse_bytes(bencher: Bencher) {
    let bytes = stream_bytes();
    bencher.counter(BytesCount::new(bytes.len())).bench(|| {
        let mut parser = SseParser::new(SseLimits::default());
        let mut events = Vec::with_capacity(1024);
        for chunk in bytes.chunks(4096) {
            parser.feed(chunk, &mut events).unwrap();
        }
        events.len()
    });
}

fn server() -> &'static http::TestServer {
    static SERVER: OnceLock<http::TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        http::TestServer::always(|| {
            http::sse(&[
                http::delta("Hello"),
                http::delta(", world"),
                http::finish("stop"),
                http::done(),
            ])
        })
    })
}

fn backend() -> &'static OpenAiBackend {
    static BACKEND: OnceLock<OpenAiBackend> = OnceLock::new();
    BACKEND.get_or_init(|| {
        OpenAiBackend::new(OpenAiSettings {
            name: "bench".into(),
            base_url: server().base_url().parse().unwrap(),
            model: Some("m".into()),
            api_key: None,
            channel: Channel::Loopback,
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(5),
            reply_timeout: Duration::from_secs(60),
            max_reply_bytes: 1 << 20,
            sse: SseLimits::default(),
            include_usage: true,
            extra_ca_pem: None,
        })
        .unwrap()
    })
}

/// A whole streamed request/reply against a loopback server that answers at
/// once: connect, send, parse, deliver. The server's own work is a few µs.
#[divan::bench(sample_count = 200, sample_size = 1)]
fn stream_reply_from_loopback_server(bencher: Bencher) {
    let backend = backend();
    let request = ChatRequest {
        messages: vec![ChatMessage {
            role: ChatRole::User,
            content: "hi".into(),
        }],
        ..Default::default()
    };
    let request = outgoing_request(request, Mode::Mask, &mut RedactionMap::default(), true);
    bencher.bench(|| {
        let mut text = String::new();
        backend
            .stream(&request, &CancelToken::new(), &mut |d| text.push_str(d))
            .unwrap();
        text
    });
}

/// The whole `sotto --incognito ask` process against the same server: process
/// start, config, backend setup, the request, output.
#[divan::bench(sample_count = 30, sample_size = 1)]
fn ask_incognito_process_against_loopback_server(bencher: Bencher) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "default_backend = \"bench\"\n[backends.bench]\nkind = \"openai\"\nbase_url = \"{}\"\n",
            server().base_url()
        ),
    )
    .unwrap();
    bencher.bench(|| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sotto"))
            .args(["--incognito", "ask", "hi", "--config"])
            .arg(&config)
            .env("SOTTO_DATA_DIR", dir.path().join("none"))
            .output()
            .unwrap();
        assert!(out.status.success());
        out
    });
}

/// `sotto --version`: the cost of starting the process at all, to subtract.
#[divan::bench(sample_count = 30, sample_size = 1)]
fn process_start_only(bencher: Bencher) {
    bencher.bench(|| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sotto"))
            .arg("--version")
            .output()
            .unwrap()
    });
}

/// The built-in base plus 1,000 generated sections of help-desk prose.
fn thousand_section_bot() -> &'static LocalBot {
    static BOT: OnceLock<LocalBot> = OnceLock::new();
    BOT.get_or_init(|| {
        const WORDS: &[&str] = &[
            "printer",
            "network",
            "vpn",
            "laptop",
            "account",
            "password",
            "email",
            "calendar",
            "invoice",
            "server",
            "backup",
            "restore",
            "install",
            "update",
            "driver",
            "monitor",
            "keyboard",
            "license",
            "badge",
            "office",
            "remote",
            "desktop",
            "folder",
            "share",
            "permission",
            "ticket",
            "phone",
            "headset",
            "camera",
            "meeting",
        ];
        let mut sections = knowledge::built_in();
        let mut seed = 42u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for i in 0..1000 {
            let title = format!("{} {} {}", WORDS[next() % WORDS.len()], WORDS[next() % WORDS.len()], i);
            let body: Vec<&str> = (0..80).map(|_| WORDS[next() % WORDS.len()]).collect();
            let asked = (0..4)
                .map(|_| {
                    let words: Vec<&str> = (0..5).map(|_| WORDS[next() % WORDS.len()]).collect();
                    words.join(" ")
                })
                .collect();
            sections.push(Section {
                id: format!("gen#{i}"),
                source: "generated.md".into(),
                headings: vec!["Runbook".into(), title],
                asked,
                body: body.join(" "),
            });
        }
        LocalBot::from_sections("bench".into(), sections, 1, Vec::new())
    })
}

/// Questions as people type them: a plain one, a misspelt one (typo
/// correction runs), one the base does not cover, and nonsense.
const QUESTIONS: &[&str] = &[
    "What makes a good passphrase?",
    "how do i delet a convresation permanantly",
    "How do I reconnect the office vpn on my laptop?",
    "zzxqv plorp",
];

#[divan::bench(args = QUESTIONS)]
fn local_answer_on_the_built_in_base(bencher: Bencher, question: &str) {
    static BOT: OnceLock<LocalBot> = OnceLock::new();
    let bot = BOT.get_or_init(|| LocalBot::from_sections("bench".into(), knowledge::built_in(), 0, Vec::new()));
    bencher.bench(|| bot.reply(question));
}

/// A bot made afresh: what choosing the built-in backend costs.
#[divan::bench]
fn local_new_bot() -> LocalBot {
    LocalBot::from_sections("bench".into(), knowledge::built_in(), 0, Vec::new())
}

/// A bot made afresh and its first answer: the index, then, at that
/// first question, the meanings of the base's terms and phrasings.
#[divan::bench]
fn local_first_answer_of_a_new_bot(bencher: Bencher) {
    bencher.bench(|| {
        let bot = LocalBot::from_sections("bench".into(), knowledge::built_in(), 0, Vec::new());
        bot.reply(QUESTIONS[0])
    });
}

#[divan::bench(args = QUESTIONS)]
fn local_answer_over_1000_sections(bencher: Bencher, question: &str) {
    let bot = thousand_section_bot();
    bencher.bench(|| bot.reply(question));
}

#[divan::bench]
fn local_follow_up_over_1000_sections(bencher: Bencher) {
    let bot = thousand_section_bot();
    bencher.bench(|| bot.reply_after(Some("how do I connect to ollama?"), "what about llama.cpp?"));
}
