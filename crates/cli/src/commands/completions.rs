//! `lookout completions bash|zsh|fish|powershell|elvish`: shell completion scripts.

use std::process::ExitCode;

use clap_complete::Shell;

#[derive(clap::Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Prints the completion script of `cli` for the shell.
pub(crate) fn run(args: CompletionsArgs, mut cli: clap::Command) -> anyhow::Result<ExitCode> {
    // Generated into memory first so a closed stdout is an error `main` can see, not a panic.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cli, "lookout", &mut script);
    std::io::Write::write_all(&mut std::io::stdout().lock(), &script)?;
    Ok(ExitCode::SUCCESS)
}
