//! The server's requests: who may ask (the host named and the token), the routes, and the
//! headers every answer carries (no caching, no referrer, no framing, no CORS: a page of
//! another site can neither read nor embed this one).

use std::io::Read;

use tiny_http::{Header, Method, Request, Response};

use super::session::{RunRequest, Session};

/// The page and its assets, built into the binary.
const PAGE: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/app.js");
const STYLE: &str = include_str!("page/style.css");

/// A run's options are small: a body past this is refused.
const MAX_OPTIONS: u64 = 64 * 1024;

/// What a request must show.
pub struct Guard {
    hosts: [String; 2],
    token: String,
}

impl Guard {
    pub fn new(port: u16, token: String) -> Self {
        Guard {
            hosts: [format!("127.0.0.1:{port}"), format!("localhost:{port}")],
            token,
        }
    }

    /// Why `request` is refused, if it is: first its Host header (a page of another site
    /// reaching 127.0.0.1 through its own name, DNS rebinding, names that site), then the
    /// token, in the address or the `X-Pi2de-Token` header.
    fn refusal(&self, request: &Request) -> Option<&'static str> {
        let host = header(request, "Host");
        if !host.is_some_and(|h| self.hosts.iter().any(|a| a.eq_ignore_ascii_case(h))) {
            return Some(
                "refused: pi2de serve answers to 127.0.0.1 and localhost only (the request's Host header names another)",
            );
        }
        let token = query(request.url(), "token")
            .or_else(|| header(request, "X-Pi2de-Token").map(str::to_string));
        if !token.is_some_and(|t| same(&t, &self.token)) {
            return Some(
                "refused: this address lacks the session's token; open the address pi2de serve printed",
            );
        }
        None
    }
}

/// Compares in time independent of where the texts differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A header's value.
fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// A query parameter of `url`, percent-decoded.
pub fn query(url: &str, name: &str) -> Option<String> {
    let (_, q) = url.split_once('?')?;
    q.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

type Answer = Response<Box<dyn Read + Send>>;

/// An answer with the headers every answer carries.
fn answer(status: u16, kind: &str, body: Box<dyn Read + Send>, len: Option<usize>) -> Answer {
    let mut r = Response::new(status.into(), Vec::new(), body, len, None);
    for (k, v) in [
        ("Content-Type", kind),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
        (
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
    ] {
        if let Ok(h) = Header::from_bytes(k, v) {
            r.add_header(h);
        }
    }
    r
}

fn text(status: u16, kind: &str, body: String) -> Answer {
    let len = body.len();
    answer(
        status,
        kind,
        Box::new(std::io::Cursor::new(body.into_bytes())),
        Some(len),
    )
}

fn json(status: u16, value: &serde_json::Value) -> Answer {
    text(status, "application/json", value.to_string())
}

fn problem(status: u16, message: &str) -> Answer {
    json(status, &serde_json::json!({ "error": message }))
}

/// Answers one request (on its own thread).
pub fn handle(mut request: Request, guard: &Guard, session: &Session) {
    let response = match guard.refusal(&request) {
        Some(why) => problem(403, why),
        None => route(&mut request, guard, session),
    };
    // A browser that went away: nothing to tell.
    let _ = request.respond(response);
}

fn route(request: &mut Request, guard: &Guard, session: &Session) -> Answer {
    let url = request.url().to_string();
    let path = url.split('?').next().unwrap_or("");
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (request.method(), parts.as_slice()) {
        (Method::Get, [""]) => text(200, "text/html; charset=utf-8", page(&guard.token)),
        (Method::Get, ["app.js"]) => text(200, "text/javascript; charset=utf-8", SCRIPT.into()),
        (Method::Get, ["style.css"]) => text(200, "text/css; charset=utf-8", STYLE.into()),
        (Method::Post, ["api", "upload"]) => upload(request, &url, session),
        (Method::Post, ["api", "run"]) => start(request, session),
        (Method::Get, ["api", "run", id]) => {
            match id.parse().ok().and_then(|id| session.status(id)) {
                Some(status) => json(200, &status),
                None => problem(404, "no such run"),
            }
        }
        (Method::Get, ["api", "run", id, "file", name]) => {
            match id.parse().ok().and_then(|id| session.file(id, name)) {
                Some((file, len, name)) => {
                    let mut r = answer(
                        200,
                        kind_of(&name),
                        Box::new(file),
                        usize::try_from(len).ok(),
                    );
                    let disposition = format!("attachment; filename=\"{name}\"");
                    if let Ok(h) = Header::from_bytes("Content-Disposition", disposition) {
                        r.add_header(h);
                    }
                    r
                }
                None => problem(404, "no such file"),
            }
        }
        (Method::Get | Method::Post, _) => problem(404, "no such page"),
        _ => problem(405, "only GET and POST are answered"),
    }
}

/// The page, with the token and the reasons for leaving values out in the console's order.
fn page(token: &str) -> String {
    let reasons: Vec<&str> = crate::reason::Reason::ALL
        .iter()
        .map(|r| r.name())
        .collect();
    PAGE.replace("{{TOKEN}}", token)
        .replace("{{REASONS}}", &reasons.join(" "))
}

fn kind_of(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("json") => "application/json",
        Some("csv") => "text/csv; charset=utf-8",
        Some("xml") => "application/xml",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("gz") => "application/gzip",
        _ => "application/octet-stream",
    }
}

/// `POST /api/upload?role=…&name=…`: the body is the file.
fn upload(request: &mut Request, url: &str, session: &Session) -> Answer {
    let (Some(role), Some(name)) = (query(url, "role"), query(url, "name")) else {
        return problem(400, "an upload names its role and file name");
    };
    let declared = request.body_length().map(|n| n as u64);
    match session.upload(&role, &name, declared, request.as_reader()) {
        Ok(done) => json(200, &done),
        Err((status, why)) => problem(status, &why),
    }
}

/// `POST /api/run`: the body is the run's options (JSON).
fn start(request: &mut Request, session: &Session) -> Answer {
    let mut body = Vec::new();
    if request
        .as_reader()
        .take(MAX_OPTIONS + 1)
        .read_to_end(&mut body)
        .is_err()
        || body.len() as u64 > MAX_OPTIONS
    {
        return problem(413, "the run's options could not be read");
    }
    let options: RunRequest = match serde_json::from_slice(&body) {
        Ok(o) => o,
        Err(e) => return problem(400, &format!("the run's options: {e}")),
    };
    match session.start(&options) {
        Ok(id) => json(200, &serde_json::json!({ "run": id })),
        Err((status, why)) => problem(status, &why),
    }
}

#[cfg(test)]
mod tests {
    use super::{percent_decode, query, same};

    #[test]
    fn query_parameters_are_found_and_decoded() {
        assert_eq!(query("/?token=ab12", "token").as_deref(), Some("ab12"));
        assert_eq!(
            query("/api/upload?role=export&name=a%20b%2Bc+d.json", "name").as_deref(),
            Some("a b+c d.json")
        );
        assert_eq!(query("/?tokens=x", "token"), None);
        assert_eq!(query("/", "token"), None);
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(percent_decode("%C3%A9"), "é");
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
        assert!(!same("", "a"));
    }
}
