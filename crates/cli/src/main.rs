//! The `debrief` binary: parses the command line and dispatches. Everything
//! else lives in the modules below and in the library crates.

mod cli;
mod coach;
mod commands;
mod config;
mod metrics;
mod tracker;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = cli::Args::parse();
    let failure = args.command.error_exit_code();
    match commands::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(failure)
        }
    }
}
