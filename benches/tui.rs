//! The chat screen's frame costs: scrolling a 10,000-message conversation,
//! a frame while a long reply streams in, and Markdown rendering of a growing
//! reply (incremental versus from scratch). Drawn into ratatui's TestBackend,
//! so the figures are sotto's own work without the terminal's.

use divan::Bencher;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sotto::backend::Channel;
use sotto::model::msg::Msg;
use sotto::model::state::{BackendChoice, Entry, Screen, State};
use sotto::store::{ConversationId, ReplyState, Role};
use sotto::theme::Theme;
use sotto::time::Timestamp;
use sotto::ui::chat::ChatCache;
use sotto::ui::markdown::{MarkdownView, render};
use sotto::update::update;

fn main() {
    divan::main();
}

const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;

const REPLY: &str = "## A heading\nSome **bold** and *italic* text with `code` and a [link](https://example.org).\n\
- a list item that is long enough to wrap at most widths of a terminal window\n\
```rust\nfn main() { println!(\"hello\"); }\n```\n> a quote\n";

fn state_with(messages: usize) -> State {
    let local = BackendChoice {
        name: "local".into(),
        host: "built in".into(),
        channel: Channel::InProcess,
        model: None,
        consent_target: "built in".into(),
    };
    let mut state = State::new(
        Screen::Chat,
        "/tmp/vault".into(),
        vec![local.clone()],
        local,
        Theme::fallback(false),
        vec!["dark".into()],
    );
    let entries = (0..messages)
        .map(|i| Entry {
            seq: Some(i as u64),
            role: if i % 2 == 0 { Role::User } else { Role::Assistant },
            at: Timestamp::from_unix_ms(0),
            text: if i % 2 == 0 {
                format!("Question number {i}, with some words in it")
            } else {
                REPLY.repeat(2)
            },
            state: ReplyState::Complete,
            backend: Some("local".into()),
            first_code: 1,
            superseded: false,
            sent: None,
            withheld: 0,
            replaces: None,
        })
        .collect();
    // The state only takes the conversation it asked for.
    let id = ConversationId::from_bytes([1; 16]);
    state.opening = Some(id);
    update(
        &mut state,
        Msg::ConversationOpened {
            id,
            entries,
            map: Default::default(),
            damaged: 0,
            history_pending: false,
        },
    );
    update(
        &mut state,
        Msg::Resize {
            width: WIDTH,
            height: HEIGHT,
        },
    );
    assert_eq!(state.entries.len(), messages, "the conversation was opened");
    state
}

/// One frame as the runtime makes it: resolve the scroll, then draw.
fn frame(state: &mut State, cache: &mut ChatCache, terminal: &mut Terminal<TestBackend>) {
    let area = ratatui::layout::Rect::new(0, 0, WIDTH, HEIGHT);
    let (w, h) = sotto::model::layout::pane_size(area, state);
    let (follow, anchor) = cache.resolve_scroll(state, w, h);
    update(state, Msg::ScrollResolved { follow, anchor });
    terminal.draw(|f| sotto::ui::draw(f, state, cache)).expect("draws");
}

/// PgUp through a 10,000-message conversation: one frame per page.
#[divan::bench]
fn page_up_frame_in_10000_messages(bencher: Bencher) {
    let mut state = state_with(10_000);
    let mut cache = ChatCache::default();
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("terminal");
    frame(&mut state, &mut cache, &mut terminal);
    bencher.bench_local(|| {
        state.scroll.pending = -30;
        frame(&mut state, &mut cache, &mut terminal);
        if state.scroll.anchor == (0, 0) {
            state.scroll.follow = true;
        }
    });
}

/// Opening a 10,000-message conversation and drawing its last screen.
#[divan::bench]
fn first_frame_of_10000_messages(bencher: Bencher) {
    bencher
        .with_inputs(|| {
            (
                state_with(10_000),
                Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("terminal"),
            )
        })
        .bench_local_values(|(mut state, mut terminal)| {
            let mut cache = ChatCache::default();
            frame(&mut state, &mut cache, &mut terminal);
        });
}

/// A frame while a reply streams: a delta arrives into a reply that is
/// already 20 KB long, then the frame is drawn.
#[divan::bench]
fn streaming_frame_with_a_20_kb_reply(bencher: Bencher) {
    let mut state = state_with(20);
    let mut cache = ChatCache::default();
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("terminal");
    let last = state.entries.len() - 1;
    state.entries[last].text = REPLY.repeat(20_000 / REPLY.len());
    state.entries[last].state = ReplyState::Streaming;
    frame(&mut state, &mut cache, &mut terminal);
    let words = ["token ", "more ", "text\n", "**b** "];
    let mut i = 0;
    bencher.bench_local(|| {
        state.entries[last].text.push_str(words[i % words.len()]);
        i += 1;
        frame(&mut state, &mut cache, &mut terminal);
    });
}

/// A reply as models write them: prose, a table, code, a list, with
/// blank lines between blocks.
const MIXED_REPLY: &str = "## Comparing the options\n\nHere is **what matters** when you choose, with `code` and a [link](https://example.org).\n\n\
| Option | Speed | Notes |\n|:--|--:|:-:|\n| sled | fast | embedded |\n| files | slow | simple to back up |\n\n\
```python\ndef pick(options: list[str]) -> str:\n    \"\"\"Pick the first option.\"\"\"\n    return options[0]  # the simplest\n```\n\n\
1. Install it.\n2. Run `sotto --help`.\n   - nested detail\n\n> A quoted caveat that runs long enough to wrap in a narrow pane.\n\n";

/// Per delta of a growing 20 KB reply: the Markdown view brought up to date
/// after one more word. `blocks` is the reply's shape: no blank lines (the
/// old benchmark's text), models' usual mix, one 20 KB code block, or a
/// list that never ends (100 KB of items: a hostile server's reply, bounded
/// by the 32 KiB cut).
#[divan::bench(args = ["dense", "mixed", "one_code_block", "endless_list"])]
fn markdown_per_delta_incremental(bencher: Bencher, blocks: &str) {
    let theme = Theme::fallback(false);
    let (mut text, word) = match blocks {
        "dense" => (REPLY.repeat(20_000 / REPLY.len()), "word "),
        "mixed" => (MIXED_REPLY.repeat(20_000 / MIXED_REPLY.len()), "word "),
        "endless_list" => ("- an item of the list\n".repeat(100_000 / 22), "word "),
        _ => {
            let line = "    let value = compute(x, y) * 2; // a line of code\n";
            (format!("```rust\n{}", line.repeat(20_000 / line.len())), "x = 1;\n")
        }
    };
    let mut view = MarkdownView::default();
    view.update(&text, &theme, 1);
    bencher.bench_local(|| {
        text.push_str(word);
        view.update(&text, &theme, 1);
    });
}

/// ...against rendering the whole reply again.
#[divan::bench]
fn markdown_per_delta_from_scratch(bencher: Bencher) {
    let theme = Theme::fallback(false);
    let mut text = REPLY.repeat(20_000 / REPLY.len());
    bencher.bench_local(|| {
        text.push_str("word ");
        divan::black_box(render(&text, &theme, 1));
    });
}
