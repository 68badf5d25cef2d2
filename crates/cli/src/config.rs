//! Configuration: command-line flags, then `DEBRIEF_*` environment
//! variables, then `debrief.toml`, then defaults (first found wins).
//!
//! The default database is `debrief.db` in the data folder:
//! `$DEBRIEF_DATA_DIR`, else `$XDG_DATA_HOME/debrief`, else
//! `~/.local/share/debrief`. The folder is created on first start.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The settings the binary runs with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// Database URL; the SQLite file in `data_dir` when absent.
    #[serde(default)]
    pub database_url: Option<String>,
    /// Folder for the default SQLite database.
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    /// Address `serve` listens on.
    pub bind: SocketAddr,
    /// Log filter, as RUST_LOG (e.g. `info`, `debrief_web=debug`).
    pub log: String,
    /// Mark the session cookie `Secure`: set when debrief is served over HTTPS.
    pub secure_cookies: bool,
    /// Admins must set up TOTP before doing anything else.
    pub require_admin_mfa: bool,
    /// Response targets per severity (`[sla.critical]` `respond_minutes = 15`...).
    #[serde(default)]
    pub sla: debrief_core::sla::SlaTargets,
    /// Post-mortem process deadlines from the close (`[process]`
    /// `hold_meeting_days = 7`...).
    #[serde(default)]
    pub process: debrief_core::process::ProcessPolicy,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: None,
            data_dir: None,
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            log: "info".into(),
            secure_cookies: false,
            require_admin_mfa: true,
            sla: Default::default(),
            process: Default::default(),
        }
    }
}

/// The flags that override everything else; absent ones are left out so
/// the lower layers show through.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    /// `--database-url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// `--data-dir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// `--bind`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<SocketAddr>,
}

impl Config {
    /// Loads the layers. An explicitly named config file must exist.
    pub fn load(file: Option<&Path>, flags: Overrides) -> anyhow::Result<Config> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        let env_file = std::env::var_os("DEBRIEF_CONFIG").map(PathBuf::from);
        match file.map(Path::to_path_buf).or(env_file) {
            Some(path) => {
                anyhow::ensure!(
                    path.exists(),
                    "config file {} does not exist",
                    path.display()
                );
                fig = fig.merge(Toml::file(path));
            }
            None => fig = fig.merge(Toml::file("debrief.toml")),
        }
        fig.merge(Env::prefixed("DEBRIEF_").only(&[
            "database_url",
            "data_dir",
            "bind",
            "log",
            "secure_cookies",
            "require_admin_mfa",
        ]))
        .merge(Serialized::defaults(flags))
        .extract()
        .context("reading the configuration")
    }

    /// The guided-review settings, checked.
    pub fn guide(&self) -> anyhow::Result<debrief_core::review::Guide> {
        let guide = debrief_core::review::Guide {
            sla: self.sla.clone(),
            process: self.process.clone(),
        };
        let errs = guide.validate();
        anyhow::ensure!(errs.0.is_empty(), "configuration: {}", errs.summary());
        Ok(guide)
    }

    /// The database URL to use, creating the data folder for the default.
    pub fn database_url(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        let dir = self.data_dir.clone().unwrap_or_else(default_data_dir);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("creating the data folder {}", dir.display()))?;
        Ok(format!("sqlite://{}", dir.join("debrief.db").display()))
    }
}

fn default_data_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("debrief");
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => PathBuf::from(home).join(".local/share/debrief"),
        None => PathBuf::from("debrief-data"),
    }
}

/// The URL with any password replaced, for logs and messages: secrets never
/// reach a log.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_a_log_line() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(redact("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }

    #[test]
    fn flags_override_the_defaults() {
        let c = Config::load(
            None,
            Overrides {
                bind: Some(SocketAddr::from(([0, 0, 0, 0], 9))),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(c.bind.port(), 9);
    }
}
