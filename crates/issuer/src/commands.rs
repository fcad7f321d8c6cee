//! What each `tollgate` subcommand does.
//!
//! Results go to stdout (JSON with `--json`); logs and errors go to stderr.

use std::{io::Write as _, net::SocketAddr};

use serde::Serialize;
use tokio::net::{TcpListener, TcpSocket};

use crate::{
    AppState,
    admin::{self, ClientChanges, ClientSpec, Successor},
    audit,
    cli::{Cli, ClientCommand, Command, KeysCommand},
    config::{self, Config, Layer, LogFormat, ServerArgs},
    error::SetupError,
    store, telemetry,
};

mod backup;
mod open;
mod quickstart;
mod show;

use self::open::{Access, open, open_bound, public_keys};
pub use self::quickstart::{DEMO_AUDIENCE, DEMO_SCOPES};

/// Any failure of a command; printed as `error: ...`.
pub type CommandError = Box<dyn std::error::Error + Send + Sync>;

/// The demo client `quickstart` creates.
pub const DEMO_CLIENT_ID: &str = "demo";

/// Runs a parsed command line.
pub async fn execute(cli: Cli) -> Result<(), CommandError> {
    let file = match &cli.global.config {
        Some(path) => config::read_file(path)?,
        None => Layer::default(),
    };
    let server = match &cli.command {
        Command::Serve(args) | Command::Quickstart(args) => args.clone(),
        _ => ServerArgs::default(),
    };
    let flags = Layer {
        store: cli.global.store.clone(),
        server,
    };
    let config = Config::resolve(flags, file)?;
    telemetry::init(config.log_format == LogFormat::Json);
    match cli.command {
        Command::Serve(_) => serve(&config).await,
        Command::Quickstart(_) => quickstart::quickstart(&config).await,
        Command::Client(command) => client(&open_as_user(&config).await?, command).await,
        Command::Keys(command) => keys(&config, command).await,
        Command::Audit { since, json } => audit_trail(&config, since.as_deref(), json).await,
        Command::Backup { path, json } => {
            let done = backup::backup(&config, &path).await?;
            if json {
                return print_json(&done);
            }
            println!(
                "backed up {} to {} ({} bytes)\nthe master key is not in it: keep a copy of \
                 the master key file (or TOLLGATE_MASTER_KEY) with your backups",
                config.store.database, done.path, done.bytes
            );
            Ok(())
        }
        Command::Jwks => {
            let ring = public_keys(&config).await?;
            println!("{}", ring.current().jwks_json());
            Ok(())
        }
    }
}

/// The listeners `serve` and `quickstart` answer on.
struct Listeners {
    public: TcpListener,
    admin: Option<TcpListener>,
}

/// Checks that the configuration can serve (an explicit issuer off loopback), then binds
/// the public and admin listeners — all before any store is opened or created.
fn bind(config: &Config) -> Result<Listeners, SetupError> {
    let addr = config.listen_addr()?;
    // The bound address differs from the configured one only in its port.
    config.settings(addr)?;
    let admin_addr = config.admin_addr()?;
    let public = bind_one(addr)?;
    let admin = match admin_addr {
        Some(addr) => Some(bind_one(addr)?),
        None => None,
    };
    Ok(Listeners { public, admin })
}

/// Pending connections the kernel may queue (it caps this at `net.core.somaxconn`). A
/// deep queue keeps other clients' connection attempts from being dropped while the
/// accept loop refuses a flood from one source (see `server`).
const LISTEN_BACKLOG: u32 = 4096;

fn bind_one(addr: SocketAddr) -> Result<TcpListener, SetupError> {
    let bind = || -> std::io::Result<TcpListener> {
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()
        } else {
            TcpSocket::new_v6()
        }?;
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        socket.listen(LISTEN_BACKLOG)
    };
    bind().map_err(|e| SetupError::Config(format!("cannot listen on {addr}: {e}")))
}

/// Announces the bound addresses on stdout (for scripts and test harnesses): `listening
/// on ADDR`, then `admin listening on ADDR` if the admin listener is on; and logs one
/// startup line with the version, both addresses, the store kind and the issuer.
fn announce(listeners: &Listeners, config: &Config, state: &AppState) -> Result<(), CommandError> {
    let addr = listeners.public.local_addr()?;
    println!("listening on {addr}");
    let admin = match &listeners.admin {
        Some(admin) => {
            let addr = admin.local_addr()?;
            println!("admin listening on {addr}");
            addr.to_string()
        }
        None => "off".into(),
    };
    let _ = std::io::stdout().flush();
    let store_kind = match store::Backend::of(&config.store.database)? {
        store::Backend::Sqlite => "sqlite",
        store::Backend::Postgres => "postgres",
    };
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        listen = %addr,
        admin = %admin,
        store = store_kind,
        issuer = %state.settings().issuer,
        "tollgate started"
    );
    Ok(())
}

async fn serve_on(
    listeners: Listeners,
    config: &Config,
    state: AppState,
) -> Result<(), CommandError> {
    announce(&listeners, config, &state)?;
    crate::run(
        listeners.public,
        listeners.admin,
        state,
        crate::shutdown_signal(),
    )
    .await?;
    Ok(())
}

async fn serve(config: &Config) -> Result<(), CommandError> {
    let listeners = bind(config)?;
    let addr = listeners.public.local_addr()?;
    let (state, _) = open_bound(config, Access::Serve, Some(addr)).await?;
    serve_on(listeners, config, state).await
}

fn print_json<T: Serialize>(value: &T) -> Result<(), CommandError> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Prints every client, one page of the store at a time (JSON: one array).
async fn list_clients(state: &AppState, json: bool) -> Result<(), CommandError> {
    let mut after: Option<String> = None;
    let mut first = true;
    if json {
        print!("[");
    }
    loop {
        let page = admin::clients_page(state, after.as_deref(), admin::LIST_PAGE).await?;
        for view in &page {
            if json {
                let item = serde_json::to_string_pretty(view)?.replace('\n', "\n  ");
                print!("{}\n  {item}", if first { "" } else { "," });
            } else {
                println!("{}", show::client_line(view));
            }
            first = false;
        }
        match page.last() {
            Some(last) if page.len() == admin::LIST_PAGE as usize => {
                after = Some(last.client_id.clone());
            }
            _ => break,
        }
    }
    if json {
        println!("{}]", if first { "" } else { "\n" });
    }
    Ok(())
}

/// Opens the store for an admin command; audit events name the OS user.
async fn open_as_user(config: &Config) -> Result<AppState, CommandError> {
    let (state, _) = open(config, Access::Admin).await?;
    state.set_actor(audit::os_user());
    Ok(state)
}

async fn audit_trail(config: &Config, since: Option<&str>, json: bool) -> Result<(), CommandError> {
    let since_ms = since.map(show::parse_time).transpose()?.unwrap_or(0);
    let store = open::store_only(config).await?;
    let events = audit::list(&store, since_ms).await?;
    if events.len() == audit::LIST_LIMIT as usize {
        eprintln!(
            "note: the first {} events only; pass a later --since for the rest",
            audit::LIST_LIMIT
        );
    }
    if json {
        let events: Vec<_> = events
            .iter()
            .map(|e| {
                serde_json::json!({
                    "at_ms": e.at_ms, "actor": e.actor, "action": e.action,
                    "subject": e.subject, "detail": e.detail,
                })
            })
            .collect();
        return print_json(&events);
    }
    for event in &events {
        println!("{}", show::event_line(event));
    }
    Ok(())
}

async fn client(state: &AppState, command: ClientCommand) -> Result<(), CommandError> {
    match command {
        ClientCommand::Create {
            id,
            name,
            scope,
            audiences,
            ttl,
            refresh,
            refresh_ttl,
            json,
        } => {
            let spec = ClientSpec {
                id,
                name,
                scopes: vec![scope],
                audiences,
                ttl,
                refresh,
                refresh_ttl,
            };
            let created = admin::create_client(state, spec).await?;
            if json {
                return print_json(&created);
            }
            print!("{}", show::client_block(&created.client));
            println!(
                "client_secret: {}\n(shown once; store it now)",
                created.client_secret
            );
        }
        ClientCommand::List { json } => list_clients(state, json).await?,
        ClientCommand::Show { id, json } => {
            let view = admin::show_client(state, &id).await?;
            if json {
                return print_json(&view);
            }
            print!("{}", show::client_block(&view));
        }
        ClientCommand::Update {
            id,
            name,
            scope,
            audiences,
            ttl,
            refresh,
            no_refresh,
            refresh_ttl,
            json,
        } => {
            let changes = ClientChanges {
                name,
                scopes: scope.map(|s| vec![s]),
                audiences: (!audiences.is_empty()).then_some(audiences),
                ttl,
                refresh: (refresh || no_refresh).then_some(refresh),
                refresh_ttl,
            };
            let view = admin::update_client(state, &id, changes).await?;
            if json {
                return print_json(&view);
            }
            print!("{}", show::client_block(&view));
        }
        ClientCommand::RotateSecret { id, grace, json } => {
            let rotated = admin::rotate_secret(state, &id, grace).await?;
            if json {
                return print_json(&rotated);
            }
            println!(
                "client_secret: {}\n(shown once; store it now)",
                rotated.client_secret
            );
            if let Some(at) = rotated.previous_secret_expires_at {
                println!("the previous secret works until {}", show::time(at));
            }
        }
        ClientCommand::Disable { id, json } => set_disabled(state, &id, true, json).await?,
        ClientCommand::Enable { id, json } => set_disabled(state, &id, false, json).await?,
        ClientCommand::Unlock { id, source, json } => {
            let view = admin::unlock(state, &id, source.as_deref()).await?;
            if json {
                return print_json(&view);
            }
            print!("{}", show::client_block(&view));
        }
        ClientCommand::Delete { id, json } => {
            admin::delete_client(state, &id).await?;
            if json {
                return print_json(&serde_json::json!({ "client_id": id, "deleted": true }));
            }
            println!("deleted {id}");
        }
    }
    Ok(())
}

async fn set_disabled(
    state: &AppState,
    id: &str,
    disabled: bool,
    json: bool,
) -> Result<(), CommandError> {
    let view = admin::set_disabled(state, id, disabled).await?;
    if json {
        return print_json(&view);
    }
    print!("{}", show::client_block(&view));
    Ok(())
}

async fn keys(config: &Config, command: KeysCommand) -> Result<(), CommandError> {
    match command {
        KeysCommand::List { json } => {
            let ring = public_keys(config).await?;
            let keys = ring.current().plan().to_vec();
            if json {
                return print_json(&keys);
            }
            for key in &keys {
                println!("{}", show::key_line(key));
            }
        }
        KeysCommand::Rotate {
            activate_after,
            json,
        } => {
            let state = open_as_user(config).await?;
            let key = admin::rotate_keys(&state, activate_after).await?;
            if json {
                return print_json(&key);
            }
            println!("{}", show::key_line(&key));
        }
        KeysCommand::Revoke {
            kid,
            activate,
            rotate,
            json,
        } => {
            let successor = match (activate, rotate) {
                (Some(next), _) => Successor::Activate(next),
                (None, true) => Successor::New,
                (None, false) => Successor::Unchanged,
            };
            let state = open_as_user(config).await?;
            let revoked = admin::revoke_key(&state, &kid, successor).await?;
            if json {
                return print_json(&revoked);
            }
            println!("{}", show::key_line(&revoked.revoked));
            if let Some(active) = &revoked.active {
                println!("{}", show::key_line(active));
            }
            println!(
                "running servers drop {kid} at their next key reload; edge verifiers with an \
                 embedded JWKS need the new one now: tollgate jwks > jwks.json"
            );
        }
    }
    Ok(())
}
