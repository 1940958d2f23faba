//! `sotto view`: where the vault is, how it is protected and what it holds.
//! `--json` prints the versioned schema documented in docs/view-json.md; the
//! report itself is `report::view`, shared with the chat screen's `/view`.

use clap::Args;

use super::unlock::open_vault;
use super::{CliError, Context, exit};
use crate::report::view::ViewReport;

#[derive(Debug, Args)]
pub struct ViewArgs {
    /// Print JSON (schema 'sotto.view/1', see docs/view-json.md)
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn run(context: &Context, args: &ViewArgs) -> Result<u8, CliError> {
    let vault = open_vault(context)?;
    let config_file = context.config.as_ref().map(|p| (p.clone(), p.is_file()));
    // A broken config file must not hide what the vault holds: say so, go on.
    let config = context.load_config().map_err(|e| {
        eprintln!("sotto: warning: {e}");
        e.to_string()
    });
    let report = ViewReport::gather(&vault, config_file, config.as_ref().map_err(Clone::clone))?;
    if args.json {
        say!(
            "{}",
            serde_json::to_string_pretty(&report.to_json()).expect("invariant: JSON values serialize")
        );
    } else {
        say!("{}", report.to_text().trim_end_matches('\n'));
    }
    Ok(exit::OK)
}
