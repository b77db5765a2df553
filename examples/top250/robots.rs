//! robots.txt, as RFC 9309 reads it: the group for the crawler's name (or
//! `*`), its `Allow` and `Disallow` rules, and the longest match decides.
//!
//! The crawler fetches `/robots.txt` before anything else from a live site
//! (not from its own mirror) and asks [`Robots::allows`] before each page;
//! `--ignore-robots` skips both and says so. Pure text in, answers out, so
//! the rules are tested below without a server.

/// One `Allow` (true) or `Disallow` (false) rule and its path pattern.
type Rule = (bool, String);

/// The rules that apply to this crawler.
#[derive(Clone, Debug, Default)]
pub struct Robots {
    /// `(allow, pattern)` in file order; no rules allows everything.
    rules: Vec<Rule>,
    /// Set when robots.txt could not be had (5xx, network): RFC 9309 says
    /// to assume the whole site is disallowed.
    disallow_all: bool,
}

impl Robots {
    /// Everything allowed: no robots.txt (a 4xx), the mirror, or
    /// `--ignore-robots`.
    pub fn allow_all() -> Robots {
        Robots::default()
    }

    /// Nothing allowed: robots.txt was unreachable (RFC 9309 section 2.3.1.4).
    pub fn disallow_all() -> Robots {
        Robots { rules: Vec::new(), disallow_all: true }
    }

    /// The rules in `text` for the crawler called `agent` (its product
    /// token, matched case-insensitively), or for `*` if no group names it.
    pub fn parse(text: &str, agent: &str) -> Robots {
        // Each group: its user-agent lines, then its rules. Consecutive
        // user-agent lines share the rules that follow them.
        let mut groups: Vec<(Vec<String>, Vec<Rule>)> = Vec::new();
        let mut in_agents = false;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((key, value)) = line.split_once(':') else { continue };
            let (key, value) = (key.trim().to_ascii_lowercase(), value.trim());
            match key.as_str() {
                "user-agent" => {
                    if !in_agents {
                        groups.push((Vec::new(), Vec::new()));
                        in_agents = true;
                    }
                    if let Some(group) = groups.last_mut() {
                        group.0.push(value.to_ascii_lowercase());
                    }
                }
                "allow" | "disallow" => {
                    in_agents = false;
                    // An empty Disallow allows everything: no rule at all.
                    if let Some(group) = groups.last_mut()
                        && !value.is_empty()
                    {
                        group.1.push((key == "allow", value.to_owned()));
                    }
                }
                // Sitemap, Crawl-delay and the like end no group.
                _ => {}
            }
        }
        // The rules of every group naming the crawler, merged (RFC 9309
        // 2.2.1); failing that, those of the `*` groups.
        let rules_for = |name: &str| -> Option<Vec<Rule>> {
            let named: Vec<_> = groups.iter().filter(|(agents, _)| agents.iter().any(|a| a == name)).collect();
            (!named.is_empty()).then(|| named.into_iter().flat_map(|(_, rules)| rules.clone()).collect())
        };
        let rules = rules_for(&agent.to_ascii_lowercase()).or_else(|| rules_for("*")).unwrap_or_default();
        Robots { rules, disallow_all: false }
    }

    /// Whether the crawler may fetch `path` (with its query): the longest
    /// matching rule decides, `Allow` winning a tie; `/robots.txt` itself is
    /// always allowed.
    pub fn allows(&self, path: &str) -> bool {
        if path == "/robots.txt" {
            return true;
        }
        if self.disallow_all {
            return false;
        }
        let best = self
            .rules
            .iter()
            .filter(|(_, pattern)| matches(pattern, path))
            .max_by_key(|(allow, pattern)| (pattern.len(), *allow));
        best.is_none_or(|(allow, _)| *allow)
    }
}

/// Whether a rule's `pattern` matches the start of `path`: `*` stands for
/// any run of characters, and a final `$` anchors the end.
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(pattern) => (pattern, true),
        None => (pattern, false),
    };
    let mut pieces = pattern.split('*');
    // The first piece must match at the start; each later one anywhere after.
    let first = pieces.next().unwrap_or("");
    let Some(mut rest) = path.strip_prefix(first) else { return false };
    let pieces: Vec<&str> = pieces.collect();
    for (i, piece) in pieces.iter().enumerate() {
        let last = i + 1 == pieces.len();
        if last && anchored {
            return rest.ends_with(piece);
        }
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    !anchored || rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOUBAN_LIKE: &str = "\
User-agent: *
Disallow: /subject_search
Disallow: /search   # the site's search
Allow: /subject/
Sitemap: https://example.com/sitemap.xml

User-agent: Top250
User-agent: other
Disallow: /subject/1292052/
Allow: /subject/1292052/comments$
";

    #[test]
    fn the_group_naming_the_crawler_wins_over_the_star_group() {
        let robots = Robots::parse(DOUBAN_LIKE, "top250");
        assert!(!robots.allows("/subject/1292052/"));
        assert!(robots.allows("/subject/1292052/comments"));
        assert!(!robots.allows("/subject/1292052/comments/2"));
        // The star group's rules do not apply to a named crawler.
        assert!(robots.allows("/search?q=x"));
    }

    #[test]
    fn any_other_crawler_gets_the_star_group() {
        let robots = Robots::parse(DOUBAN_LIKE, "somebot");
        assert!(!robots.allows("/search?q=x"));
        assert!(!robots.allows("/subject_search?q=x"));
        assert!(robots.allows("/subject/1292052/"));
        assert!(robots.allows("/top250?start=0&filter="));
    }

    #[test]
    fn the_longest_match_decides_and_allow_wins_a_tie() {
        let robots =
            Robots::parse("User-agent: *\nDisallow: /a\nAllow: /a/b\nDisallow: /a/b/c\nAllow: /x\nDisallow: /x\n", "t");
        assert!(!robots.allows("/a"));
        assert!(robots.allows("/a/b"));
        assert!(!robots.allows("/a/b/c/d"));
        assert!(robots.allows("/x"));
    }

    #[test]
    fn wildcards_and_end_anchors_match_as_rfc_9309_says() {
        assert!(matches("/*.php$", "/index.php"));
        assert!(!matches("/*.php$", "/index.php?x=1"));
        assert!(matches("/*.php", "/a/index.php?x=1"));
        assert!(matches("/fish*", "/fish.html"));
        assert!(matches("/top250$", "/top250"));
        assert!(!matches("/top250$", "/top250?start=0"));
        assert!(!matches("/fish", "/Fish"));
    }

    #[test]
    fn an_empty_disallow_and_no_file_allow_everything_and_unreachable_allows_nothing() {
        assert!(Robots::parse("User-agent: *\nDisallow:\n", "t").allows("/anything"));
        assert!(Robots::allow_all().allows("/anything"));
        assert!(!Robots::disallow_all().allows("/top250"));
        assert!(Robots::disallow_all().allows("/robots.txt"));
    }
}
