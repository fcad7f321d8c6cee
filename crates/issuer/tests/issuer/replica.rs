//! `tollgate serve` processes on a shared database, for the multi-replica, crash and
//! outage tests.

use std::{path::Path, process::Stdio, time::Duration};

use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

const BIN: &str = env!("CARGO_BIN_EXE_tollgate");

/// The master key every replica of a test shares (32 bytes of 0x2a, base64).
pub(crate) const MASTER_KEY: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";

/// The binary with a clean environment, the shared master key and `--database db`.
pub(crate) fn tollgate(dir: &Path, db: &str) -> Command {
    let mut command = Command::new(BIN);
    command
        .current_dir(dir)
        .env_clear()
        .env("RUST_LOG", "warn")
        .env("TOLLGATE_MASTER_KEY", MASTER_KEY)
        .env("TOLLGATE_DATABASE_URL", db)
        .kill_on_drop(true);
    command
}

/// Runs a CLI command with `--json` and returns its output.
pub(crate) async fn cli(dir: &Path, db: &str, args: &[&str]) -> Value {
    let out = tollgate(dir, db)
        .args(args)
        .arg("--json")
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{args:?}: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"))
}

/// A running `tollgate serve`.
pub(crate) struct Replica {
    child: Child,
    pub(crate) base: String,
}

impl Replica {
    /// Starts a replica on `db` with `extra` flags; its log goes to `dir/replica-N.log`.
    pub(crate) async fn start(dir: &Path, db: &str, extra: &[&str]) -> Self {
        let log = tempfile::Builder::new()
            .prefix("replica-")
            .suffix(".log")
            .tempfile_in(dir)
            .unwrap()
            .keep()
            .unwrap()
            .0;
        let mut child = tollgate(dir, db)
            .args(["serve", "--listen", "127.0.0.1:0", "--admin-listen", "off"])
            .args(["--key-reload-secs", "1"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let wait = async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(addr) = line.strip_prefix("listening on ") {
                    return format!("http://{addr}");
                }
            }
            panic!("the replica exited before listening");
        };
        let base = tokio::time::timeout(Duration::from_secs(30), wait)
            .await
            .unwrap();
        // Keep draining stdout so the replica never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self { child, base }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `kill -9`: no shutdown, no flush.
    pub(crate) async fn kill(mut self) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
    }
}
