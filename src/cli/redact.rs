//! `sotto redact [--json]`: what would be withheld from the text on stdin.
//! Prints the masked text (exactly what a backend receives for it as the
//! first message of a conversation in mask mode, the default), with what
//! was withheld counted and named by type on stderr; or JSON with the
//! findings' offsets in Unicode scalar values (characters), end exclusive.
//! Nothing is stored or sent.

use std::io::{Read, Write};

use clap::Args;

use super::{CliError, exit};
use crate::redact::mask::{RedactionMap, char_offset};

/// The longest text accepted on stdin.
const MAX_INPUT_BYTES: u64 = 64 << 20;

#[derive(Debug, Args)]
pub struct RedactArgs {
    /// Print JSON: {"text": "<masked>", "findings": [{"type", "start", "end"}]}
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn run(args: &RedactArgs) -> Result<u8, CliError> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::Input(format!("cannot read stdin: {e}")))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(CliError::Input(
            "the text on stdin is longer than 64 MiB; split it".into(),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        CliError::Input(format!(
            "the text on stdin is not UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let mut map = RedactionMap::default();
    let masked = map.mask(&text);
    let output = if args.json {
        let findings: Vec<serde_json::Value> = masked
            .findings
            .iter()
            .map(|f| {
                serde_json::json!({
                    "type": f.kind.name(),
                    "start": char_offset(&text, f.start),
                    "end": char_offset(&text, f.end),
                })
            })
            .collect();
        let mut json = serde_json::json!({ "text": masked.text, "findings": findings }).to_string();
        json.push('\n');
        json
    } else {
        masked.text
    };
    if !args.json
        && let Some(summary) = crate::redact::egress::withheld_summary(masked.items.iter().map(|f| f.kind))
    {
        eprintln!("sotto: {summary}");
    }
    let mut out = std::io::stdout().lock();
    out.write_all(output.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CliError::Input(format!("cannot write the result: {e}")))?;
    Ok(exit::OK)
}
