//! The `debrief` binary: parses the command line and dispatches. Everything
//! else lives in the modules below and in the library crates.

mod cli;
mod commands;
mod config;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = cli::Args::parse();
    match commands::run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
