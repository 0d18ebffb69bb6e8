//! Faults of the machine: folders that take no files, full disks, signals.

use super::*;

pub(crate) fn many_values(dir: &TempDir, n: usize) -> PathBuf {
    let mut csv = String::from("dataelement,period,orgunit,value\n");
    for i in 0..n {
        csv.push_str(&format!("DE_{:03},202401,Ou{i:09},{i}.0\n", i % 100));
    }
    write(dir, "many.csv", &csv)
}

#[cfg(target_os = "linux")]
#[test]
fn an_output_folder_that_cannot_take_files_is_named() {
    let dir = Workdir::new();
    let input = write(
        &dir,
        "in.csv",
        "dataelement,period,orgunit,value\nDE_A,202401,OU_A,1\n",
    );
    // /proc takes no new files, even for root (which ignores permission bits).
    pi2de()
        .args(["convert", s(&input), "-o", "/proc/pi2de-out.json"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("/proc/pi2de-out.json")
                .and(predicate::str::contains("cannot create a file in /proc")),
        );
    pi2de()
        .args(["convert", s(&input), "-o", s(&dir.file("missing/out.json"))])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does not exist"));
}

#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs prlimit (util-linux) to fill a disk; .ci/run runs it where installed"]
fn a_disk_that_fills_up_leaves_nothing_behind() {
    require_prlimit();
    let dir = Workdir::new();
    let input = many_values(&dir, 5_000);
    let bin = assert_cmd::cargo::cargo_bin("pi2de");
    // A child whose files may not grow past 20 kB, with SIGXFSZ ignored: writes fail (EFBIG).
    let out = std::process::Command::new("sh")
        .current_dir(dir.path())
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; exec prlimit --fsize=20000 {} convert many.csv -o out.json",
            bin.display()
        ))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("out.json: cannot write the output") && stderr.contains("too large"),
        "{stderr}"
    );
    assert_eq!(dir.files(), ["many.csv"], "no output, no temporary file");
    drop(input);
}

#[cfg(target_os = "linux")]
#[test]
fn standard_output_on_a_full_device_fails_cleanly() {
    let dir = Workdir::new();
    let input = many_values(&dir, 5_000);
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("pi2de"))
        .args(["convert", s(&input), "-o", "-", "--to", "json"])
        .stdout(fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("-: cannot write the output") && stderr.contains("No space left"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn sigterm_and_sigint_mid_run_leave_no_files() {
    for signal in ["TERM", "INT"] {
        let dir = Workdir::new();
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("pi2de"))
            .current_dir(dir.path())
            .args(["convert", "-", "--from", "csv", "-o", "out.json"])
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Half an input, then nothing: the run is under way and waits for more.
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(b"dataelement,period,orgunit,value\nDE_A,202401,OU_A,1\n")
            .unwrap();
        stdin.flush().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !dir.files().iter().any(|f| f.starts_with(".pi2de-")) {
            assert!(
                std::time::Instant::now() < deadline,
                "the temporary output never appeared"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .unwrap();
        let out = child.wait_with_output().unwrap();
        drop(stdin);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{signal}: {stderr}");
        assert!(stderr.contains("interrupted"), "{stderr}");
        assert!(dir.files().is_empty(), "{signal}: {:?}", dir.files());
    }
}

#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs prlimit (util-linux) to fill a disk; .ci/run runs it where installed"]
fn a_report_that_cannot_be_written_leaves_every_earlier_file_as_it_was() {
    require_prlimit();
    let dir = Workdir::new();
    // Five values written (a small output), 3,000 left out (a large summary).
    let mut csv = String::from("dataelement,period,orgunit,value\n");
    for i in 0..5 {
        csv.push_str(&format!("DE_A,202401,OU_{i},1\n"));
    }
    for i in 0..3_000 {
        csv.push_str(&format!("DE_A,2024M{i},OU_A,1\n"));
    }
    dir.write("in.csv", &csv);
    dir.write(
        "m.csv",
        "programIndicator,dataElement,dataSet\nDE_A,DE_A,DS_A\n",
    );
    dir.write("out.json", "earlier output");
    dir.write("complete.json", "earlier registrations");
    let bin = assert_cmd::cargo::cargo_bin("pi2de");
    let out = std::process::Command::new("sh")
        .current_dir(dir.path())
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; exec prlimit --fsize=60000 {} convert in.csv -m m.csv -o out.json \
             --complete complete.json --summary run.json",
            bin.display()
        ))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--summary"), "{stderr}");
    // Exit 2 means nothing written: not the output, not the registrations, no leftovers.
    assert_eq!(
        dir.files(),
        ["complete.json", "in.csv", "m.csv", "out.json"]
    );
    assert_eq!(
        fs::read_to_string(dir.file("out.json")).unwrap(),
        "earlier output"
    );
    assert_eq!(
        fs::read_to_string(dir.file("complete.json")).unwrap(),
        "earlier registrations"
    );
}

#[cfg(unix)]
#[test]
fn a_run_killed_outright_leaves_a_temporary_file_the_next_run_removes() {
    let dir = Workdir::new();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("pi2de"))
        .current_dir(dir.path())
        .args(["convert", "-", "--from", "csv", "-o", "out.json"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"dataelement,period,orgunit,value\nDE_A,202401,OU_A,1\n")
        .unwrap();
    stdin.flush().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !dir.files().iter().any(|f| f.starts_with(".pi2de-")) {
        assert!(std::time::Instant::now() < deadline, "no temporary output");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // SIGKILL: no handler runs.
    child.kill().unwrap();
    child.wait().unwrap();
    drop(stdin);
    let leftover = format!(".pi2de-{}-", child.id());
    let files = dir.files();
    assert!(
        files
            .iter()
            .any(|f| f.starts_with(&leftover) && f.ends_with(".tmp")),
        "the leftover names its process: {files:?}"
    );
    let input = dir.write(
        "in.csv",
        "dataelement,period,orgunit,value\nDE_A,202401,OU_A,1\n",
    );
    let (code, _, stderr) = dir.convert(&[s(&input), "-o", s(&dir.file("out.json"))]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(dir.files(), ["in.csv", "out.json", "summary.json"]);
}
