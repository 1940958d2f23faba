//! Commands that change how sotto works: /backend, /theme, /timestamps.

use super::Outcome;
use crate::app::msg::Effect;
use crate::app::state::{ActiveBackend, PickerKind, Popup, State};

pub fn backend(state: &mut State, args: &str) -> Outcome {
    if args.is_empty() {
        let items: Vec<String> = state.backends.iter().map(|b| b.name.clone()).collect();
        let selected = items.iter().position(|n| *n == state.backend.choice.name).unwrap_or(0);
        state.popup = Some(Popup::Picker {
            kind: PickerKind::Backend,
            items,
            selected,
        });
        return Ok(Vec::new());
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
    state.backend = ActiveBackend {
        consented: !choice.channel.leaves_machine(),
        choice,
        info: None,
        error: None,
    };
    let mut effects = vec![Effect::PrepareBackend(name.clone())];
    if state.backend.choice.channel.leaves_machine() && !state.incognito {
        effects.push(Effect::CheckConsent { backend: name });
    }
    Ok(effects)
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
        return Ok(Vec::new());
    }
    if !state.theme_names.iter().any(|n| n == args) {
        return Err(format!(
            "there is no theme '{}'; the themes are: {}",
            crate::sanitize::one_line(args, 40),
            state.theme_names.join(", ")
        ));
    }
    Ok(vec![Effect::LoadTheme {
        name: args.to_owned(),
        chosen: true,
    }])
}

pub fn redact(state: &mut State, args: &str) -> Outcome {
    if args.is_empty() {
        state.notify(format!(
            "redaction is '{}': mask sends placeholders, warn asks first, block sends nothing personal, off sends \
             as written. /redact MODE changes it",
            state.redaction
        ));
        return Ok(Vec::new());
    }
    let mode: crate::redact::egress::Mode = args.parse()?;
    state.redaction = mode;
    let advice = match mode {
        crate::redact::egress::Mode::Off => "personal data is now sent as written",
        crate::redact::egress::Mode::Warn => "you will be asked before personal data is sent",
        crate::redact::egress::Mode::Mask => "personal data is sent as placeholders; replies show the real values",
        crate::redact::egress::Mode::Block => "messages with personal data are held back until you mask or edit them",
    };
    state.notify(format!("redaction '{mode}': {advice}"));
    if state.incognito {
        return Ok(Vec::new());
    }
    Ok(vec![Effect::SaveSetting {
        name: crate::redact::egress::MODE_SETTING.into(),
        value: mode.name().into(),
    }])
}

pub fn view(state: &mut State, _args: &str) -> Outcome {
    if state.incognito {
        return Err("incognito: the vault is not open; this conversation lives in memory only and ends with it".into());
    }
    Ok(vec![Effect::LoadView(
        state.current.filter(|_| !state.current_in_memory),
    )])
}

pub fn audit(state: &mut State, _args: &str) -> Outcome {
    if state.incognito {
        return Err("incognito: the vault is not open, so there is no audit log to show".into());
    }
    Ok(vec![Effect::LoadAudit])
}

pub fn timestamps(state: &mut State, _args: &str) -> Outcome {
    state.show_timestamps = !state.show_timestamps;
    state.generation += 1;
    state.notify(if state.show_timestamps {
        "timestamps shown"
    } else {
        "timestamps hidden"
    });
    Ok(Vec::new())
}
