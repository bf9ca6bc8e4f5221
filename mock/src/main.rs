//! `enjo-mock`: the local Enjo-compatible server (also available as `enjo mock`).

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "enjo-mock",
    version,
    about = "A local Enjo-compatible server for tests and demos"
)]
struct Cli {
    #[command(flatten)]
    args: enjo_mock::cli::MockArgs,
}

fn main() -> std::process::ExitCode {
    match enjo_mock::cli::run(Cli::parse().args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("enjo-mock: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
