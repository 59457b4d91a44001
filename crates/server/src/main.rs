//! `ppt-server`: parses flags, binds, serves, shuts down gracefully on Ctrl-C or SIGTERM.

use std::io::BufRead;

use clap::Parser;
use ppt_server::config::{BuildingCommand, Command, UserCommand};
use ppt_server::{admin, build, run, Config};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// mimalloc rather than glibc's malloc: thousands of long-lived sockets allocated from many
/// threads fragment glibc's per-thread arenas (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn,sqlx=warn")),
        )
        .init();
    let config = Config::parse();
    if let Some(command) = &config.command {
        return administer(&config.db, command).await;
    }
    let addr = config.addr;
    let built = match build(config).await {
        Ok(b) => b,
        Err(e) => {
            eprintln!("ppt-server: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if built.seeded {
        tracing::info!(
            "new database: seeded the demo world (password for every demo account: demo1234)"
        );
    }
    let listener = match TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("ppt-server: cannot listen on {addr}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!(
        "listening on http://{}",
        listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default()
    );
    if let Err(e) = run(listener, built, shutdown_signal()).await {
        eprintln!("ppt-server: {e}");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}

/// Runs an administrative command and says what it did (or why not).
async fn administer(db: &str, command: &Command) -> std::process::ExitCode {
    let db = match admin::open(db).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("ppt-server: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let done = match command {
        Command::Building(BuildingCommand::Add { name }) => admin::add_building(&db, name)
            .await
            .map(|id| format!("added building {name:?} (id {id})")),
        Command::User(UserCommand::Add {
            email,
            name,
            role,
            building,
            apartment,
        }) => {
            eprintln!("password for {email} (one line):");
            let mut password = String::new();
            if let Err(e) = std::io::stdin().lock().read_line(&mut password) {
                eprintln!("ppt-server: cannot read the password: {e}");
                return std::process::ExitCode::FAILURE;
            }
            let user = admin::NewUser {
                email: email.clone(),
                name: name.clone(),
                apartment: apartment.clone(),
                role: role.clone(),
            };
            let password = password.trim_end_matches(['\r', '\n']);
            admin::add_user(&db, building, &user, password)
                .await
                .map(|id| format!("added {role} {email} to {building:?} (id {id})"))
        }
        Command::User(UserCommand::Set {
            email,
            role,
            building,
            name,
            apartment,
        }) => {
            let change = admin::UserChange {
                role: role.as_deref(),
                building: building.as_deref(),
                name: name.as_deref(),
                apartment: apartment.as_deref(),
            };
            admin::change_user(&db, email, &change).await
        }
        Command::User(UserCommand::Remove { email }) => admin::remove_user(&db, email).await,
        Command::User(UserCommand::Logout { email }) => admin::logout_user(&db, email).await,
    };
    match done {
        Ok(said) => {
            println!("{said}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ppt-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return ctrl_c.await.unwrap_or(()),
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await.unwrap_or(());
}
