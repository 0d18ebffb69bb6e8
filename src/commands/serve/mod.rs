//! `pi2de serve`: a page on 127.0.0.1 for people who do not use a shell. The server keeps a
//! session folder of uploads and runs ([`session`]); each run is `pi2de convert` itself (this
//! binary as a child process), so the page and the command line write the same files. Every
//! request must name 127.0.0.1:PORT or localhost:PORT as its host (DNS rebinding) and carry the
//! one-time token ([`http`]). The page's files are in the binary: nothing is fetched from the
//! internet, and nothing leaves the machine.

mod http;
mod session;

use std::io::Write;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};

use crate::cli::ServeArgs;
use crate::exit_codes::ExitCode;
use session::Session;

/// Serves until interrupted (Ctrl-C, SIGTERM): then the runs under way are stopped, the session
/// folder is removed and the exit code is 0.
pub fn run(args: &ServeArgs) -> Result<ExitCode> {
    let server = tiny_http::Server::http(("127.0.0.1", args.port)).map_err(|e| {
        let hint = if args.port == 0 {
            String::new()
        } else {
            format!(" (is another pi2de serve using port {}?): choose another with --port N, or --port 0 for a free one", args.port)
        };
        anyhow!("cannot listen on 127.0.0.1:{}: {e}{hint}", args.port)
    })?;
    let port = server
        .server_addr()
        .to_ip()
        .map(|a| a.port())
        .context("the server has no port")?;
    let token = token()?;
    let session = Arc::new(Session::new(args.max_upload)?);
    let stopping = Arc::clone(&session);
    crate::cleanup::on_interrupt(Box::new(move || {
        stopping.stop();
        crate::term::error_line("pi2de serve: stopped; the session's files were removed");
        0
    }));
    let url = format!("http://127.0.0.1:{port}/?token={token}");
    let mut out = std::io::stdout().lock();
    writeln!(out, "{url}")
        .and_then(|()| out.flush())
        .context("standard output")?;
    drop(out);
    crate::term::error_line(&format!(
        "pi2de serve: the page is at the address above (this machine only; nothing leaves it). \
         Uploads and results are kept in {} until it stops: press Ctrl-C{}",
        session.dir().display(),
        if cfg!(windows) {
            " or close this window"
        } else {
            ""
        }
    ));
    if !args.no_open {
        open_browser(&url);
    }
    let guard = Arc::new(http::Guard::new(port, token));
    for request in server.incoming_requests() {
        let (guard, session) = (Arc::clone(&guard), Arc::clone(&session));
        std::thread::spawn(move || http::handle(request, &guard, &session));
    }
    Ok(ExitCode::Success)
}

/// Whether a start with no arguments means `serve`: on Windows, where that is a double-click.
pub fn by_default() -> bool {
    cfg!(windows) && std::env::args_os().len() == 1
}

/// 128 random bits from the operating system, in hex.
fn token() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| anyhow!("no random token: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Opens `url` in the default browser; when that fails the printed address remains.
fn open_browser(url: &str) {
    use std::process::{Command, Stdio};
    let mut command = if cfg!(windows) {
        let mut c = Command::new("rundll32");
        c.args(["url.dll,FileProtocolHandler", url]);
        c
    } else if cfg!(target_os = "macos") {
        let mut c = Command::new("open");
        c.arg(url);
        c
    } else {
        let mut c = Command::new("xdg-open");
        c.arg(url);
        c
    };
    let started = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if started.is_err() {
        crate::term::error_line(
            "pi2de serve: no browser could be opened: open the address above in one",
        );
    }
}
