//! Durable append latency: each append of a 500-byte message is sealed,
//! committed and flushed (fsync) before it returns. Reports median, p99 and
//! maximum over many appends, which divan does not. Figures in BENCHMARKS.md.
//!
//! Run: `cargo bench --bench durability`

use std::time::{Duration, Instant};

use secrecy::SecretString;
use sotto::crypto::KdfCost;
use sotto::store::{NewMessage, NewProtection, Vault};

const APPENDS: usize = 3000;
const WARMUP: usize = 100;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank]
}

fn main() {
    // `cargo bench` passes --bench; a filter argument that excludes us is honoured.
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && !"durable_append_500_bytes".contains(&a))
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let passphrase = SecretString::from("plinth walrus cobalt ember quaver".to_owned());
    let mut vault = Vault::create(
        &dir.path().join("vault"),
        NewProtection::Passphrase {
            passphrase: &passphrase,
            cost: KdfCost::from_log_n(4).unwrap(),
        },
    )
    .unwrap();
    let id = vault.create_conversation("bench").unwrap();
    let text = "x".repeat(500);
    let mut samples = Vec::with_capacity(APPENDS);
    for i in 0..WARMUP + APPENDS {
        let started = Instant::now();
        vault.append_message(id, NewMessage::user(&text)).unwrap();
        if i >= WARMUP {
            samples.push(started.elapsed());
        }
    }
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "durable_append_500_bytes ({} appends, each sealed, committed and fsynced)",
        samples.len()
    );
    println!("  median {:?}", percentile(&samples, 50.0));
    println!("  p90    {:?}", percentile(&samples, 90.0));
    println!("  p99    {:?}", percentile(&samples, 99.0));
    println!("  max    {:?}", samples[samples.len() - 1]);
    println!("  mean   {:?}", mean);
}
