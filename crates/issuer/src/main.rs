//! The `tollgate` binary: parse the command line, run it, report errors on stderr.

use std::process::ExitCode;

use clap::Parser as _;
use tollgate_issuer::{cli::Cli, commands};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::execute(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
