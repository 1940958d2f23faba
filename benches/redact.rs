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
