//! The runtime: the one place that touches the terminal, the vault and the
//! network. Terminal input, the timer, the store actor and backend streams
//! send events into one channel; the loop drains every pending event through
//! `update`, carries out the effects, and draws at most once per frame, only
//! when something changed.

mod event_sources;
mod external_editor;
mod helper;
mod replies;
mod startup;
pub mod store;
pub mod terminal;
mod warm_up;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use crate::backend::{Backend, CancelToken};
use crate::config::Config;
use crate::model::ExitStatus;
use crate::model::msg::{Effect, Msg, StoreJob};
use crate::model::state::{Screen, State};
use crate::store::VaultError;
use crate::theme::{Theme, ThemeCatalog};
use crate::ui;
use crate::update::update;
use event_sources::{InputPause, spawn_input};
use helper::Helper;
use startup::first_screen;
use store::{StoreActor, StoreInput};

/// Shortest time between two frames (about 60 per second).
const FRAME: Duration = Duration::from_millis(16);
/// The longest wait when nothing is due: effectively for ever.
const IDLE: Duration = Duration::from_secs(24 * 3600);

/// What reaches the loop: a message for `update`, or a built backend (a
/// handle, which the runtime keeps and the state never sees).
pub enum Event {
    Msg(Msg),
    Backend { name: String, backend: Arc<dyn Backend> },
}

/// What the TUI needs to start.
pub struct TuiOptions {
    pub data_dir: PathBuf,
    pub config: Config,
    /// The backend for this run (`--backend`, else the config's default).
    pub backend: String,
    /// The backend was named for this run (`--backend`, `SOTTO_BACKEND`), so
    /// the one remembered from `/backend` does not replace it.
    pub backend_pinned: bool,
    pub knowledge: Vec<PathBuf>,
    pub incognito: bool,
    /// The config dir's `themes/`, if there is a config dir.
    pub theme_dir: Option<PathBuf>,
    /// `sotto demo`: the throwaway vault's passphrase and directory.
    pub demo: Option<DemoOptions>,
}

/// The throwaway vault of `sotto demo`, unlocked without asking.
pub struct DemoOptions {
    pub passphrase: secrecy::SecretString,
    /// The temporary directory that holds the vault (and the tour's export).
    pub scratch: PathBuf,
}

/// How the TUI ended: how (the CLI turns it into an exit code) and a
/// message for stderr.
pub struct TuiExit {
    pub status: ExitStatus,
    pub message: Option<String>,
}

/// Why the chat screen could not start or carry on. The CLI turns it into a
/// message and an exit code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("there is no backend '{0}'")]
    NoBackend(String),
    #[error("cannot start the store: {0}")]
    Store(std::io::Error),
    #[error("cannot set up the terminal: {0}")]
    Terminal(std::io::Error),
    #[error("cannot draw on the terminal: {0}")]
    Draw(std::io::Error),
}

/// Runs the TUI until the user leaves.
pub fn run(options: TuiOptions) -> Result<TuiExit, AppError> {
    let (screen, locked, unlock_now) = first_screen(&options)?;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let catalog = ThemeCatalog::new(options.theme_dir.clone());
    let mut state = startup::initial_state(&options, screen, Theme::fallback(no_color), catalog.names())?;

    let (events, inbox) = mpsc::channel::<Event>();
    let (store, store_inbox) = mpsc::channel::<StoreInput>();
    let actor = StoreActor::new(
        options.data_dir.clone(),
        options.config.clone(),
        options.knowledge.clone(),
        locked,
        options.incognito,
        events.clone(),
    );
    let store_thread = std::thread::Builder::new()
        .name("sotto-store".into())
        .spawn(move || actor.run(store_inbox))
        .map_err(AppError::Store)?;

    let mut guard = terminal::TerminalGuard::new().map_err(AppError::Terminal)?;
    let input_pause = Arc::new(InputPause::default());
    spawn_input(events.clone(), input_pause.clone());
    let helper = Helper::start(events.clone());
    if helper.is_some() {
        // This thread draws: code in a language not ready yet is drawn
        // plain until the helper thread has made it ready.
        ui::highlight::defer_cold_languages();
    }

    let mut runtime = Runtime {
        store,
        events,
        backends: HashMap::new(),
        streams: HashMap::new(),
        catalog,
        no_color,
        input_pause,
        helper,
        warmed_up: false,
    };
    let size = guard.terminal.size().unwrap_or_default();
    update(
        &mut state,
        Msg::Resize {
            width: size.width,
            height: size.height,
        },
    );
    runtime.tick(&mut state, &mut guard);
    if options.incognito {
        let name = state.backend.choice.name.clone();
        runtime.carry_out(&mut state, &mut guard, vec![Effect::PrepareBackend(name)]);
    }
    if unlock_now {
        runtime.carry_out(&mut state, &mut guard, vec![Effect::Store(StoreJob::Unlock(None))]);
    }
    if let Some(demo) = &options.demo {
        state.demo = Some(crate::model::demo::DemoTour::new(demo.scratch.display().to_string()));
        runtime.carry_out(
            &mut state,
            &mut guard,
            vec![Effect::Store(StoreJob::Unlock(Some(demo.passphrase.clone())))],
        );
    }
    let outcome = runtime.event_loop(&mut state, &mut guard, &inbox);
    // Finish what was asked of the store (the last reply, a checkpoint)
    // before the vault is closed cleanly.
    for stream in runtime.streams.values() {
        stream.cancel();
    }
    let _ = runtime.store.send(StoreInput::Close);
    drop(guard);
    let _ = store_thread.join();
    outcome?;
    let (status, message) = state.exit.take().unwrap_or((ExitStatus::Ok, None));
    Ok(TuiExit { status, message })
}

struct Runtime {
    store: Sender<StoreInput>,
    events: Sender<Event>,
    backends: HashMap<String, Arc<dyn Backend>>,
    streams: HashMap<u64, CancelToken>,
    catalog: ThemeCatalog,
    no_color: bool,
    input_pause: Arc<InputPause>,
    /// Signals, and work that helps later, one job at a time (`helper`);
    /// `None` if its thread could not start (then that work is done when
    /// needed, and signals end the process at once).
    helper: Option<Helper>,
    /// Whether the detectors' warm-up has been started.
    warmed_up: bool,
}

impl Runtime {
    fn event_loop(
        &mut self,
        state: &mut State,
        guard: &mut terminal::TerminalGuard,
        inbox: &Receiver<Event>,
    ) -> Result<(), AppError> {
        let mut cache = ui::chat::ChatCache::default();
        let mut dirty = true;
        let mut last_draw = Instant::now() - FRAME;
        let mut drawn_screen = None;
        loop {
            // Frames are paced for streams and typing; a new screen (unlock
            // → chat) or another conversation is drawn at once.
            let shown = (std::mem::discriminant(&state.screen), state.current);
            if dirty && (drawn_screen != Some(shown) || last_draw.elapsed() >= FRAME) {
                self.draw(state, guard, &mut cache)?;
                last_draw = Instant::now();
                drawn_screen = Some(shown);
                dirty = false;
                self.ready_code_languages();
                self.warm_up_once_shown(state);
            }
            if state.exit.is_some() {
                return Ok(());
            }
            // Wake for the next frame, or the next moment the state waits
            // for (model::clock), or else only for an event.
            let frame = if dirty {
                FRAME.saturating_sub(last_draw.elapsed())
            } else {
                IDLE
            };
            let tick = state
                .next_tick_in()
                .map_or(IDLE, |ms| Duration::from_millis(ms.max(0) as u64));
            let first = match inbox.recv_timeout(frame.min(tick)) {
                Ok(event) => Some(event),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            };
            // The time first, so what follows sees the clock as it is.
            dirty |= self.tick(state, guard);
            if state.exit.is_some() {
                return Ok(());
            }
            // Drain everything pending, then draw once.
            let mut next = first;
            while let Some(event) = next {
                let effects = match event {
                    Event::Msg(msg) => {
                        if let Msg::ReplyEnded { stream, .. } = &msg {
                            self.streams.remove(stream);
                        }
                        let (effects, changed) = update(state, msg);
                        dirty |= changed;
                        effects
                    }
                    Event::Backend { name, backend } => {
                        let info = backend.info().clone();
                        let note = backend.setup_note();
                        self.warm_backend(&backend);
                        self.backends.insert(name, backend);
                        let (mut effects, changed) = update(state, Msg::BackendReady(info.clone()));
                        dirty |= changed;
                        if let Some(note) = note {
                            let (more, _) = update(
                                state,
                                Msg::BackendNote {
                                    backend: info.name,
                                    note,
                                },
                            );
                            effects.extend(more);
                        }
                        effects
                    }
                };
                dirty |= !effects.is_empty();
                self.carry_out(state, guard, effects);
                if state.exit.is_some() {
                    return Ok(());
                }
                next = inbox.try_recv().ok();
            }
        }
    }

    /// Brings the state's clock up to now (and with it checkpoints, fading
    /// notices, auto-lock, retention sweeps). Returns whether to redraw.
    fn tick(&mut self, state: &mut State, guard: &mut terminal::TerminalGuard) -> bool {
        let (effects, changed) = update(
            state,
            Msg::Tick {
                now: crate::time::Timestamp::now(),
            },
        );
        let dirty = changed || !effects.is_empty();
        self.carry_out(state, guard, effects);
        dirty
    }

    fn draw(
        &mut self,
        state: &mut State,
        guard: &mut terminal::TerminalGuard,
        cache: &mut ui::chat::ChatCache,
    ) -> Result<(), AppError> {
        let size = guard.terminal.size().unwrap_or_default();
        let area = ratatui::layout::Rect::new(0, 0, size.width, size.height);
        if matches!(state.screen, Screen::Chat) {
            // Scroll arithmetic over the real wrapped heights, fed back
            // through update before the frame is drawn.
            let (width, height) = crate::model::layout::pane_size(area, state);
            let (follow, anchor) = cache.resolve_scroll(state, width, height);
            update(state, Msg::ScrollResolved { follow, anchor });
        }
        guard
            .terminal
            .draw(|frame| ui::draw(frame, state, cache))
            .map_err(AppError::Draw)?;
        Ok(())
    }

    fn carry_out(&mut self, state: &mut State, guard: &mut terminal::TerminalGuard, effects: Vec<Effect>) {
        for effect in effects {
            let input = match effect {
                Effect::Store(job) => {
                    if matches!(job, StoreJob::Lock | StoreJob::WipeAll) {
                        // Backends may hold API keys from the vault: they go too.
                        for stream in self.streams.values() {
                            stream.cancel();
                        }
                        self.streams.clear();
                        self.backends.clear();
                    }
                    StoreInput::Job(job)
                }
                Effect::PrepareBackend(name) => {
                    self.backends.remove(&name);
                    StoreInput::BuildBackend(name)
                }
                Effect::StartReply {
                    stream,
                    backend,
                    request,
                } => {
                    self.start_reply(stream, &backend, request);
                    continue;
                }
                Effect::CancelReply { stream } => {
                    if let Some(cancel) = self.streams.remove(&stream) {
                        cancel.cancel();
                    }
                    continue;
                }
                Effect::CopyToClipboard(text) => {
                    if let Err(e) = terminal::copy_osc52(&text) {
                        state.error(format!("cannot write to the terminal's clipboard: {e}"));
                    }
                    continue;
                }
                Effect::Repaint => {
                    if let Err(e) = guard.repaint() {
                        state.error(format!("cannot clear the terminal: {e}"));
                    }
                    continue;
                }
                Effect::OpenEditor(draft) => {
                    self.input_pause.pause();
                    guard.suspend();
                    let result = external_editor::edit(&draft);
                    let resumed = guard.resume();
                    self.input_pause.resume();
                    let result = match resumed {
                        Ok(()) => result,
                        Err(e) => Err(format!("cannot return to the terminal: {e}")),
                    };
                    let _ = self.events.send(Event::Msg(Msg::EditorReturned(result)));
                    continue;
                }
                Effect::LoadTheme { name, chosen } => {
                    let (theme, error) = match self.catalog.load(&name, self.no_color) {
                        Ok(theme) => (theme, None),
                        Err(e) => (Theme::fallback(self.no_color), Some(e.to_string())),
                    };
                    let _ = self.events.send(Event::Msg(Msg::ThemeLoaded { theme, error, chosen }));
                    continue;
                }
                Effect::Quit => continue,
            };
            if self.store.send(input).is_err() {
                state.error("the store has stopped; quit and start sotto again");
            }
        }
    }
}
