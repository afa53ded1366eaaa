use std::process::ExitCode;

#[derive(clap::Args)]
pub struct ScoreDarkArgs {}

pub fn run(_args: ScoreDarkArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
