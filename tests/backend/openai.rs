//! The `openai` backend against scripted servers.

use std::time::Instant;

use secrecy::SecretString;
use sotto::backend::{ConnectFailure, Finish, HttpFailure, Usage};

use super::support::http::{Recorded, Script, Step, TestServer, delta, delta_then_silence, done, finish, json, sse};
use super::*;

/// What Ollama, llama.cpp and vLLM send: a role-only first chunk with
/// `content: null`, the deltas, a finish reason, a usage chunk with an empty
/// `choices`, then `[DONE]`.
fn typical_stream() -> Vec<String> {
    let role = serde_json::json!({"id": "c", "object": "chat.completion.chunk", "model": "test-model",
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": null}, "finish_reason": null}]});
    let usage = serde_json::json!({"id": "c", "object": "chat.completion.chunk", "model": "test-model",
        "choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}});
    vec![
        format!("data: {role}\n\n"),
        delta("Hel"),
        delta("lo, "),
        delta("world"),
        finish("stop"),
        format!("data: {usage}\n\n"),
        done(),
    ]
}

#[test]
fn a_typical_stream_arrives_in_order_with_finish_reason_and_usage() {
    let server = TestServer::always(|| sse(&typical_stream()));
    let mut settings = settings(&server.base_url());
    settings.api_key = Some(SecretString::from("sk-test-key".to_owned()));
    let backend = OpenAiBackend::new(settings).unwrap();
    let (text, result) = run(&backend, &ask("hi there"));
    assert_eq!(text, "Hello, world");
    let completion = result.unwrap();
    assert_eq!(completion.finish, Finish::Stop);
    assert_eq!(completion.model.as_deref(), Some("test-model"));
    assert_eq!(
        completion.usage,
        Some(Usage {
            prompt_tokens: 9,
            completion_tokens: 3,
            total_tokens: 12
        })
    );
    let request = &server.requests()[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/v1/chat/completions")
    );
    assert_eq!(request.header("authorization"), Some("Bearer sk-test-key"));
    let body = request.json();
    assert_eq!(body["stream"], true);
    assert_eq!(body["model"], "test-model");
    assert_eq!(
        body["messages"],
        serde_json::json!([{"role": "user", "content": "hi there"}])
    );
    assert_eq!(body["stream_options"]["include_usage"], true);
}

#[test]
fn events_split_at_every_byte_arrive_whole() {
    let server = TestServer::always(|| {
        let bytes = typical_stream().concat().into_bytes();
        let mut steps = Vec::new();
        for (i, piece) in bytes.chunks(1).enumerate() {
            steps.push(Step::Bytes(piece.to_vec()));
            if i % 64 == 0 {
                steps.push(Step::Pause(Duration::from_millis(1)));
            }
        }
        Script::new(200, "text/event-stream", steps)
    });
    let backend = OpenAiBackend::new(settings(&server.base_url())).unwrap();
    let (text, result) = run(&backend, &ask("hi"));
    assert_eq!(text, "Hello, world");
    assert_eq!(result.unwrap().finish, Finish::Stop);
}

#[test]
fn keep_alives_crlf_and_unknown_fields_are_taken_in_stride() {
    let server = TestServer::always(|| {
        let odd = serde_json::json!({"id": "c", "object": "chat.completion.chunk", "system_fingerprint": "fp",
            "x_extra": {"nested": [1, 2]}, "choices": [{"index": 0, "logprobs": null,
            "delta": {"content": "kept", "reasoning_content": "ignored"}, "finish_reason": null}]});
        let events = vec![
            ": keep-alive\r\n\r\n".to_owned(),
            format!("data: {odd}\r\n\r\n"),
            ": keep-alive\r\n\r\n".to_owned(),
            finish("stop").replace('\n', "\r\n"),
            "data: [DONE]\r\n\r\n".to_owned(),
        ];
        sse(&events)
    });
    let backend = OpenAiBackend::new(settings(&server.base_url())).unwrap();
    let (text, result) = run(&backend, &ask("hi"));
    assert_eq!(text, "kept");
    assert!(result.is_ok());
}

#[test]
fn an_error_inside_the_stream_is_reported_and_what_arrived_is_kept() {
    let server = TestServer::always(|| {
        let error = serde_json::json!({"error": {"message": "model overloaded", "type": "server_error"}});
        sse(&[delta("Partial "), format!("data: {error}\n\n")])
    });
    let backend = OpenAiBackend::new(settings(&server.base_url())).unwrap();
    let (text, result) = run(&backend, &ask("hi"));
    assert_eq!(text, "Partial ");
    let err = result.unwrap_err();
    assert!(matches!(err, BackendError::InStream { .. }), "{err}");
    assert!(
        err.to_string().contains("'model overloaded'") || err.to_string().contains("model overloaded"),
        "{err}"
    );
}

#[test]
fn http_errors_say_what_happened_and_what_to_do() {
    let cases: Vec<(u16, serde_json::Value, Option<&str>, &str)> = vec![
        (
            401,
            serde_json::json!({"error": {"message": "Incorrect API key provided"}}),
            None,
            "rejected the API key",
        ),
        (
            403,
            serde_json::json!({"error": "forbidden"}),
            None,
            "rejected the API key",
        ),
        (
            429,
            serde_json::json!({"error": {"message": "slow down"}}),
            Some("20"),
            "retry after '20'",
        ),
        (
            400,
            serde_json::json!({"object": "error", "message": "This model's maximum context length is 2048 tokens"}),
            None,
            "maximum context length is 2048 tokens",
        ),
        (404, serde_json::json!({"detail": "Not Found"}), None, "ends in '/v1'"),
        (
            503,
            serde_json::json!({"error": {"message": "loading model"}}),
            None,
            "Try again later",
        ),
    ];
    for (status, body, retry_after, expected) in cases {
        let server = TestServer::always(move || {
            let script = json(status, body.clone());
            match retry_after {
                Some(value) => script.header("Retry-After", value),
                None => script,
            }
        });
        let backend = OpenAiBackend::new(settings(&server.base_url())).unwrap();
        let (text, result) = run(&backend, &ask("hi"));
        assert!(text.is_empty());
        let err = result.unwrap_err();
        match &err {
            BackendError::Http { status: got, kind, .. } => {
                assert_eq!(*got, status);
                if status == 429 {
                    assert_eq!(
                        kind,
                        &HttpFailure::RateLimited {
                            retry_after: Some("20".into())
                        }
                    );
                }
            }
            other => panic!("HTTP {status}: expected an HTTP error, got {other}"),
        }
        assert!(err.to_string().contains(expected), "HTTP {status}: {err}");
    }
}

#[test]
fn a_refused_connection_is_a_clear_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }; // nothing listens there any more
    let backend = OpenAiBackend::new(settings(&format!("http://127.0.0.1:{port}/v1"))).unwrap();
    let err = run(&backend, &ask("hi")).1.unwrap_err();
    assert!(
        matches!(
            &err,
            BackendError::Connect {
                reason: ConnectFailure::Refused,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("Is the server running"), "{err}");
}

#[test]
fn an_unknown_host_is_a_dns_error() {
    let mut settings = settings("https://sotto-test.invalid/v1");
    settings.channel = Channel::Tls;
    let backend = OpenAiBackend::new(settings).unwrap();
    let err = run(&backend, &ask("hi")).1.unwrap_err();
    assert!(
        matches!(
            &err,
            BackendError::Connect {
                reason: ConnectFailure::Dns,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn tls_to_a_server_that_does_not_speak_it_fails_the_handshake() {
    let server = TestServer::always(|| sse(&typical_stream()));
    let mut settings = settings(&format!("https://127.0.0.1:{}/v1", server.port()));
    settings.channel = Channel::Tls;
    let backend = OpenAiBackend::new(settings).unwrap();
    let err = run(&backend, &ask("hi")).1.unwrap_err();
    assert!(
        matches!(
            &err,
            BackendError::Connect {
                reason: ConnectFailure::Tls(_),
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_server_that_stalls_mid_reply_times_out_and_what_arrived_is_kept() {
    let server = TestServer::always(|| delta_then_silence("Before the stall", Duration::from_secs(5)));
    let mut settings = settings(&server.base_url());
    settings.read_timeout = Duration::from_millis(300);
    let backend = OpenAiBackend::new(settings).unwrap();
    let started = Instant::now();
    let (text, result) = run(&backend, &ask("hi"));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(text, "Before the stall");
    assert!(matches!(result, Err(BackendError::Stalled { .. })), "{result:?}");
}

#[test]
fn a_server_that_trickles_keep_alives_or_single_bytes_is_stopped_at_the_reply_deadline() {
    // Each piece resets the read timeout; only the overall deadline ends it.
    let keep_alives = |_: &Recorded| {
        let mut steps = vec![Step::Bytes(delta("Slow start. ").into_bytes())];
        for _ in 0..40 {
            steps.push(Step::Pause(Duration::from_millis(100)));
            steps.push(Step::Bytes(b": keep-alive\n\n".to_vec()));
        }
        Script::new(200, "text/event-stream", steps)
    };
    let single_bytes = |_: &Recorded| {
        let mut steps = vec![Step::Bytes(delta("Slow start. ").into_bytes())];
        for byte in delta("never whole").into_bytes() {
            steps.push(Step::Pause(Duration::from_millis(100)));
            steps.push(Step::Bytes(vec![byte]));
        }
        Script::new(200, "text/event-stream", steps)
    };
    for server in [TestServer::start(keep_alives), TestServer::start(single_bytes)] {
        let mut settings = settings(&server.base_url());
        settings.read_timeout = Duration::from_millis(500);
        settings.reply_timeout = Duration::from_secs(1);
        let backend = OpenAiBackend::new(settings).unwrap();
        let started = Instant::now();
        let (text, result) = run(&backend, &ask("hi"));
        let took = started.elapsed();
        assert!(
            took >= Duration::from_secs(1) && took < Duration::from_secs(3),
            "took {took:?}"
        );
        assert_eq!(text, "Slow start. ");
        let err = result.unwrap_err();
        assert!(matches!(err, BackendError::TooSlow { seconds: 1, .. }), "{err:?}");
        assert!(err.to_string().contains("reply_timeout_secs"), "{err}");
    }
}

#[test]
fn an_absurdly_long_reply_deadline_means_none_and_never_overflows() {
    let server = TestServer::always(|| sse(&typical_stream()));
    let mut settings = settings(&server.base_url());
    settings.reply_timeout = Duration::from_secs(u64::MAX);
    let backend = OpenAiBackend::new(settings).unwrap();
    let (text, result) = run(&backend, &ask("hi"));
    assert!(result.is_ok(), "{result:?}");
    assert!(!text.is_empty());
}

#[test]
fn a_server_that_never_answers_times_out() {
    let server = TestServer::always(Script::never_answers);
    let mut settings = settings(&server.base_url());
    settings.read_timeout = Duration::from_millis(300);
    let backend = OpenAiBackend::new(settings).unwrap();
    let started = Instant::now();
    let result = run(&backend, &ask("hi")).1;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(matches!(result, Err(BackendError::Stalled { .. })), "{result:?}");
}

#[test]
fn a_connection_dropped_mid_event_is_interrupted_and_what_arrived_is_kept() {
    let server = TestServer::always(|| {
        let half = delta("never finished");
        Script::new(
            200,
            "text/event-stream",
            vec![
                Step::Bytes(delta("Kept. ").into_bytes()),
                Step::Bytes(half.as_bytes()[..20].to_vec()),
                Step::Drop,
            ],
        )
    });
    let backend = OpenAiBackend::new(settings(&server.base_url())).unwrap();
    let (text, result) = run(&backend, &ask("hi"));
    assert_eq!(text, "Kept. ");
    assert!(matches!(result, Err(BackendError::Interrupted { .. })), "{result:?}");
}

#[test]
fn a_100_mb_reply_stops_at_the_cap_and_reads_truncated() {
    let server = TestServer::always(|| {
        let piece = delta(&"é".repeat(500)).into_bytes(); // 1,000 bytes of text per event
        let count = 100 * 1024 * 1024 / piece.len();
        Script::new(200, "text/event-stream", vec![Step::Repeat(piece, count)])
    });
    let mut settings = settings(&server.base_url());
    settings.max_reply_bytes = 64 * 1024 + 1; // lands inside a two-byte character
    let backend = OpenAiBackend::new(settings).unwrap();
    let started = Instant::now();
    let (text, result) = run(&backend, &ask("hi"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(result.unwrap().finish, Finish::Truncated);
    assert_eq!(text.len(), 64 * 1024, "cut at the last whole character under the cap");
    assert!(text.chars().all(|c| c == 'é'));
}

#[test]
fn malformed_json_in_an_event_is_a_protocol_error() {
    let server = TestServer::always(|| sse(&[delta("ok "), "data: {\"choices\": [\n\n".to_owned()]));
    let backend = OpenAiBackend::new(settings(&server.base_url())).unwrap();
    let (text, result) = run(&backend, &ask("hi"));
    assert_eq!(text, "ok ");
    assert!(matches!(result, Err(BackendError::Protocol { .. })), "{result:?}");
}

#[test]
fn a_10_mb_line_is_refused_without_holding_it() {
    let server = TestServer::always(|| {
        Script::new(
            200,
            "text/event-stream",
            vec![
                Step::Bytes(b"data: ".to_vec()),
                Step::Repeat(vec![b'x'; 64 * 1024], 160),
            ],
        )
    });
    let backend = OpenAiBackend::new(settings(&server.base_url())).unwrap();
    let result = run(&backend, &ask("hi")).1;
    let err = result.unwrap_err();
    assert!(err.to_string().contains("a line longer than"), "{err}");
}

#[test]
fn cancelling_returns_at_once_with_what_arrived() {
    let server = TestServer::always(|| delta_then_silence("First words", Duration::from_secs(30)));
    let mut settings = settings(&server.base_url());
    settings.read_timeout = Duration::from_secs(60);
    let backend = OpenAiBackend::new(settings).unwrap();
    let cancel = CancelToken::new();
    let mut text = String::new();
    let started = Instant::now();
    let result = std::thread::scope(|scope| {
        let canceller = cancel.clone();
        scope.spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            canceller.cancel();
        });
        backend.stream(&ask("hi"), &cancel, &mut |d| text.push_str(d))
    });
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(text, "First words");
    assert_eq!(result.unwrap().finish, Finish::Cancelled);
}

#[test]
fn a_server_that_ignores_stream_true_still_answers() {
    let server = TestServer::always(|| {
        json(
            200,
            serde_json::json!({"id": "c", "object": "chat.completion", "model": "m",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "All at once."},
                "finish_reason": "stop"}], "usage": {"prompt_tokens": 1, "completion_tokens": 3, "total_tokens": 4}}),
        )
    });
    let backend = OpenAiBackend::new(settings(&server.base_url())).unwrap();
    let (text, result) = run(&backend, &ask("hi"));
    assert_eq!(text, "All at once.");
    assert_eq!(result.unwrap().usage.map(|u| u.total_tokens), Some(4));
}

#[test]
fn a_stream_that_ends_without_done_is_complete_only_if_the_model_finished() {
    let finished = TestServer::always(|| sse(&[delta("done"), finish("length")]));
    let backend = OpenAiBackend::new(settings(&finished.base_url())).unwrap();
    assert_eq!(run(&backend, &ask("hi")).1.unwrap().finish, Finish::Length);

    let cut = TestServer::always(|| sse(&[delta("cut")]));
    let backend = OpenAiBackend::new(settings(&cut.base_url())).unwrap();
    assert!(matches!(
        run(&backend, &ask("hi")).1,
        Err(BackendError::Interrupted { .. })
    ));
}

#[test]
fn models_are_listed_and_health_checks_the_key() {
    let server = TestServer::start(|request| match request.header("authorization") {
        Some("Bearer good") => json(
            200,
            serde_json::json!({"object": "list", "data": [{"id": "smollm2-135m", "object": "model"}, {"id": "qwen"}]}),
        ),
        _ => json(401, serde_json::json!({"error": {"message": "bad key"}})),
    });
    let mut good = settings(&server.base_url());
    good.api_key = Some(SecretString::from("good".to_owned()));
    let backend = OpenAiBackend::new(good).unwrap();
    assert_eq!(
        backend.list_models().unwrap(),
        Some(vec!["smollm2-135m".to_owned(), "qwen".to_owned()])
    );
    backend.health().unwrap();
    assert_eq!(server.requests()[0].path, "/v1/models");

    let mut bad = settings(&server.base_url());
    bad.api_key = Some(SecretString::from("bad".to_owned()));
    let err = OpenAiBackend::new(bad).unwrap().health().unwrap_err();
    assert!(err.to_string().contains("rejected the API key"), "{err}");
}

#[test]
fn without_a_key_no_authorization_header_is_sent() {
    let server = TestServer::always(|| sse(&typical_stream()));
    let backend = OpenAiBackend::new(settings(&server.base_url())).unwrap();
    run(&backend, &ask("hi")).1.unwrap();
    assert_eq!(server.requests()[0].header("authorization"), None);
}

#[test]
fn redirects_are_not_followed() {
    let elsewhere = TestServer::always(|| sse(&typical_stream()));
    let target = format!("{}/chat/completions", elsewhere.base_url());
    let server = TestServer::always(move || {
        Script::new(307, "text/plain", vec![Step::Bytes(b"moved".to_vec())]).header("Location", &target)
    });
    let backend = OpenAiBackend::new(settings(&server.base_url())).unwrap();
    let err = run(&backend, &ask("hi")).1.unwrap_err();
    assert!(matches!(err, BackendError::Http { status: 307, .. }), "{err}");
    assert!(
        elsewhere.requests().is_empty(),
        "the conversation went to the redirect target"
    );
}

#[test]
fn the_api_key_never_shows_in_debug_output_or_errors() {
    // Servers that echo the key they refused, as some do: in an error body,
    // and inside a stream.
    let refusing = TestServer::always(|| {
        json(
            401,
            serde_json::json!({"error": {"message": "Incorrect API key provided: sk-secret-canary-123"}}),
        )
    });
    let in_stream = TestServer::always(|| {
        sse(&[format!(
            "data: {}\n\n",
            serde_json::json!({"error": {"message": "key sk-secret-canary-123 has no quota"}})
        )])
    });
    for (server, expected) in [
        (refusing, "Incorrect API key provided: [api key]"),
        (in_stream, "key [api key] has no quota"),
    ] {
        let mut settings = settings(&server.base_url());
        settings.api_key = Some(SecretString::from("sk-secret-canary-123".to_owned()));
        let backend = OpenAiBackend::new(settings).unwrap();
        let err = run(&backend, &ask("hi")).1.unwrap_err();
        let shown = format!("{backend:?} {err} {err:?}");
        assert!(!shown.contains("sk-secret-canary-123"), "{shown}");
        assert!(shown.contains(expected), "{shown}");
    }
}

#[test]
fn a_content_type_in_capitals_still_streams() {
    let server = TestServer::always(|| {
        Script::new(
            200,
            "Text/Event-Stream; charset=utf-8",
            vec![Step::Bytes(typical_stream().concat().into_bytes())],
        )
    });
    let backend = OpenAiBackend::new(settings(&server.base_url())).unwrap();
    let (text, result) = run(&backend, &ask("hi"));
    assert_eq!(text, "Hello, world");
    assert_eq!(result.unwrap().finish, Finish::Stop);
}

#[test]
fn a_host_name_with_tls_in_it_is_not_mistaken_for_a_tls_failure() {
    let mut settings = settings("https://tls-handshake-certificate.invalid/v1");
    settings.channel = Channel::Tls;
    let backend = OpenAiBackend::new(settings).unwrap();
    let err = run(&backend, &ask("hi")).1.unwrap_err();
    assert!(
        matches!(
            &err,
            BackendError::Connect {
                reason: ConnectFailure::Dns,
                ..
            }
        ),
        "{err}"
    );
}
