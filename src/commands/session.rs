//! Commands about the conversation in front of the user: /retry, /edit,
//! /copy, /help, /quit.

use super::{Done, Outcome};
use crate::model::msg::Effect;
use crate::model::state::{Popup, State};
use crate::store::Role;

/// Terminals drop OSC 52 writes above roughly this size.
const MAX_CLIPBOARD_BYTES: usize = 100_000;

pub fn retry(_state: &mut State, _args: &str) -> Outcome {
    Ok(Done::Regenerate)
}

pub fn edit(state: &mut State, _args: &str) -> Outcome {
    if state.is_streaming() || state.sending {
        return Err("a reply is still coming: wait for it, or press Esc to stop it".into());
    }
    let last = state
        .entries
        .iter()
        .rev()
        .find(|e| e.role == Role::User && !e.superseded)
        .ok_or("there is no message of yours to edit yet")?;
    let seq = last.seq.ok_or("that message is not stored yet")?;
    let text = last.text.clone();
    state.editor.set_text(&text);
    state.editing = Some(seq);
    state.notify("editing your last message: Enter sends it in place of the old one, Esc cancels");
    Ok(Done::Effects(Vec::new()))
}

pub fn copy(state: &mut State, args: &str) -> Outcome {
    let text = if args.is_empty() {
        state
            .entries
            .iter()
            .rev()
            .find(|e| e.role == Role::Assistant && !e.superseded && !e.text.is_empty())
            .map(|e| e.text.clone())
            .ok_or("there is no reply to copy yet")?
    } else {
        let n: usize = args
            .trim()
            .parse()
            .map_err(|_| format!("'{}' is not a code block number: /copy N, as shown by [N]", args.trim()))?;
        state
            .entries
            .iter()
            .find_map(|e| {
                let blocks = crate::model::code_blocks::code_blocks(&e.text);
                (n >= e.first_code && n < e.first_code + blocks.len()).then(|| blocks[n - e.first_code].clone())
            })
            .ok_or_else(|| format!("there is no code block [{n}] in this conversation"))?
    };
    // What is copied is what is shown: control characters in a reply (an
    // escape sequence, a bracketed-paste end marker) would act wherever the
    // text is pasted, so they go to the clipboard as their visible stand-ins.
    let text = crate::sanitize::for_terminal(&text).into_owned();
    if text.len() > MAX_CLIPBOARD_BYTES {
        return Err(format!(
            "that is {} KiB, more than terminals accept on the clipboard (about {} KiB); use 'sotto export'",
            text.len() / 1024,
            MAX_CLIPBOARD_BYTES / 1024
        ));
    }
    let what = if args.is_empty() {
        "the last reply".to_owned()
    } else {
        format!("code block [{}]", args.trim())
    };
    state.notify(format!("copied {what} to the clipboard"));
    Ok(Done::Effects(vec![Effect::CopyToClipboard(text)]))
}

pub fn lock(state: &mut State, _args: &str) -> Outcome {
    if state.incognito {
        return Err("incognito: there is no vault to lock; Ctrl-C ends the session and forgets it".into());
    }
    Ok(Done::Lock("Locked. The history and keys left memory."))
}

pub fn help(state: &mut State, _args: &str) -> Outcome {
    state.popup = Some(Popup::Help { scroll: 0 });
    Ok(Done::Effects(Vec::new()))
}

pub fn quit(_state: &mut State, _args: &str) -> Outcome {
    Ok(Done::Quit)
}
