//! Fuzzing as property tests in `cargo test`: cargo-fuzz needs a nightly
//! toolchain that CI does not have. Each target gets inputs built from its
//! own dictionary of the pieces its parser cares about, and mutations of the
//! inputs kept under `tests/data/fuzz/<target>/`, which every run replays
//! first (valid seeds, and every input that once failed).
//!
//! By default each target runs a few thousand cases (about a second in all),
//! which is what CI runs. `SOTTO_FUZZ_SECONDS=600 cargo test --lib fuzz` runs
//! each target for ten minutes; `SOTTO_FUZZ_SEED` repeats a run. A failing
//! input is written to the target's directory (so it becomes a regression
//! test) and printed in hex, never as text.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Cases per target when no time budget is set.
const DEFAULT_CASES: usize = 3000;
/// The longest generated input, in dictionary pieces.
const MAX_PIECES: usize = 48;

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fuzz")
        .join(target)
}

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir(target))
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

/// Runs `check` on the corpus of `target`, then on generated inputs until
/// the budget is spent. `check` panics when a property does not hold.
fn fuzz(target: &str, pieces: &[&[u8]], check: impl Fn(&[u8])) {
    let seed = std::env::var("SOTTO_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().r#gen::<u64>());
    let deadline = std::env::var("SOTTO_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(|secs| Instant::now() + Duration::from_secs(secs));
    let mut rng = StdRng::seed_from_u64(seed);
    let seeds = corpus(target);
    let attempt = |input: &[u8]| {
        if catch_unwind(AssertUnwindSafe(|| check(input))).is_err() {
            let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
            let dir = corpus_dir(target);
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(dir.join(format!("found-{seed:016x}-{}.bin", input.len())), input);
            panic!(
                "fuzz target '{target}' failed (seed {seed}) on input {hex}; it was saved under {}",
                dir.display()
            );
        }
    };
    for input in &seeds {
        attempt(input);
    }
    let mut cases = 0;
    loop {
        let done = match deadline {
            Some(deadline) => Instant::now() >= deadline,
            None => cases >= DEFAULT_CASES,
        };
        if done {
            break;
        }
        let input = if !seeds.is_empty() && rng.gen_bool(0.5) {
            mutate(&seeds[rng.gen_range(0..seeds.len())], pieces, &mut rng)
        } else {
            generate(pieces, &mut rng)
        };
        attempt(&input);
        cases += 1;
    }
    if deadline.is_some() {
        eprintln!(
            "fuzz '{target}': {cases} cases and {} corpus inputs, seed {seed}",
            seeds.len()
        );
    }
}

fn piece(pieces: &[&[u8]], rng: &mut StdRng) -> Vec<u8> {
    match rng.gen_range(0..10) {
        0..7 if !pieces.is_empty() => pieces[rng.gen_range(0..pieces.len())].to_vec(),
        7 => vec![rng.r#gen::<u8>()],
        _ => {
            let c = char::from_u32(rng.gen_range(0..0x11_0000)).unwrap_or('\u{fffd}');
            c.to_string().into_bytes()
        }
    }
}

fn generate(pieces: &[&[u8]], rng: &mut StdRng) -> Vec<u8> {
    let n = rng.gen_range(0..=MAX_PIECES);
    (0..n).flat_map(|_| piece(pieces, rng)).collect()
}

fn mutate(seed: &[u8], pieces: &[&[u8]], rng: &mut StdRng) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..rng.gen_range(1..=8) {
        let at = rng.gen_range(0..=out.len());
        match rng.gen_range(0..5) {
            0 => {
                let p = piece(pieces, rng);
                out.splice(at..at, p);
            }
            1 if at < out.len() => {
                let end = (at + rng.gen_range(1..=16)).min(out.len());
                out.drain(at..end);
            }
            2 if at < out.len() => out[at] ^= 1 << rng.gen_range(0..8),
            3 if at < out.len() => {
                let end = (at + rng.gen_range(1..=32)).min(out.len());
                let copy = out[at..end].to_vec();
                out.splice(at..at, copy);
            }
            _ => out.truncate(at),
        }
    }
    out
}

/// Splits `input` at random places, for parsers fed in pieces.
fn chunks<'a>(input: &'a [u8], rng: &mut StdRng) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let n = rng.gen_range(1..=rest.len().min(64));
        let (head, tail) = rest.split_at(n);
        out.push(head);
        rest = tail;
    }
    out
}

#[test]
fn sse_stream_parser() {
    use crate::backend::sse::{SseLimits, SseParser};
    let pieces: &[&[u8]] = &[
        b"data: ",
        b"data:",
        b"event: ",
        b"id: 1",
        b"retry: 10",
        b": comment",
        b"\n",
        b"\r\n",
        b"\r",
        b"\n\n",
        b"[DONE]",
        b"{\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}",
        b"\xff",
        b"\x00",
        b"data: \x1b[2J",
    ];
    fuzz("sse", pieces, |input| {
        let limits = SseLimits {
            max_line: 256,
            max_event: 1024,
        };
        let mut rng = StdRng::seed_from_u64(input.len() as u64);
        let mut parser = SseParser::new(limits);
        let mut events = Vec::new();
        for chunk in chunks(input, &mut rng) {
            if parser.feed(chunk, &mut events).is_err() {
                break;
            }
        }
        parser.finish();
        for event in &events {
            assert!(event.data.len() <= limits.max_event, "an event over the limit");
            // What the client decodes from each event must not panic either.
            let _ = serde_json::from_str::<crate::backend::openai::wire::Chunk>(&event.data);
        }
    });
}

#[test]
fn markdown_renderer_and_sanitiser() {
    use crate::theme::Theme;
    use crate::ui::markdown::{MarkdownView, render};
    let pieces: &[&[u8]] = &[
        b"```",
        b"```rust\n",
        b"~~~",
        b"\n",
        b"# ",
        b"## ",
        b"> ",
        b"- ",
        b"1. ",
        b"**",
        b"*",
        b"_",
        b"`",
        b"[x](y)",
        b"---\n",
        b"| a | b |\n",
        b"|:--|--:|\n",
        b"|",
        b"===\n",
        b"- [ ] ",
        b"- [x] ",
        b"~~",
        b"[^1]",
        b"[^1]: ",
        b"[r]: http://r\n",
        b"![alt](i.png)",
        b"<!--",
        b"-->",
        b"<div>\n",
        b"\\\n",
        b"\r",
        b"    ",
        b"\t",
        b"\x1b[2J",
        b"\x1b]52;c;AAAA\x07",
        b"\x1b]8;;http://x\x1b\\",
        b"\xc2\x9b",
        b"\xe2\x80\xae",
        b"\xe2\x81\xa6",
        b"fn main() { let s = \"x\"; } // c",
        b"\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9",
    ];
    let theme = Theme::fallback(false);
    fuzz("markdown", pieces, |input| {
        let text = String::from_utf8_lossy(input);
        let whole = render(&text, &theme, 1);
        for block in &whole {
            for span in block.spans() {
                assert_eq!(
                    crate::sanitize::for_terminal(&span.content),
                    span.content,
                    "a control character reached the screen"
                );
            }
        }
        // Laid out at any width (tables too), nothing panics or overflows.
        for width in [1, 9, 40] {
            for block in &whole {
                for row in block.rows(width) {
                    // A wide character takes two columns even where one is
                    // left for text (the frame clips that one column).
                    let drawn: usize = row
                        .spans
                        .iter()
                        .map(|s| crate::model::wrap::display_width(&s.content))
                        .sum();
                    assert!(drawn <= width + 1, "a row wider than the pane");
                }
            }
        }
        // Streamed in pieces, the incremental renderer gives the same lines.
        let mut view = MarkdownView::default();
        let mut rng = StdRng::seed_from_u64(input.len() as u64);
        let mut end = 0;
        while end < text.len() {
            end = (end + rng.gen_range(1..=16)).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            view.update(&text[..end], &theme, 1);
        }
        view.update(&text, &theme, 1);
        let streamed: Vec<_> = view.blocks().cloned().collect();
        assert_eq!(streamed, whole, "streaming changed the rendering");
    });
}

#[test]
fn markdown_export_leaves_nothing_a_viewer_loads_or_follows() {
    use crate::export::defuse::{defuse, live_parts};
    let pieces: &[&[u8]] = &[
        b"![",
        b"](",
        b"[",
        b"]",
        b"(",
        b")",
        b"https://h/p.png",
        b"//h/",
        b"www.h",
        b"<img src=",
        b"<mailto:",
        b"<",
        b">",
        b"`",
        b"``",
        b"```",
        b"~~~",
        b"\n",
        b"\n\n",
        b" ",
        b"   ",
        b"    ",
        b"\t",
        b"> ",
        b"- ",
        b"1. ",
        b"\\",
        b"!",
        b":",
        b"\"t\"",
        b"x",
        b"[EMAIL_1]",
    ];
    fuzz("defuse", pieces, |input| {
        // As the export does it: sanitised first (no control characters,
        // so no lone carriage return, which parsers disagree on).
        let text = crate::sanitize::for_terminal(&String::from_utf8_lossy(input)).into_owned();
        let inert = defuse(&text);
        assert_eq!(
            live_parts(&inert),
            Vec::<String>::new(),
            "a live image, link or URL remains"
        );
    });
}

#[test]
fn slash_commands_typed_in_the_chat_screen() {
    use crate::model::state::tests_support::chat_state;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let mut pieces: Vec<&[u8]> = crate::model::commands::COMMANDS
        .iter()
        .map(|c| c.name.as_bytes())
        .collect();
    pieces.extend_from_slice(&[
        b"/",
        b"//",
        b" ",
        b"all",
        b"before",
        b"vault",
        b"7d",
        b"0d",
        b"forever",
        b"md",
        b"plaintext",
        b"off",
        b"9",
        b"\n",
        b"\x1b",
        b"-1",
        b"99999999999999999999",
        b"\xe2\x80\xae",
    ]);
    fuzz("commands", &pieces, |input| {
        let text = String::from_utf8_lossy(input);
        if let Some((name, _)) = crate::model::commands::parse(&text) {
            let typed = text.trim_start();
            assert!(
                typed.starts_with('/') && !typed.starts_with("//"),
                "parsed a non-command"
            );
            assert!(!name.contains(char::is_whitespace), "a name with a space");
        }
        let _ = crate::model::commands::completions(&text);
        // Typed and entered: every handler takes any arguments without panicking.
        let mut state = chat_state();
        state.current = Some(crate::store::ConversationId::random());
        state.editor.set_text(&text);
        let _ = crate::update::update(
            &mut state,
            crate::model::msg::Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
        );
    });
}

#[test]
fn sealed_records_and_their_decoding() {
    use crate::crypto::DataKey;
    use crate::crypto::seal::{self, RecordSlot};
    let key = DataKey::generate();
    let slot = RecordSlot {
        tree: "messages",
        key: b"\x01\x02",
    };
    let pieces: &[&[u8]] = &[
        b"{",
        b"}",
        b"\"role\":\"user\"",
        b"\"at\":1",
        b"\"text\":\"x\"",
        b"\"meta\":{}",
        b",",
        b"\"title\":\"t\"",
        b"\"state\":\"complete\"",
        b"null",
        b"[",
        b"]",
        b"1e999",
        b"\"\\ud800\"",
        b"\"next_seq\":18446744073709551615",
        b"\"message_count\":0",
        b"\"retention\":\"7d\"",
        b"\"created\":1",
    ];
    fuzz("records", pieces, |input| {
        // Random bytes as a sealed record never open (and never panic).
        assert!(seal::open(&key, slot, input).is_err(), "random bytes authenticated");
        // Sealed, then altered at one place: refused.
        let sealed = seal::seal(&key, slot, input);
        let mut altered = sealed.clone().into_bytes();
        let at = input.len() % altered.len();
        altered[at] ^= 0x40;
        assert!(seal::open(&key, slot, &altered).is_err(), "an altered record opened");
        // Whatever a record holds once opened, decoding it returns, never panics.
        use crate::store::records::{TreeId, open_value};
        let plaintext = seal::seal(
            &key,
            RecordSlot {
                tree: "audit",
                key: b"k",
            },
            input,
        );
        let _ = open_value::<crate::store::AuditEvent>(&key, TreeId::Audit, b"k", plaintext.as_bytes());
        let plaintext = seal::seal(
            &key,
            RecordSlot {
                tree: "messages",
                key: b"k",
            },
            input,
        );
        let _ = open_value::<crate::store::MessageMeta>(&key, TreeId::Messages, b"k", plaintext.as_bytes());
        let _ = open_value::<crate::store::messages::MessageRecord>(&key, TreeId::Messages, b"k", plaintext.as_bytes());
        let plaintext = seal::seal(
            &key,
            RecordSlot {
                tree: "index",
                key: b"k",
            },
            input,
        );
        let _ = open_value::<crate::store::conversations::IndexRecord>(&key, TreeId::Index, b"k", plaintext.as_bytes());
        let _ = String::from_utf8_lossy(input).parse::<crate::store::ConversationId>();
    });
}

#[test]
fn config_and_theme_files() {
    let pieces: &[&[u8]] = &[
        b"default_backend = \"local\"\n",
        b"[backends.llama]\n",
        b"kind = \"openai\"\n",
        b"kind = \"local\"\n",
        b"base_url = \"http://127.0.0.1:11434/v1\"\n",
        b"base_url = \"https://u:p@x/\"\n",
        b"model = \"m\"\n",
        b"api_key_env = \"KEY\"\n",
        b"api_key_command = \"pass x\"\n",
        b"max_reply_kib = 99999999999\n",
        b"auto_lock_minutes = -1\n",
        b"[context]\n",
        b"max_messages = 0\n",
        b"allow_insecure_http = true\n",
        b"=",
        b"\"",
        b"[",
        b"]",
        b"\n",
        b"#",
        b"accent = \"#ff00ff\"\n",
        b"base = \"light\"\n",
        b"text = \"not a colour\"\n",
        b"\x1b[31m",
    ];
    fuzz("config", pieces, |input| {
        let text = String::from_utf8_lossy(input);
        if let Err(e) = crate::config::Config::parse(std::path::Path::new("config.toml"), &text) {
            let message = e.to_string();
            assert_eq!(
                crate::sanitize::for_terminal(&message),
                message,
                "a control character in an error"
            );
        }
        let _ = crate::theme::apply_text("fuzz.toml", &text);
    });
}

#[test]
fn export_files_read_back_by_import() {
    let pieces: &[&[u8]] = &[
        b"{\"schema\":\"sotto.export/1\",\"exported_at\":\"2026-11-30T12:00:00.000Z\",\"scope\":{\"kind\":\"vault\"},\"conversations\":[",
        b"{\"id\":\"5d0c035ca243813e13be53e9c044983b\",\"title\":\"t\",\"created\":\"2026-11-30T12:00:00.000Z\",\"updated\":\"2026-11-30T12:00:00.000Z\",\"messages\":[",
        b"{\"seq\":0,\"role\":\"user\",\"at\":\"2026-11-30T12:00:00.000Z\",\"text\":\"x\"}", b",", b"]}", b"]", b"}",
        b"\"retention\":\"7d\",", b"\"seq\":18446744073709551615", b"\"state\":\"cancelled\"", b"# sotto export",
        b"age-encryption.org/v1\n",
    ];
    fuzz("import", pieces, |input| {
        let _ = crate::export::read::parse(input);
    });
}

#[test]
fn redaction_detectors_masking_and_streamed_unmasking() {
    use crate::redact::detect;
    use crate::redact::mask::{RedactionMap, Unmasker};
    let pieces: &[&[u8]] = &[
        b"jane.doe@example.org",
        b"4111 1111 1111 1111",
        b"4111-1111-1111-1111",
        b"DE89 3704 0044 0532 0130 00",
        b"GB82WEST12345698765432",
        b"SSN 123-45-6789",
        b"078-05-1120",
        b"192.168.1.20",
        b"2001:db8::1",
        b"v1.2.3.4",
        b"https://user:hunter2@host.example/",
        b"sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD",
        b"AKIAIOSFODNN7EXAMPLE",
        b"ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
        b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
        b"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----",
        b"password=Zq8#vLp2!xR",
        b"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
        b"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        b"0x52908400098527886E0F7030069857D2E4169EE7",
        b"+44 20 7946 0958",
        b"(555) 123-4567",
        b"030 12345678",
        b"06 12 34 56 78",
        b"(0)20 7946 0958 ext. 204",
        b"Phone: ",
        b"phoneNumber",
        b"| Phone |",
        b"tel:",
        b"fe80::1%eth0",
        b"::ffff:192.0.2.1",
        b"123.45.6789",
        b"Authorization: Bearer ",
        b"--password ",
        b"\"password\": \"",
        b"postgres://app:s3cr3t@db:5432/x",
        b"-----BEGIN OPENSSH PRIVATE KEY-----",
        b"AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
        b"xoxb-1234-5678-abcdefghijklmnop",
        b"glpat-0123456789abcdefghij",
        b"YOUR_API_KEY",
        b"My name is ",
        b"Dear ",
        b"Ship to: ",
        b"221B Baker Street",
        b"Jane O'Neil",
        b"[EMAIL_1]",
        b"[CREDIT_CARD_12]",
        b"![s](",
        b"](",
        b")",
        b"<mailto:",
        b">",
        b"www.",
        b"//",
        b"[",
        b"]",
        b" ",
        b"\n",
        b"@",
        b":",
        b"-",
        b"0",
        b"9",
        b"\xc3\xa9",
        b"\xe2\x80\xae",
        b"\t",
        b"|",
        b"=",
        b"\"",
    ];
    fuzz("redact", pieces, |input| {
        let text = String::from_utf8_lossy(input);
        let found = detect(&text);
        let mut end = 0;
        for f in &found {
            assert!(f.start < f.end && f.end <= text.len(), "a finding out of bounds");
            assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
            assert!(f.start >= end, "findings overlap or are out of order");
            end = f.end;
        }
        let mut map = RedactionMap::default();
        let masked = map.mask(&text);
        // Every finding is masked; anything else masked is another
        // occurrence of a value found.
        let mut end = 0;
        for f in &masked.findings {
            assert!(f.start >= end, "masked spans overlap or are out of order");
            end = f.end;
            let value = &text[f.start..f.end];
            assert!(
                found.contains(f) || found.iter().any(|g| &text[g.start..g.end] == value),
                "a span masked that is neither a finding nor a value found"
            );
        }
        assert!(
            found.iter().all(|f| masked.findings.contains(f)),
            "a finding left unmasked"
        );
        // What the user wrote comes back exactly when the reply quotes the
        // placeholders (text that already looks like one is left aside);
        // shown, placeholders inside URLs stay.
        if !text.contains('[') {
            assert_eq!(
                map.unmask_everywhere(&masked.text),
                *text,
                "masking does not round-trip"
            );
        }
        // A reply streamed in any pieces shows what it shows whole.
        let mut rng = StdRng::seed_from_u64(input.len() as u64);
        let reply = masked.text.as_bytes();
        let mut unmasker = Unmasker::new(&map);
        let mut shown = String::new();
        let mut at = 0;
        for piece in chunks(reply, &mut rng) {
            let next = at + piece.len();
            if masked.text.is_char_boundary(next) {
                shown.push_str(&unmasker.push(&masked.text[at..next]));
                at = next;
            }
        }
        shown.push_str(&unmasker.push(&masked.text[at..]));
        shown.push_str(&unmasker.finish());
        assert_eq!(shown, map.unmask(&masked.text), "streamed unmasking differs");
    });
}
