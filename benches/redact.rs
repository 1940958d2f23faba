//! Detection speed: throughput on mixed text and the latency for one
//! 2,000-character support message (targets: >= 20 MB/s, <= 200 µs); and
//! masking one such message in a conversation that already withheld many
//! values, each masked wherever it appears again.

use divan::Bencher;
use divan::counter::BytesCount;
use sotto::redact::detect;
use sotto::redact::mask::RedactionMap;

fn main() {
    divan::main();
}

const MIXED: &str = "Hi team, the order #100234567 from 2024-03-15 failed. My card 4111 1111 1111 1111 was \
charged $49.99 twice; reply to jane.doe@example.org or call +44 20 7946 0958. The server at 203.0.113.42 runs \
v2.3.1 and the logs show token ghp_R8d2kLq9ZxW3mN7pT4vB6yC1fH5jK0sA2uE8. Refund to GB82 WEST 1234 5698 7654 32. \
Nothing else here: 1,299 items, 12:30 meeting, ticket INC0012345, commit 3f2a9c1e8b7d6f5a4c3b2a1908f7e6d5c4b3a291. ";

const PROSE: &str = "Thanks for getting back to me so quickly. I tried the steps from the article, restarted the \
app twice and cleared the cache, but the sync still stops at about eighty percent. It started after the update \
last week; before that everything worked fine on both my laptop and my phone. Could you check on your side? ";

/// `size` bytes of `unit` repeated (the units are ASCII, so any cut is a char boundary).
fn text_of(size: usize, unit: &str) -> String {
    unit.repeat(size / unit.len() + 1)[..size].to_owned()
}

fn message_of_2000_chars() -> String {
    let mut text = MIXED.repeat(4);
    let cut = text.char_indices().nth(2000).map_or(text.len(), |(i, _)| i);
    text.truncate(cut);
    text
}

/// Mixed support text with personal data in it, 1 MiB.
#[divan::bench]
fn throughput_mixed_text(bencher: Bencher) {
    let text = text_of(1 << 20, MIXED);
    bencher
        .counter(BytesCount::of_str(&text))
        .bench(|| detect(divan::black_box(&text)));
}

/// Ordinary prose with nothing to find, 1 MiB.
#[divan::bench]
fn throughput_plain_prose(bencher: Bencher) {
    let text = text_of(1 << 20, PROSE);
    bencher
        .counter(BytesCount::of_str(&text))
        .bench(|| detect(divan::black_box(&text)));
}

/// One 2,000-character message, as a send is checked.
#[divan::bench]
fn latency_2000_char_message(bencher: Bencher) {
    let text = message_of_2000_chars();
    bencher.bench(|| detect(divan::black_box(&text)));
}

/// A conversation that has withheld 50 values before.
fn map_of_50_values() -> RedactionMap {
    let mut map = RedactionMap::default();
    for i in 0..50 {
        map.mask(&format!("write to user{i}.name@example.org"));
    }
    assert_eq!(map.len(), 50);
    map
}

/// One 2,000-character message with values new to a conversation that has
/// withheld 50 before: the worst case, the searcher for known values is
/// built again.
#[divan::bench]
fn latency_mask_2000_char_message_with_new_values(bencher: Bencher) {
    let text = message_of_2000_chars();
    let map = map_of_50_values();
    bencher
        .with_inputs(|| map.clone())
        .bench_local_values(|mut map| map.mask(divan::black_box(&text)));
}

/// The same message again (its values known, as history is masked with each
/// send): detection plus one pass for the known values.
#[divan::bench]
fn latency_mask_2000_char_message_all_values_known(bencher: Bencher) {
    let text = message_of_2000_chars();
    let mut map = map_of_50_values();
    map.mask(&text);
    bencher
        .with_inputs(|| map.clone())
        .bench_local_values(|mut map| map.mask(divan::black_box(&text)));
}

/// A pasted application log with personal data and secrets in some lines:
/// timestamps, levels, request ids, IPs, e-mail addresses, phone numbers,
/// tokens, durations and counts, as support staff paste them.
fn pasted_log(size: usize) -> String {
    let lines = [
        "2024-11-05T09:14:22.481Z INFO  api::orders request_id=7f3e9c2a-51b4-4e8d-9a7c-2b1f0e6d4c3a order=100234567 total=49.99 took=12ms",
        "2024-11-05T09:14:22.512Z WARN  api::auth login failed for jane.doe@example.org from 203.0.113.42 (attempt 3)",
        "2024-11-05T09:14:23.007Z INFO  notify sms to +44 20 7946 0958 queued, retries=0",
        "2024-11-05T09:14:23.114Z DEBUG http GET /v2/items?page=3&limit=50 200 4821 bytes in 31.2ms",
        "2024-11-05T09:14:23.540Z ERROR deploy push rejected: token ghp_R8d2kLq9ZxW3mN7pT4vB6yC1fH5jK0sA2uE8 lacks scope",
        "2024-11-05T09:14:24.001Z INFO  worker processed 1,204 rows in 2.4s (501 rows/s) build 2.4.1 commit 3f2a9c1e8b7d",
        "2024-11-05T09:14:24.318Z INFO  db connect postgres://app:Tr0ub4dor-3@10.0.4.17:5432/prod ok in 8ms",
        "2024-11-05T09:14:24.902Z INFO  cache hit ratio 0.93 evictions=12 size=512MiB",
    ];
    let mut text = String::with_capacity(size + 200);
    let mut i = 0;
    while text.len() < size {
        text.push_str(lines[i % lines.len()]);
        text.push('\n');
        i += 1;
    }
    text
}

/// Masking a 100 KB pasted log, as a send does (target: <= 5 ms).
#[divan::bench]
fn mask_100kb_pasted_log(bencher: Bencher) {
    let text = pasted_log(100 * 1024);
    bencher
        .counter(BytesCount::of_str(&text))
        .with_inputs(RedactionMap::default)
        .bench_local_values(|mut map| map.mask(divan::black_box(&text)));
}

/// Hostile inputs at 100 KB and 1 MB: the cost must grow linearly (the
/// 1 MB figure about ten times the 100 KB one).
const HOSTILE_SIZES: [usize; 2] = [100 * 1024, 1024 * 1024];

#[divan::bench(args = HOSTILE_SIZES)]
fn hostile_one_character(bencher: Bencher, size: usize) {
    let text = text_of(size, "a");
    bencher
        .counter(BytesCount::of_str(&text))
        .bench(|| detect(divan::black_box(&text)));
}

#[divan::bench(args = HOSTILE_SIZES)]
fn hostile_digits(bencher: Bencher, size: usize) {
    let text = text_of(size, "1");
    bencher
        .counter(BytesCount::of_str(&text))
        .bench(|| detect(divan::black_box(&text)));
}

/// Digits with single spaces: the shape every phone, card and SSN pattern
/// starts to match.
#[divan::bench(args = HOSTILE_SIZES)]
fn hostile_spaced_digits(bencher: Bencher, size: usize) {
    let text = text_of(size, "1 ");
    bencher
        .counter(BytesCount::of_str(&text))
        .bench(|| detect(divan::black_box(&text)));
}

/// Valid phone numbers back to back, each one parsed.
#[divan::bench(args = HOSTILE_SIZES)]
fn hostile_phone_numbers(bencher: Bencher, size: usize) {
    let text = text_of(size, "+44 20 7946 0958\n");
    bencher
        .counter(BytesCount::of_str(&text))
        .bench(|| detect(divan::black_box(&text)));
}

#[divan::bench(args = HOSTILE_SIZES)]
fn hostile_base64(bencher: Bencher, size: usize) {
    let text = text_of(
        size,
        "QmFzZTY0IGlzIGEgZ3JvdXAgb2YgYmluYXJ5LXRvLXRleHQgZW5jb2Rpbmcgc2NoZW1lcw",
    );
    bencher
        .counter(BytesCount::of_str(&text))
        .bench(|| detect(divan::black_box(&text)));
}

#[divan::bench(args = HOSTILE_SIZES)]
fn hostile_assignments(bencher: Bencher, size: usize) {
    let text = text_of(size, "password=");
    bencher
        .counter(BytesCount::of_str(&text))
        .bench(|| detect(divan::black_box(&text)));
}

/// What the user waits for: the real binary, started cold (patterns
/// compiled and the numbering plans loaded on first use), masking the
/// 100 KB log given on stdin.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn binary_sotto_redact_100kb_log_cold(bencher: Bencher) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let text = pasted_log(100 * 1024);
    bencher.bench(|| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sotto"))
            .arg("redact")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("sotto starts");
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(text.as_bytes())
            .expect("written");
        let out = child.wait_with_output().expect("sotto ends");
        assert!(out.status.success());
    });
}
