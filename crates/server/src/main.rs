use clap::Parser as _;

// glibc's allocator took 13-16 % of the server's and the importer's CPU
// under load (docs/performance.md); mimalloc's thread-local free lists
// cost less for the many short-lived JSON values of a request.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = server::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("redress: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(server::cli::main(cli))
}
