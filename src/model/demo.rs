//! `sotto demo`: a guided tour for people who present data minimisation. The
//! presenter presses Enter: each step puts a one-line explanation in the
//! banner above the chat and, where there is something to do, the text to
//! send or the command to run in the input box, where the next Enter sends it
//! like anything typed. It all happens in a throwaway vault (see
//! `cli::demo`), with the built-in bot.

use super::msg::Effect;
use super::state::State;

/// Where the tour is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoTour {
    /// The next step to show.
    pub next: usize,
    /// The explanation of the step shown now.
    pub banner: String,
    /// The throwaway directory, where the export goes too.
    pub scratch: String,
}

/// The message typed in the tour: personal data the bot must never see.
pub const DEMO_MESSAGE: &str = "Hi, I'm Jane. Please reply to jane.doe@example.com: my card \
                                4111 1111 1111 1111 was charged twice for the same order.";

struct Step {
    banner: &'static str,
    /// What goes into the input box (`{scratch}` is the throwaway directory).
    input: &'static str,
}

const STEPS: &[Step] = &[
    Step {
        banner: "1/6 This message holds an email address and a card number. Press Enter to send it.",
        input: DEMO_MESSAGE,
    },
    Step {
        banner: "2/6 The bot received only [EMAIL_1] and [CREDIT_CARD_1]: 'withheld' under your message. \
                 Its reply shows your real values again, put back here on your machine. Press Enter.",
        input: "",
    },
    Step {
        banner: "3/6 /view lists everything sotto keeps and what went to which bot. Enter opens it, Esc closes it.",
        input: "/view",
    },
    Step {
        banner: "4/6 /export writes your data to a file you control, encrypted to this vault. Press Enter.",
        input: "/export all {scratch}/demo-export.json.age",
    },
    Step {
        banner: "5/6 /wipe destroys this conversation: its key is rotated away, so not even the passphrase \
                 brings it back. Press Enter, then type wipe and Enter.",
        input: "/wipe",
    },
    Step {
        banner: "6/6 That is the tour. Ctrl-C or /quit ends it, and the throwaway vault is destroyed on the way out.",
        input: "",
    },
];

impl DemoTour {
    pub fn new(scratch: String) -> Self {
        DemoTour {
            next: 0,
            banner: "A throwaway vault in a temporary directory, destroyed when the demo ends: your own vault is \
                     never touched. Press Enter to begin."
                .into(),
            scratch,
        }
    }
}

/// Enter with an empty input box during the tour: show the next step.
/// Returns `None` when the tour is not running or is over (Enter then does
/// what it always does).
pub fn advance(state: &mut State) -> Option<Vec<Effect>> {
    let tour = state.demo.as_mut()?;
    let step = STEPS.get(tour.next)?;
    tour.next += 1;
    tour.banner = step.banner.to_owned();
    let input = step.input.replace("{scratch}", &tour.scratch);
    if !input.is_empty() {
        state.editor.set_text(&input);
    }
    Some(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::state::tests_support::chat_state;

    #[test]
    fn each_enter_shows_the_next_step_and_fills_the_input_until_the_end() {
        let mut state = chat_state();
        assert!(advance(&mut state).is_none(), "no tour, no steps");
        state.demo = Some(DemoTour::new("/tmp/x".into()));
        advance(&mut state).unwrap();
        assert_eq!(state.editor.text(), DEMO_MESSAGE);
        state.editor.set_text("");
        for _ in 1..STEPS.len() {
            advance(&mut state).unwrap();
        }
        assert!(state.demo.as_ref().unwrap().banner.starts_with("6/6"));
        assert!(
            advance(&mut state).is_none(),
            "after the last step Enter is Enter again"
        );
        let exports: Vec<String> = STEPS.iter().map(|s| s.input.replace("{scratch}", "/tmp/x")).collect();
        assert!(exports.contains(&"/export all /tmp/x/demo-export.json.age".to_owned()));
    }
}
