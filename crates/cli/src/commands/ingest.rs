use std::process::ExitCode;

#[derive(clap::Args)]
pub struct IngestArgs {}

pub fn run(_args: IngestArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
