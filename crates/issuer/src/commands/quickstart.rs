//! `tollgate quickstart`: a new store, a signing key and a demo client whose tokens the
//! example Worker (`www/worker-example`, `docs/workers.md`) accepts, then `serve`.
//!
//! Every command it prints works as printed: the binary is named `tollgate` only when
//! that name on `PATH` is this very binary; otherwise by the path it runs from.

use std::path::{Path, PathBuf};

use super::open::{Access, Files, MasterSource, open_bound};
use super::{CommandError, DEMO_CLIENT_ID, bind, serve_on};
use crate::{
    admin::{self, ClientSpec},
    config::{Config, spec},
};

/// The audience the example Worker checks (its `TOLLGATE_AUDIENCE`).
pub const DEMO_AUDIENCE: &str = "https://api.example.com";
/// The demo client's scopes: `orders:read` is what the example Worker's route needs.
pub const DEMO_SCOPES: [&str; 2] = ["orders:read", "orders:write"];

pub(super) async fn quickstart(config: &Config) -> Result<(), CommandError> {
    if let Some(path) = Files::of(config)?.database.filter(|p| p.exists()) {
        return Err(format!(
            "{} already exists; quickstart only sets up a new store (use `tollgate serve`)",
            path.display()
        )
        .into());
    }
    // Bind before creating anything, so a busy port leaves no half-made store behind.
    let listeners = bind(config)?;
    let addr = listeners.public.local_addr()?;
    let (state, source) = open_bound(config, Access::Serve, Some(addr)).await?;
    let mut spec = ClientSpec::new(DEMO_SCOPES);
    spec.id = Some(DEMO_CLIENT_ID.into());
    spec.name = "Quickstart demo client".into();
    spec.audiences = vec![DEMO_AUDIENCE.into()];
    let demo = admin::create_client(&state, spec).await?;
    let (id, secret) = (&demo.client.client_id, &demo.client_secret);
    let base = &state.settings().issuer;
    let db = &config.store.database;
    let jwks = jwks_command(config);
    let scopes = DEMO_SCOPES.join(" ");
    println!(
        "Created {db} with a signing key and a demo client.\n{sealing}\n\
         \n  client_id:     {id}\n  client_secret: {secret}\n  scopes:        {scopes}\n  audience:      {DEMO_AUDIENCE}\n\
         \nThe secret is shown once; only a keyed hash is stored.\n\
         \nGet a token (HTTP Basic):\n  curl -u '{id}:{secret}' -d grant_type=client_credentials {base}/oauth/token\n\
         \nGet a token (form parameters):\n  curl -d grant_type=client_credentials -d client_id={id} -d client_secret={secret} {base}/oauth/token\n\
         \nPublic keys for a Worker (or GET {base}/.well-known/jwks.json):\n  {jwks} > jwks.json\n\
         \nThe example Worker (www/worker-example, docs/workers.md) accepts these tokens on\n\
         GET /api/orders (audience {DEMO_AUDIENCE}, scope orders:read) with\n\
         TOLLGATE_JWKS set to jwks.json and TOLLGATE_ISSUER = \"{base}\".\n",
        sealing = sealing(source),
    );
    serve_on(listeners, config, state).await
}

fn sealing(source: MasterSource) -> String {
    match source {
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
    }
}

/// `tollgate jwks`, as this shell can run it: this binary's name or path, and the store
/// when it is not the default one.
fn jwks_command(config: &Config) -> String {
    let mut command = format!("{} jwks", shell_quote(&program_name()));
    if config.store.database != spec::DEFAULT_DATABASE {
        command.push_str(" --database ");
        command.push_str(&shell_quote(&config.store.database));
    }
    command
}

/// `tollgate` if that name on `PATH` is this binary, else the path this binary runs from
/// (e.g. `target/release/tollgate` under `cargo run`).
fn program_name() -> String {
    let Ok(exe) = std::env::current_exe() else {
        return "tollgate".into();
    };
    let on_path = on_path("tollgate").and_then(|p| p.canonicalize().ok());
    if on_path.is_some() && on_path == exe.canonicalize().ok() {
        "tollgate".into()
    } else {
        exe.display().to_string()
    }
}

/// The first executable file called `name` in a `PATH` directory, as a shell finds it.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `word` as one POSIX shell word: unchanged when it has no special character, else in
/// single quotes.
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+:=,@%".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn shell_words_survive_quoting() {
        assert_eq!(
            shell_quote("/usr/local/bin/tollgate"),
            "/usr/local/bin/tollgate"
        );
        assert_eq!(shell_quote("sqlite://data/t.db"), "sqlite://data/t.db");
        assert_eq!(shell_quote("/home/a b/tollgate"), "'/home/a b/tollgate'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$(rm -rf x)"), "'$(rm -rf x)'");
        assert_eq!(shell_quote(""), "''");
    }
}
