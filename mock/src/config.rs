//! What the mock serves: accepted tokens, bots (with knowledge bases and ticketing), rate
//! limits. Bots come from a TOML file; the built-in default is `default_bots.toml`.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The bearer token the mock accepts unless told otherwise. A test token: printing it is fine.
pub const DEFAULT_TOKEN: &str = "enjo-mock-token";

/// The built-in bots, as TOML (what `enjo mock --print-config` prints).
pub const DEFAULT_BOTS_TOML: &str = include_str!("default_bots.toml");

/// At most `requests` accepted requests per client IP in any window of length `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests allowed per window.
    pub requests: u32,
    /// The window's length.
    pub window: Duration,
}

impl Quota {
    /// Enjo's documented limits: 20 per minute and 10 per 5 seconds.
    pub const DOCUMENTED: [Quota; 2] = [
        Quota {
            requests: 20,
            window: Duration::from_secs(60),
        },
        Quota {
            requests: 10,
            window: Duration::from_secs(5),
        },
    ];
}

/// Parses `20/60s,10/5s` (units `ms`, `s`, `m`; bare numbers are seconds) or `off`.
pub fn parse_rate_limit(spec: &str) -> Result<Option<Vec<Quota>>, String> {
    let spec = spec.trim();
    if spec.eq_ignore_ascii_case("off") || spec.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let bad = |part: &str| {
        format!("rate limit {part:?} is not REQUESTS/WINDOW (e.g. 20/60s,10/5s) or off")
    };
    let quotas = spec
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|part| {
            let (n, w) = part.split_once('/').ok_or_else(|| bad(part))?;
            let requests: u32 = n.trim().parse().map_err(|_| bad(part))?;
            let w = w.trim();
            let (value, scale) = match w {
                _ if w.ends_with("ms") => (&w[..w.len() - 2], 0.001),
                _ if w.ends_with('s') => (&w[..w.len() - 1], 1.0),
                _ if w.ends_with('m') => (&w[..w.len() - 1], 60.0),
                _ => (w, 1.0),
            };
            let value: f64 = value.trim().parse().map_err(|_| bad(part))?;
            let window = Duration::try_from_secs_f64(value * scale).map_err(|_| bad(part))?;
            if requests == 0 || window.is_zero() {
                return Err(bad(part));
            }
            Ok(Quota { requests, window })
        })
        .collect::<Result<Vec<_>, String>>()?;
    if quotas.is_empty() {
        return Err(bad(spec));
    }
    Ok(Some(quotas))
}

/// Which ticketing platform a bot is wired to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ticketing {
    /// Salesforce Cases (the shape of the vendor's documented example).
    Salesforce,
    /// Jira issues (`key`, `fields`).
    Jira,
    /// ServiceNow incidents (`number`, `sys_id`, `state`).
    ServiceNow,
    /// No ticketing: the bot answers and says no ticket was created.
    #[default]
    None,
}

impl Ticketing {
    /// The name used in TOML and in `/_mock/tickets`.
    pub fn as_str(self) -> &'static str {
        match self {
            Ticketing::Salesforce => "salesforce",
            Ticketing::Jira => "jira",
            Ticketing::ServiceNow => "servicenow",
            Ticketing::None => "none",
        }
    }
}

/// One knowledge-base article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// Title, returned as the source's `name`.
    pub title: String,
    /// Link, returned as the source's `url`.
    pub url: String,
    /// Source type, e.g. `knowledge base`, `jira`, `confluence`.
    #[serde(rename = "type", default = "default_article_type")]
    pub kind: String,
    /// The text retrieval searches and answers with.
    pub body: String,
}

fn default_article_type() -> String {
    "knowledge base".to_owned()
}

/// One bot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BotConfig {
    /// The id in `/v1/bots/{id}/message`.
    pub id: String,
    /// A display name.
    #[serde(default)]
    pub name: String,
    /// Its ticketing platform.
    #[serde(default)]
    pub ticketing: Ticketing,
    /// Answer with the message text itself (a test aid), instead of retrieval.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub echo: bool,
    /// A fault applied to every request to this bot (see the faults in the README).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    /// The knowledge base.
    #[serde(default)]
    pub articles: Vec<Article>,
}

#[derive(Debug, Serialize, Deserialize)]
struct BotsFile {
    bots: Vec<BotConfig>,
}

/// Parses bots from TOML text (`[[bots]]` tables).
pub fn bots_from_toml(text: &str) -> Result<Vec<BotConfig>, String> {
    let file: BotsFile = toml::from_str(text).map_err(|e| e.to_string())?;
    for bot in &file.bots {
        if let Some(fault) = &bot.fault {
            crate::faults::Fault::parse(fault).map_err(|e| format!("bot {}: {e}", bot.id))?;
        }
    }
    Ok(file.bots)
}

/// The built-in bots: `support-bot` (Salesforce), `jira-bot`, `servicenow-bot`, `faq-bot` (no
/// ticketing) and `echo-bot` (test aid).
pub fn default_bots() -> Vec<BotConfig> {
    bots_from_toml(DEFAULT_BOTS_TOML).unwrap_or_default()
}

/// Everything the server needs.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// Accepted bearer tokens.
    pub tokens: Vec<String>,
    /// The bots.
    pub bots: Vec<BotConfig>,
    /// Per-IP quotas; `None` turns rate limiting off.
    pub rate_limit: Option<Vec<Quota>>,
    /// Address to listen on (default 127.0.0.1).
    pub host: IpAddr,
    /// Port (0: any free port).
    pub port: u16,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            tokens: vec![DEFAULT_TOKEN.to_owned()],
            bots: default_bots(),
            rate_limit: Some(Quota::DOCUMENTED.to_vec()),
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
        }
    }
}

impl MockConfig {
    /// Turns rate limiting off.
    pub fn without_rate_limit(mut self) -> Self {
        self.rate_limit = None;
        self
    }

    /// Enforces these quotas per client IP.
    pub fn with_rate_limit(mut self, quotas: Vec<Quota>) -> Self {
        self.rate_limit = Some(quotas);
        self
    }

    /// Accepts these tokens (instead of the default one).
    pub fn with_tokens(mut self, tokens: Vec<String>) -> Self {
        self.tokens = tokens;
        self
    }

    /// Replaces the bots with those of a TOML file.
    pub fn with_bots_file(mut self, path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        self.bots = bots_from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_bots_load_with_a_dozen_articles_each() {
        let bots = bots_from_toml(DEFAULT_BOTS_TOML).expect("built-in TOML parses");
        let ids: Vec<_> = bots.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "support-bot",
                "jira-bot",
                "servicenow-bot",
                "faq-bot",
                "echo-bot"
            ]
        );
        for bot in bots.iter().filter(|b| !b.echo) {
            assert!(
                bot.articles.len() >= 12,
                "{} has {}",
                bot.id,
                bot.articles.len()
            );
        }
        assert_eq!(bots[0].ticketing, Ticketing::Salesforce);
        assert_eq!(bots[1].ticketing, Ticketing::Jira);
        assert_eq!(bots[2].ticketing, Ticketing::ServiceNow);
        assert_eq!(bots[3].ticketing, Ticketing::None);
    }

    #[test]
    fn rate_limit_specs() {
        assert_eq!(parse_rate_limit("off"), Ok(None));
        assert_eq!(
            parse_rate_limit("20/60s,10/5s"),
            Ok(Some(Quota::DOCUMENTED.to_vec()))
        );
        assert_eq!(
            parse_rate_limit("5/200ms"),
            Ok(Some(vec![Quota {
                requests: 5,
                window: Duration::from_millis(200)
            }]))
        );
        for bad in ["", "5", "0/1s", "x/1s", "5/0s", "5/1h"] {
            assert!(parse_rate_limit(bad).is_err(), "{bad}");
        }
    }
}
