//! `pi2de serve`: who may ask (host and token), where it listens, uploads bounded, runs that
//! are `convert` itself, and a clean stop. The page itself is tested in a browser by
//! `tests/e2e/serve.mjs`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::workdir::{Workdir, repo, s};

/// A running `pi2de serve --port 0 --no-open`, its temporary files inside a work folder; killed
/// when dropped.
struct Server {
    child: Child,
    port: u16,
    token: String,
    dir: Workdir,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let dir = Workdir::new();
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("pi2de"))
            .args(["serve", "--port", "0", "--no-open"])
            .args(extra)
            // The session folder's parent, on Unix and on Windows.
            .env("TMPDIR", dir.path())
            .env("TMP", dir.path())
            .env("TEMP", dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("pi2de serve starts");
        let stdout = child.stdout.take().expect("its standard output");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("pi2de serve prints its address");
        let url = line.trim();
        let rest = url
            .strip_prefix("http://127.0.0.1:")
            .unwrap_or_else(|| panic!("the address is on 127.0.0.1: {url}"));
        let (port, token) = rest.split_once("/?token=").expect("a port and a token");
        assert_eq!(token.len(), 32, "a 128-bit token in hex: {token}");
        Server {
            child,
            port: port.parse().expect("a port"),
            token: token.to_string(),
            dir,
        }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `METHOD path` with the token, to the right host.
    fn ask(&self, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let sep = if path.contains('?') { '&' } else { '?' };
        let path = format!("{path}{sep}token={}", self.token);
        http(self.port, method, &path, &[("Host", &self.host())], body)
    }

    fn json(&self, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
        let (status, bytes) = self.ask(method, path, body);
        let value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "{method} {path}: not JSON ({e}): {:?}",
                String::from_utf8_lossy(&bytes)
            )
        });
        (status, value)
    }

    fn upload(&self, role: &str, name: &str, body: &[u8]) -> (u16, Value) {
        self.json(
            "POST",
            &format!("/api/upload?role={role}&name={name}"),
            body,
        )
    }

    /// Starts a run and waits for its end; returns its status.
    fn run(&self, options: &Value) -> Value {
        let (status, started) = self.json("POST", "/api/run", options.to_string().as_bytes());
        assert_eq!(status, 200, "the run starts: {started}");
        let id = started["run"].as_u64().expect("a run number");
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            let (_, status) = self.json("GET", &format!("/api/run/{id}"), b"");
            if status["done"] == true {
                return status;
            }
            assert!(Instant::now() < until, "the run ends: {status}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The session folders under the server's temporary folder.
    fn session_folders(&self) -> Vec<String> {
        crate::workdir::files_in(self.dir.path())
            .into_iter()
            .filter(|n| n.starts_with("pi2de-serve-"))
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request with the given headers (no Host unless given); the status and body.
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("the server accepts");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("a timeout");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .expect("the request is sent");
    // A refused upload may be answered before its body is read: the rest then fails to send.
    let _ = stream.write_all(body);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    parse(&answer)
}

fn parse(answer: &[u8]) -> (u16, Vec<u8>) {
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("an HTTP answer: {:?}", String::from_utf8_lossy(answer)));
    let head = String::from_utf8_lossy(&answer[..end]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    assert!(
        !head.to_ascii_lowercase().contains("access-control-allow"),
        "no CORS header: {head}"
    );
    (status, answer[end + 4..].to_vec())
}

fn sample(path: &str) -> Vec<u8> {
    std::fs::read(repo(path)).expect("a bundled file")
}

#[test]
fn a_request_without_the_token_or_naming_another_host_is_refused() {
    let server = Server::start(&[]);
    let host = server.host();
    let port = server.port;
    let right = format!("/?token={}", server.token);
    let wrong_same_length = format!("/?token={}", "0".repeat(32));
    for (path, headers, expected) in [
        ("/".to_string(), vec![("Host", host.as_str())], 403),
        ("/?token=".to_string(), vec![("Host", host.as_str())], 403),
        (
            wrong_same_length.clone(),
            vec![("Host", host.as_str())],
            403,
        ),
        (
            format!("/api/run/1?token={}", &server.token[..31]),
            vec![("Host", host.as_str())],
            403,
        ),
        (right.clone(), vec![("Host", "evil.example")], 403),
        (right.clone(), vec![], 403),
        (
            right.clone(),
            vec![("Host", &*format!("evil.example:{port}"))],
            403,
        ),
        (
            right.clone(),
            vec![("Host", &*format!("127.0.0.1:{}", port.wrapping_add(1)))],
            403,
        ),
        (
            right.clone(),
            vec![("Host", host.as_str()), ("Origin", "http://evil.example")],
            200,
        ),
        (
            right.clone(),
            vec![("Host", &*format!("localhost:{port}"))],
            200,
        ),
        (
            "/".to_string(),
            vec![("Host", host.as_str()), ("X-Pi2de-Token", &*server.token)],
            200,
        ),
    ] {
        let (status, body) = http(port, "GET", &path, &headers, b"");
        assert_eq!(
            status,
            expected,
            "GET {path} with {headers:?}: {}",
            String::from_utf8_lossy(&body)
        );
        if expected == 403 {
            let text = String::from_utf8_lossy(&body);
            assert!(text.contains("refused"), "says why: {text}");
        } else {
            assert!(
                String::from_utf8_lossy(&body).contains("<title>pi2de"),
                "the page"
            );
        }
    }
    // Uploads and runs are refused alike without the token: nothing is stored.
    let (status, _) = http(
        port,
        "POST",
        "/api/upload?role=export&name=x.json",
        &[("Host", &host)],
        b"{}",
    );
    assert_eq!(status, 403);
    assert!(
        crate::workdir::files_in(
            &server
                .dir
                .path()
                .join(&server.session_folders()[0])
                .join("uploads")
        )
        .is_empty(),
        "nothing was stored"
    );
}

#[test]
fn the_server_listens_on_127_0_0_1_only() {
    let server = Server::start(&[]);
    // Another loopback address of this machine is not listened on.
    if cfg!(target_os = "linux") {
        assert!(
            TcpStream::connect(("127.0.0.2", server.port)).is_err(),
            "127.0.0.2:{} is refused",
            server.port
        );
        // The kernel's table of listening sockets: the port is bound to 127.0.0.1 alone.
        let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
        let port = format!(":{:04X}", server.port);
        let listening: Vec<&str> = table
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() > 3 && f[1].ends_with(&port) && f[3] == "0A").then_some(f[1])
            })
            .collect();
        assert_eq!(
            listening,
            [format!("0100007F{port}")],
            "bound to 127.0.0.1 only"
        );
        if let Ok(table6) = std::fs::read_to_string("/proc/net/tcp6") {
            assert!(!table6.contains(&port), "no IPv6 socket on the port");
        }
    }
    assert_eq!(server.ask("GET", "/", b"").0, 200);
}

#[test]
fn a_run_from_the_page_writes_what_the_command_line_writes() {
    let server = Server::start(&[]);
    let (status, export) = server.upload(
        "export",
        "immunisation.json",
        &sample("samples/immunisation.json"),
    );
    assert_eq!(status, 200, "{export}");
    let (status, mapping) = server.upload(
        "mapping",
        "immunisation.xlsx",
        &sample("mappings/immunisation.xlsx"),
    );
    assert_eq!(status, 200, "{mapping}");
    let status = server.run(&serde_json::json!({
        "exports": [export["id"]], "mapping": mapping["id"], "targetMetadata": null, "format": "json",
    }));
    assert_eq!(status["exitCode"], 1, "values were left out: {status}");
    let counts = &status["summary"]["counts"];
    assert_eq!(
        (counts["read"].as_u64(), counts["written"].as_u64()),
        (Some(109), Some(99))
    );
    assert_eq!(counts["leftOut"]["unmapped"], 9);
    let console = status["console"].as_str().expect("the console text");
    assert!(
        console.contains("read 109 values from 1 input"),
        "{console}"
    );
    assert!(
        !console.contains("pi2de-progress"),
        "progress lines are not console text"
    );
    let names: Vec<&str> = status["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert_eq!(names, ["hmis.json", "run.json", "trace.csv", "audit.xlsx"]);

    let cli = Workdir::new();
    let (code, _) = cli.run(&[
        "convert",
        s(&repo("samples/immunisation.json")),
        "-m",
        s(&repo("mappings/immunisation.xlsx")),
        "-o",
        "hmis.json",
        "-q",
    ]);
    assert_eq!(code, 1);
    let (status, served) = server.ask("GET", "/api/run/1/file/hmis.json", b"");
    assert_eq!(status, 200);
    assert_eq!(
        served,
        std::fs::read(cli.file("hmis.json")).expect("the CLI's output"),
        "byte for byte"
    );
    let (status, workbook) = server.ask("GET", "/api/run/1/file/audit.xlsx", b"");
    assert_eq!(status, 200);
    assert!(workbook.starts_with(b"PK"), "an xlsx (zip) file");
    // Only the run's own files are served.
    for path in [
        "/api/run/1/file/..%2F..%2Fetc%2Fpasswd",
        "/api/run/1/file/%2Fetc%2Fpasswd",
        "/api/run/2/file/hmis.json",
        "/api/run/0/file/hmis.json",
    ] {
        assert_eq!(server.ask("GET", path, b"").0, 404, "{path}");
    }
}

#[test]
fn an_upload_past_the_bound_is_refused_and_not_kept() {
    let server = Server::start(&["--max-upload", "1K"]);
    let (status, body) = server.upload("export", "big.json", &[b' '; 2048]);
    assert_eq!(status, 413, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("--max-upload")),
        "{body}"
    );
    // Sent without a length (chunked), the bound holds while it is read.
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connects");
    let head = format!(
        "POST /api/upload?role=export&name=big.json&token={} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n",
        server.token,
        server.host()
    );
    stream.write_all(head.as_bytes()).expect("sent");
    for _ in 0..4 {
        let _ = stream.write_all(format!("400\r\n{}\r\n", " ".repeat(1024)).as_bytes());
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert_eq!(parse(&answer).0, 413);
    let (status, _) = server.upload("export", "small.json", &[b' '; 1024]);
    assert_eq!(status, 200, "a file at the bound is taken");
    let folder = server
        .dir
        .path()
        .join(&server.session_folders()[0])
        .join("uploads");
    assert_eq!(crate::workdir::files_in(&folder), ["small.json"]);
}

#[test]
fn uploads_stay_in_the_session_folder_under_plain_names() {
    let server = Server::start(&[]);
    for (name, stored) in [
        ("..%2F..%2Fevil.json", "evil.json"),
        ("%2Ftmp%2Fx.json", "x.json"),
        ("C%3A%5CUsers%5Ca%5Cexport.json", "export.json"),
        ("export.json", "2-export.json"),
        ("..", "file"),
    ] {
        let (status, body) = server.upload("export", name, b"{}");
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["name"], stored, "{name}");
    }
    assert_eq!(
        server.upload("program", "a.json", b"{}").0,
        400,
        "an unknown role"
    );
    assert_eq!(
        crate::workdir::files_in(server.dir.path()),
        server.session_folders(),
        "nothing beside the session folder"
    );
}

#[test]
fn a_run_that_cannot_be_built_is_refused_with_its_reason() {
    let server = Server::start(&[]);
    let (_, export) = server.upload(
        "export",
        "immunisation.json",
        &sample("samples/immunisation.json"),
    );
    let id = &export["id"];
    for (options, says) in [
        (
            serde_json::json!({"exports": [id], "mapping": null, "targetMetadata": null, "format": "exe"}),
            "no output format",
        ),
        (
            serde_json::json!({"exports": [], "mapping": null, "targetMetadata": null, "format": "json"}),
            "export file",
        ),
        (
            serde_json::json!({"exports": [id], "mapping": id, "targetMetadata": null, "format": "json"}),
            "no mapping upload",
        ),
        (
            serde_json::json!({"exports": [7], "mapping": null, "targetMetadata": null, "format": "json"}),
            "no export upload",
        ),
        (
            serde_json::json!({"exports": [id], "mapping": null, "targetMetadata": null, "format": "json", "output": "/etc/x"}),
            "unknown field",
        ),
    ] {
        let (status, body) = server.json("POST", "/api/run", options.to_string().as_bytes());
        assert_eq!(status, 400, "{options}: {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| e.contains(says)),
            "{options}: {body}"
        );
    }
    // An option convert refuses: the run ends with 2 and convert's words; an option that looks
    // like a flag stays the option's value.
    let status = server.run(&serde_json::json!({
        "exports": [id], "mapping": null, "targetMetadata": null, "format": "json", "periods": "--output=/tmp/x",
    }));
    assert_eq!(status["exitCode"], 2, "{status}");
    assert!(
        status["console"]
            .as_str()
            .is_some_and(|c| c.contains("--periods")),
        "{status}"
    );
    assert_eq!(
        status["files"].as_array().map(Vec::len),
        Some(0),
        "nothing written: {status}"
    );
}

#[cfg(unix)]
#[test]
fn a_terminate_signal_stops_the_server_and_removes_its_files() {
    let mut server = Server::start(&[]);
    server.upload("export", "a.json", b"{}");
    assert_eq!(server.session_folders().len(), 1);
    let killed = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let until = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = server.child.try_wait().expect("waits") {
            break status;
        }
        assert!(Instant::now() < until, "pi2de serve stops");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    let mut stderr = String::new();
    if let Some(mut e) = server.child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    assert!(stderr.contains("stopped"), "{stderr}");
    assert!(
        server.session_folders().is_empty(),
        "the session folder is removed"
    );
}

#[test]
fn a_port_in_use_is_refused_with_a_hint() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = taken.local_addr().expect("its address").port().to_string();
    let dir = Workdir::new();
    let (code, stderr) = dir.run(&["serve", "--port", &port, "--no-open"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("127.0.0.1:{port}")) && stderr.contains("--port 0"),
        "{stderr}"
    );
    let (code, stderr) = dir.run(&["serve", "--max-upload", "lots"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not a size"), "{stderr}");
}
