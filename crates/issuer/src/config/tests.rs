use super::*;

fn server(f: impl FnOnce(&mut ServerArgs)) -> Layer {
    let mut layer = Layer::default();
    f(&mut layer.server);
    layer
}

#[test]
fn flags_and_env_win_over_the_file() {
    let file = Layer::from_toml(
        "database = \"sqlite:file.db\"\nlockout_threshold = 9\nlockout_base_secs = 7\n",
    )
    .unwrap();
    let over = server(|s| s.lockout_threshold = Some(3));
    let config = Config::resolve(over, file).unwrap();
    assert_eq!(config.store.database, "sqlite:file.db");
    let settings = config.settings("127.0.0.1:9".parse().unwrap()).unwrap();
    assert_eq!(settings.lockout.threshold, 3);
    assert_eq!(settings.lockout.base_ms, 7000);
    assert_eq!(settings.issuer, "http://127.0.0.1:9");
}

#[test]
fn defaults_lie_in_their_ranges() {
    for spec in spec::NUMERIC {
        assert_eq!(spec.resolve(None), Ok(spec.default), "{}", spec.key);
    }
    let settings = Settings::new("http://x/");
    assert_eq!(settings.issuer, "http://x");
    assert_eq!(settings.lockout_scope, LockoutScope::Source);
}

#[test]
fn a_source_gets_an_eighth_of_the_connections_unless_set() {
    let limits = |max, per_source| ConnectionLimits {
        max_connections: max,
        max_connections_per_source: per_source,
        ..Settings::new("http://x").limits
    };
    assert_eq!(Settings::new("http://x").limits.per_source(), 512);
    assert_eq!(limits(4, 0).per_source(), 1);
    assert_eq!(limits(64, 3).per_source(), 3);
    assert_eq!(
        limits(64, 100).per_source(),
        64,
        "never more than every slot"
    );
    let file = Layer::from_toml("max_connections_per_source = 7").unwrap();
    let config = Config::resolve(Layer::default(), file).unwrap();
    let settings = config.settings("127.0.0.1:9".parse().unwrap()).unwrap();
    assert_eq!(settings.limits.per_source(), 7);
}

#[test]
fn file_values_out_of_range_are_refused_by_name() {
    for (text, name) in [
        (
            "lockout_base_secs = 100000000000000000",
            "lockout_base_secs",
        ),
        ("lockout_threshold = 0", "lockout_threshold"),
        ("max_token_ttl_secs = 99999999", "max_token_ttl_secs"),
        (
            "lockout_base_secs = 60\nlockout_max_secs = 30",
            "lockout_max_secs",
        ),
    ] {
        let file = Layer::from_toml(text).unwrap();
        let err = Config::resolve(Layer::default(), file)
            .unwrap_err()
            .to_string();
        assert!(err.contains(name), "{text}: {err}");
    }
    for text in [
        "invalid_client_status = 402",
        "lockout_scope = \"everyone\"",
        "nope = 1",
    ] {
        assert!(Layer::from_toml(text).is_err(), "{text}");
    }
}

#[test]
fn a_public_listen_address_needs_an_issuer() {
    let config = Config::resolve(Layer::default(), Layer::default()).unwrap();
    let err = config
        .settings("0.0.0.0:8080".parse().unwrap())
        .unwrap_err();
    assert!(err.to_string().contains("--issuer"), "{err}");
    let config = Config::resolve(
        server(|s| s.issuer = Some("https://auth.example.com/".into())),
        Layer::default(),
    )
    .unwrap();
    let settings = config.settings("0.0.0.0:8080".parse().unwrap()).unwrap();
    assert_eq!(settings.issuer, "https://auth.example.com");
}

#[test]
fn token_paths_are_checked() {
    let paths = token_paths(vec![
        " /connect/token".into(),
        "/oauth/token".into(),
        "/connect/token".into(),
        String::new(),
    ])
    .unwrap();
    assert_eq!(paths, ["/connect/token"]);
    assert!(token_paths(vec!["/a/{id}".into()]).is_err());
    assert!(token_paths(vec!["relative".into()]).is_err());
}

#[test]
fn the_docs_hold_the_reference_table() {
    let docs = include_str!("../../../../docs/configuration.md");
    let table = spec::reference_table();
    let start = docs.find("<!-- settings:begin -->\n").map(|i| i + 24);
    let end = docs.find("<!-- settings:end -->");
    let (Some(start), Some(end)) = (start, end) else {
        panic!("docs/configuration.md has no settings markers");
    };
    assert_eq!(
        &docs[start..end],
        table,
        "docs/configuration.md is out of date; paste spec::reference_table()"
    );
}
