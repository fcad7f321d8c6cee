//! What each `tollgate` subcommand does.
//!
//! Results go to stdout (JSON with `--json`); logs and errors go to stderr.

use std::{io::Write as _, net::SocketAddr, path::PathBuf, sync::Arc};

use serde::Serialize;
use tokio::net::TcpListener;

use crate::{
    AppState,
    admin::{self, ClientSpec, ClientView},
    cli::{Cli, ClientCommand, Command, KeysCommand},
    clock::{Clock as _, SystemClock},
    config::{self, Config, Layer, LogFormat, ServerArgs, spec},
    error::SetupError,
    keys::{KeyInfo, KeyRing},
    seal::{self, MasterKey},
    store::{SqliteStore, Store},
    telemetry,
};

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
        Command::Client(command) => client(&open(&config, Access::Admin).await?.0, command).await,
        Command::Keys(command) => keys(&config, command).await,
        Command::Jwks => {
            let ring = public_keys(&config).await?;
            println!("{}", ring.current().jwks_json());
            Ok(())
        }
    }
}

/// What a command needs from the store and its master key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    /// `serve`, `quickstart`: may create the store and its master key file; refuses
    /// store or key files other users can read.
    Serve,
    /// Commands that use secrets (`client ...`, `keys rotate`): an existing store and
    /// its existing master key.
    Admin,
    /// `jwks`, `keys list`: an existing store, public halves only, no master key.
    Public,
}

/// Where the store's secrets live on disk (`None` for an in-memory store).
struct Files {
    database: Option<PathBuf>,
    key: Option<PathBuf>,
}

impl Files {
    fn of(config: &Config) -> Result<Self, SetupError> {
        let database = SqliteStore::file_path(&config.store.database)?;
        let key = config.store.master_key_file.clone().or_else(|| {
            database
                .as_ref()
                .map(|db| db.with_file_name(spec::MASTER_KEY_FILE_NAME))
        });
        Ok(Self { database, key })
    }

    /// The database, its `-wal` and `-shm` files, and the key file.
    fn secret_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = self.database.iter().cloned().collect();
        for suffix in ["-wal", "-shm"] {
            files.extend(self.database.iter().map(|db| {
                let mut name = db.as_os_str().to_owned();
                name.push(suffix);
                PathBuf::from(name)
            }));
        }
        files.extend(self.key.iter().cloned());
        files
    }

    fn key_name(&self) -> String {
        self.key
            .as_ref()
            .map_or_else(|| "no key file".into(), |p| p.display().to_string())
    }
}

/// Which master key seals the store.
enum MasterSource {
    Env,
    File(PathBuf),
    Plaintext,
}

async fn open_store(
    config: &Config,
    files: &Files,
    access: Access,
) -> Result<Arc<dyn Store>, CommandError> {
    let url = &config.store.database;
    if access == Access::Serve {
        for path in files.secret_files() {
            seal::check_private(&path)?;
        }
        return Ok(Arc::new(SqliteStore::open(url).await?));
    }
    if let Some(db) = files.database.as_ref().filter(|db| !db.exists()) {
        return Err(format!(
            "{} does not exist: `tollgate serve` (or `tollgate quickstart`) creates the store \
             and its master key",
            db.display()
        )
        .into());
    }
    Ok(Arc::new(SqliteStore::open_existing(url).await?))
}

/// The master key: TOLLGATE_MASTER_KEY, else the key file. Only `serve` and `quickstart`
/// (`create`) make a key file, and only for a store that holds nothing sealed yet.
async fn master_key(
    config: &Config,
    files: &Files,
    store: &dyn Store,
    create: bool,
) -> Result<(Option<MasterKey>, MasterSource), CommandError> {
    match std::env::var("TOLLGATE_MASTER_KEY") {
        Ok(value) if !value.trim().is_empty() => {
            return Ok((Some(MasterKey::from_base64(&value)?), MasterSource::Env));
        }
        _ => {}
    }
    if let Some(path) = &files.key
        && let Some(key) = seal::read_key_file(path)?
    {
        return Ok((Some(key), MasterSource::File(path.clone())));
    }
    let name = files.key_name();
    if seal::store_is_sealed(store).await? {
        return Err(format!(
            "the store is sealed and its master key file {name} does not exist: restore it, \
             or give the key with --master-key-file or TOLLGATE_MASTER_KEY"
        )
        .into());
    }
    if config.store.insecure_plaintext_keys {
        tracing::warn!(
            "--insecure-plaintext-keys: signing keys and the pepper are kept in plaintext in \
             the store; anyone who can read it can mint tokens"
        );
        return Ok((None, MasterSource::Plaintext));
    }
    match (&files.key, create) {
        (Some(path), true) => {
            let (key, created) = seal::read_or_create_key_file(path)?;
            if created {
                tracing::info!(
                    file = %path.display(),
                    "created the master key file (mode 0600); back it up: the store cannot \
                     be opened without it"
                );
            }
            Ok((Some(key), MasterSource::File(path.clone())))
        }
        _ => Err(format!(
            "no master key: {name} does not exist (the first `tollgate serve` creates it); \
             give it with --master-key-file or TOLLGATE_MASTER_KEY, or pass \
             --insecure-plaintext-keys for a store kept in plaintext"
        )
        .into()),
    }
}

/// Opens the store and its master key, and loads the state. `Serve` binds first, then
/// names the bound address in the settings.
async fn open(config: &Config, access: Access) -> Result<(AppState, MasterSource), CommandError> {
    open_bound(config, access, None).await
}

async fn open_bound(
    config: &Config,
    access: Access,
    bound: Option<SocketAddr>,
) -> Result<(AppState, MasterSource), CommandError> {
    let files = Files::of(config)?;
    let store = open_store(config, &files, access).await?;
    let (master, source) =
        master_key(config, &files, store.as_ref(), access == Access::Serve).await?;
    let settings = match bound {
        Some(addr) => config.settings(addr)?,
        None => config.offline_settings(),
    };
    Ok((AppState::new(store, settings, master).await?, source))
}

/// The signing keys' public halves, without the master key.
async fn public_keys(config: &Config) -> Result<KeyRing, CommandError> {
    let files = Files::of(config)?;
    let store = open_store(config, &files, Access::Public).await?;
    let issuer = config.offline_settings().issuer;
    Ok(KeyRing::load_public(store, issuer, SystemClock.now()).await?)
}

async fn bind(config: &Config) -> Result<TcpListener, SetupError> {
    let addr = config.listen_addr()?;
    TcpListener::bind(addr)
        .await
        .map_err(|e| SetupError::Config(format!("cannot listen on {addr}: {e}")))
}

/// Announces the bound address on stdout (for scripts and test harnesses) and in the log.
fn announce(addr: SocketAddr) {
    println!("listening on {addr}");
    let _ = std::io::stdout().flush();
    tracing::info!("listening on {addr}");
}

async fn serve(config: &Config) -> Result<(), CommandError> {
    let listener = bind(config).await?;
    let addr = listener.local_addr()?;
    let (state, _) = open_bound(config, Access::Serve, Some(addr)).await?;
    announce(addr);
    crate::run(listener, state, crate::shutdown_signal()).await?;
    Ok(())
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
    let listener = bind(config).await?;
    let addr = listener.local_addr()?;
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
    announce(addr);
    crate::run(listener, state, crate::shutdown_signal()).await?;
    Ok(())
}

fn print_json<T: Serialize>(value: &T) -> Result<(), CommandError> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn print_client(view: &ClientView) {
    let status = match (view.disabled, view.locked_until) {
        (true, _) => "disabled".to_string(),
        (false, Some(until)) => format!("locked until {until}"),
        (false, None) => "active".to_string(),
    };
    println!(
        "{}\t{}\tscopes={}\taudiences={}\tttl={}s\trefresh={}\t{}",
        view.client_id,
        if view.name.is_empty() {
            "-"
        } else {
            &view.name
        },
        view.scopes.join(" "),
        if view.audiences.is_empty() {
            "(issuer)".to_string()
        } else {
            view.audiences.join(",")
        },
        view.ttl,
        view.refresh,
        status,
    );
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
            print_client(&created.client);
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
            clients.iter().for_each(print_client);
        }
        ClientCommand::Show { id, json } => {
            let view = admin::show_client(state, &id).await?;
            if json {
                return print_json(&view);
            }
            print_client(&view);
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
                println!("the previous secret works until {at}");
            }
        }
        ClientCommand::Disable { id, json } => set_disabled(state, &id, true, json).await?,
        ClientCommand::Enable { id, json } => set_disabled(state, &id, false, json).await?,
        ClientCommand::Unlock { id, source, json } => {
            let view = admin::unlock(state, &id, source.as_deref()).await?;
            if json {
                return print_json(&view);
            }
            print_client(&view);
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
    print_client(&view);
    Ok(())
}

fn print_key(key: &KeyInfo) {
    println!(
        "{}\t{:?}\tcreated={}\tactivate_at={}\tpublished_until={}",
        key.kid,
        key.state,
        key.created_at,
        key.activate_at,
        key.published_until
            .map_or_else(|| "-".to_string(), |t| t.to_string()),
    );
}

async fn keys(config: &Config, command: KeysCommand) -> Result<(), CommandError> {
    match command {
        KeysCommand::List { json } => {
            let ring = public_keys(config).await?;
            let keys = ring.current().plan().to_vec();
            if json {
                return print_json(&keys);
            }
            keys.iter().for_each(print_key);
        }
        KeysCommand::Rotate {
            activate_after,
            json,
        } => {
            let (state, _) = open(config, Access::Admin).await?;
            let key = admin::rotate_keys(&state, activate_after).await?;
            if json {
                return print_json(&key);
            }
            print_key(&key);
        }
    }
    Ok(())
}
