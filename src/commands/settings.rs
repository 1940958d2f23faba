//! Commands that change how sotto works: /backend, /theme, /timestamps.

use super::{Done, Outcome};
use crate::model::msg::{Effect, StoreJob};
use crate::model::state::{ActiveBackend, PickerKind, Popup, State};

pub fn backend(state: &mut State, args: &str) -> Outcome {
    if args.is_empty() {
        let items: Vec<String> = state.backends.iter().map(|b| b.name.clone()).collect();
        let selected = items.iter().position(|n| *n == state.backend.choice.name).unwrap_or(0);
        state.popup = Some(Popup::Picker {
            kind: PickerKind::Backend,
            items,
            selected,
        });
        return Ok(Done::Effects(Vec::new()));
    }
    if state.is_streaming() || state.sending {
        return Err("a reply is still coming: wait for it, or press Esc to stop it".into());
    }
    let choice = state.backends.iter().find(|b| b.name == args).cloned().ok_or_else(|| {
        let names: Vec<&str> = state.backends.iter().map(|b| b.name.as_str()).collect();
        format!(
            "there is no backend '{}'; the backends are: {}",
            crate::sanitize::one_line(args, 40),
            names.join(", ")
        )
    })?;
    let name = choice.name.clone();
    state.notify(format!("backend '{name}': {}", choice.destination()));
    state.backend = ActiveBackend::chosen(choice);
    let mut effects = vec![Effect::PrepareBackend(name.clone())];
    if !state.incognito {
        // Remembered for the next start, as /theme and /redact are.
        effects.push(Effect::Store(StoreJob::SaveSetting {
            name: crate::model::state::BACKEND_SETTING.into(),
            value: name.clone(),
        }));
        if state.backend.choice.channel.leaves_machine() {
            effects.push(Effect::Store(StoreJob::CheckConsent { backend: name }));
        }
    }
    Ok(Done::Effects(effects))
}

pub fn theme(state: &mut State, args: &str) -> Outcome {
    if args.is_empty() {
        let items = state.theme_names.clone();
        let selected = items.iter().position(|n| *n == state.theme.name).unwrap_or(0);
        state.popup = Some(Popup::Picker {
            kind: PickerKind::Theme,
            items,
            selected,
        });
        return Ok(Done::Effects(Vec::new()));
    }
    if !state.theme_names.iter().any(|n| n == args) {
        return Err(format!(
            "there is no theme '{}'; the themes are: {}",
            crate::sanitize::one_line(args, 40),
            state.theme_names.join(", ")
        ));
    }
    Ok(Done::Effects(vec![Effect::LoadTheme {
        name: args.to_owned(),
        chosen: true,
    }]))
}

pub fn redact(state: &mut State, args: &str) -> Outcome {
    if args.is_empty() {
        state.notify(format!(
            "redaction is '{}': mask sends placeholders, warn asks first, block sends nothing personal, off sends \
             as written. /redact MODE changes it; /redact TEXT shows what the backend would receive",
            state.redaction
        ));
        return Ok(Done::Effects(Vec::new()));
    }
    // One plain word is a mode (or a mistyped one); anything else is text
    // to preview.
    let one_word = !args.contains(char::is_whitespace) && args.chars().all(|c| c.is_ascii_alphabetic());
    if !one_word {
        preview_send(state, args);
        return Ok(Done::Effects(Vec::new()));
    }
    let mode: crate::redact::egress::Mode = args
        .parse()
        .map_err(|e: String| format!("{e}; /redact TEXT shows what the backend would receive"))?;
    state.redaction = mode;
    let advice = match mode {
        crate::redact::egress::Mode::Off => "personal data is now sent as written",
        crate::redact::egress::Mode::Warn => "you will be asked before personal data is sent",
        crate::redact::egress::Mode::Mask => "personal data is sent as placeholders; replies show the real values",
        crate::redact::egress::Mode::Block => "messages with personal data are held back until you mask or edit them",
    };
    state.notify(format!("redaction '{mode}': {advice}"));
    if state.incognito {
        return Ok(Done::Effects(Vec::new()));
    }
    Ok(Done::Effects(vec![Effect::Store(StoreJob::SaveSetting {
        name: crate::redact::egress::MODE_SETTING.into(),
        value: mode.name().into(),
    })]))
}

/// Shows what the backend would receive if `text` were sent now in this
/// conversation: the same preparation as sending, on a copy of the
/// conversation's placeholder map, so nothing changes and nothing is sent.
fn preview_send(state: &mut State, text: &str) {
    use crate::redact::egress::{self, Mode};
    let mode = state.redaction;
    let mut map = state.redaction_map.clone();
    let history = crate::model::entries::context(&state.entries);
    // Warn and block hold the message for a choice whose default is the
    // masked form; that is what is shown.
    let prepared_as = if mode == Mode::Off { Mode::Off } else { Mode::Mask };
    let outgoing = egress::prepare(text, prepared_as, &mut map, &[], &history);
    let mut lines: Vec<String> = outgoing.sent.lines().map(str::to_owned).collect();
    lines.push(String::new());
    lines.push(
        match egress::withheld_summary(outgoing.withheld.iter().map(|f| f.kind)) {
            Some(summary) => summary,
            None if mode == Mode::Off => "redaction is off: this text would be sent as written".to_owned(),
            None => "nothing would be withheld: this text would be sent as written".to_owned(),
        },
    );
    for finding in &outgoing.withheld {
        lines.push(format!(
            "  {:<16} {}",
            finding.kind.name(),
            egress::preview(finding.kind, &text[finding.start..finding.end])
        ));
    }
    if matches!(mode, Mode::Warn | Mode::Block) {
        lines.push(format!(
            "redaction is '{mode}': sending asks first; this is the masked choice"
        ));
    }
    state.popup = Some(Popup::Report {
        title: "What the backend would receive".to_owned(),
        lines,
        scroll: 0,
    });
}

pub fn view(state: &mut State, _args: &str) -> Outcome {
    if state.incognito {
        return Err("incognito: the vault is not open; this conversation lives in memory only and ends with it".into());
    }
    Ok(Done::Effects(vec![Effect::Store(StoreJob::LoadView(
        state.current.filter(|_| !state.current_in_memory),
    ))]))
}

pub fn audit(state: &mut State, _args: &str) -> Outcome {
    if state.incognito {
        return Err("incognito: the vault is not open, so there is no audit log to show".into());
    }
    Ok(Done::Effects(vec![Effect::Store(StoreJob::LoadAudit)]))
}

pub fn timestamps(state: &mut State, _args: &str) -> Outcome {
    state.show_timestamps = !state.show_timestamps;
    state.generation += 1;
    state.notify(if state.show_timestamps {
        "timestamps shown"
    } else {
        "timestamps hidden"
    });
    Ok(Done::Effects(Vec::new()))
}
