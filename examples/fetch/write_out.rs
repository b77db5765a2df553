//! `-w FORMAT`: curl's write-out, the line printed after the transfer with
//! `%{name}` variables filled in from what happened.

use std::time::Duration;

/// What the transfer produced, for the variables.
#[derive(Debug, Default)]
pub struct Transfer {
    /// The final response's status (0 if none arrived).
    pub http_code: u16,
    /// The URL of the final response.
    pub url_effective: String,
    /// Redirects followed.
    pub num_redirects: usize,
    /// Body bytes written (after decoding).
    pub size_download: u64,
    /// From start to the last body byte.
    pub time_total: Duration,
    /// The final response's Content-Type, if any.
    pub content_type: Option<String>,
}

/// `format` with its variables and `\n`, `\r`, `\t`, `\\` escapes replaced,
/// and a warning for each variable fetch does not know (printed as it
/// stands, as curl does).
pub fn render(format: &str, transfer: &Transfer) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut warnings = Vec::new();
    let mut rest = format;
    while let Some(at) = rest.find(['%', '\\']) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix("%{")
            && let Some(end) = after.find('}')
        {
            let name = &after[..end];
            match variable(name, transfer) {
                Some(value) => out.push_str(&value),
                None => {
                    warnings.push(format!("unknown --write-out variable: '{name}'"));
                    out.push_str(&rest[..end + 3]);
                }
            }
            rest = &after[end + 1..];
            continue;
        }
        let (replacement, taken) = match rest.as_bytes().get(..2) {
            Some(b"%%") => ("%", 2),
            Some(b"\\n") => ("\n", 2),
            Some(b"\\r") => ("\r", 2),
            Some(b"\\t") => ("\t", 2),
            Some(b"\\\\") => ("\\", 2),
            _ => (&rest[..1], 1),
        };
        out.push_str(replacement);
        rest = &rest[taken..];
    }
    out.push_str(rest);
    (out, warnings)
}

/// One variable's value, or `None` for a name fetch does not know.
fn variable(name: &str, transfer: &Transfer) -> Option<String> {
    Some(match name {
        // curl prints the code as three digits, 000 when nothing answered.
        "http_code" | "response_code" => format!("{:03}", transfer.http_code),
        "url_effective" => transfer.url_effective.clone(),
        "num_redirects" => transfer.num_redirects.to_string(),
        "size_download" => transfer.size_download.to_string(),
        "time_total" => format!("{:.6}", transfer.time_total.as_secs_f64()),
        "content_type" => transfer.content_type.clone().unwrap_or_default(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_and_escapes_are_replaced() {
        let transfer = Transfer {
            http_code: 200,
            url_effective: "http://h/x".into(),
            num_redirects: 2,
            size_download: 42,
            time_total: Duration::from_millis(1500),
            content_type: Some("text/html".into()),
        };
        let (out, warnings) = render(
            "%{http_code} %{url_effective} %{num_redirects} %{size_download} %{time_total} %{content_type} 100%%\\n",
            &transfer,
        );
        assert_eq!(out, "200 http://h/x 2 42 1.500000 text/html 100%\n");
        assert!(warnings.is_empty());
    }

    #[test]
    fn an_unknown_variable_is_kept_and_warned_about() {
        let (out, warnings) = render("[%{nope}] %{http_code", &Transfer::default());
        assert_eq!(out, "[%{nope}] %{http_code");
        assert_eq!(warnings, ["unknown --write-out variable: 'nope'"]);
    }

    #[test]
    fn no_answer_is_code_000() {
        assert_eq!(render("%{http_code}", &Transfer::default()).0, "000");
    }
}
