//! What each `tollgate` subcommand does.
//!
//! Results go to stdout (JSON with `--json`); logs and errors go to stderr.

use std::{io::Write as _, net::SocketAddr};

use serde::Serialize;
use tokio::net::TcpListener;

use crate::{
    AppState,
    admin::{self, ClientChanges, ClientSpec, Successor},
    audit,
    cli::{Cli, ClientCommand, Command, KeysCommand},
    config::{self, Config, Layer, LogFormat, ServerArgs},
    error::SetupError,
    telemetry,
};

mod backup;
mod open;
mod show;

use self::open::{Access, Files, MasterSource, open, open_bound, public_keys};

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
        Command::Quickstart(_) => quickstart(&config).await,
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
async fn bind(config: &Config) -> Result<Listeners, SetupError> {
    let addr = config.listen_addr()?;
    // The bound address differs from the configured one only in its port.
    config.settings(addr)?;
    let admin_addr = config.admin_addr()?;
    let public = bind_one(addr).await?;
    let admin = match admin_addr {
        Some(addr) => Some(bind_one(addr).await?),
        None => None,
    };
    Ok(Listeners { public, admin })
}

async fn bind_one(addr: SocketAddr) -> Result<TcpListener, SetupError> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| SetupError::Config(format!("cannot listen on {addr}: {e}")))
}

/// Announces the bound addresses on stdout (for scripts and test harnesses) and in the
/// log: `listening on ADDR`, then `admin listening on ADDR` if the admin listener is on.
fn announce(listeners: &Listeners) -> Result<(), SetupError> {
    let addr = listeners.public.local_addr()?;
    println!("listening on {addr}");
    tracing::info!("listening on {addr}");
    if let Some(admin) = &listeners.admin {
        let addr = admin.local_addr()?;
        println!("admin listening on {addr}");
        tracing::info!("admin (metrics, health) listening on {addr}");
    }
    let _ = std::io::stdout().flush();
    Ok(())
}

async fn serve_on(listeners: Listeners, state: AppState) -> Result<(), CommandError> {
    announce(&listeners)?;
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
    let listeners = bind(config).await?;
    let addr = listeners.public.local_addr()?;
    let (state, _) = open_bound(config, Access::Serve, Some(addr)).await?;
    serve_on(listeners, state).await
}

async fn quickstart(config: &Config) -> Result<(), CommandError> {
    if let Some(path) = Files::of(config)?.database.filter(|p| p.exists()) {
        return Err(format!(
            "{} already exists; quickstart only sets up a new store (use `tollgate serve`)",
            path.display()
        )
        .into());
    }
    // Bind before creating anything, so a busy port leaves no half-made store behind.
    let listeners = bind(config).await?;
    let addr = listeners.public.local_addr()?;
    let (state, source) = open_bound(config, Access::Serve, Some(addr)).await?;
    let mut spec = ClientSpec::new(["demo:read", "demo:write"]);
    spec.id = Some(DEMO_CLIENT_ID.into());
    spec.name = "Quickstart demo client".into();
    let demo = admin::create_client(&state, spec).await?;
    let (id, secret) = (&demo.client.client_id, &demo.client_secret);
    let base = &state.settings().issuer;
    let db = &config.store.database;
    let sealing = match source {
        MasterSource::File(path) => format!(
            "The signing key and the pepper are sealed with the master key in {} (mode 0600).\n\
             Back it up with the store: without it the store cannot be opened.",
            path.display()
        ),
        MasterSource::Env => {
            "The signing key and the pepper are sealed with TOLLGATE_MASTER_KEY.".into()
        }
        MasterSource::Plaintext => "The signing key and the pepper are kept in plaintext \
                                    (--insecure-plaintext-keys)."
            .into(),
    };
    println!(
        "Created {db} with a signing key and a demo client.\n{sealing}\n\
         \n  client_id:     {id}\n  client_secret: {secret}\n\
         \nThe secret is shown once; only a keyed hash is stored.\n\
         \nGet a token (HTTP Basic):\n  curl -u '{id}:{secret}' -d grant_type=client_credentials {base}/oauth/token\n\
         \nGet a token (form parameters):\n  curl -d grant_type=client_credentials -d client_id={id} -d client_secret={secret} {base}/oauth/token\n\
         \nPublic keys for a Worker: `tollgate jwks > jwks.json` (or GET {base}/.well-known/jwks.json)\n"
    );
    serve_on(listeners, state).await
}

fn print_json<T: Serialize>(value: &T) -> Result<(), CommandError> {
    println!("{}", serde_json::to_string_pretty(value)?);
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
    let events = audit::list(store.as_ref(), since_ms).await?;
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
        ClientCommand::List { json } => {
            let clients = admin::list_clients(state).await?;
            if json {
                return print_json(&clients);
            }
            for view in &clients {
                println!("{}", show::client_line(view));
            }
        }
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
