//! Paths that name the same file: every file pi2de writes must differ from every file it reads
//! and from each other, however spelled (`./`, `dir/../`, a symbolic link, a link to a file not
//! yet written). A clash is refused before anything is read: exit 2, every file as it was.

use super::*;

/// The files of `dir` with their contents.
fn snapshot(dir: &Workdir) -> Vec<(String, Vec<u8>)> {
    dir.files()
        .into_iter()
        .map(|f| {
            let bytes = fs::read(dir.file(&f)).unwrap_or_default();
            (f, bytes)
        })
        .collect()
}

#[test]
fn every_written_file_must_differ_from_every_other_file() {
    let dir = Workdir::new();
    fs::copy(repo("samples/immunisation.csv"), dir.file("in.csv")).expect("copy");
    fs::copy(repo("mappings/immunisation.csv"), dir.file("m.csv")).expect("copy");
    fs::copy(repo("mappings/immunisation.xlsx"), dir.file("m.xlsx")).expect("copy");
    dir.write("agg.json", r#"{"dataSets": []}"#);
    dir.write("earlier.json", r#"{"dataValues": []}"#);
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("out.json", dir.file("dangling.json")).expect("link");
        std::os::unix::fs::symlink("m.csv", dir.file("link-to-m.csv")).expect("link");
    }
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["-m", "m.csv", "-o", "./m.csv"],
            "-o names the file read as -m",
        ),
        (
            vec!["-m", "m.csv", "-o", "out.json", "--summary", "m.csv"],
            "--summary names the file read as -m",
        ),
        (
            vec![
                "-m",
                "m.xlsx",
                "-o",
                "out.json",
                "--report",
                "sub/../m.xlsx",
            ],
            "--report names the file read as -m",
        ),
        (
            vec![
                "-m",
                "m.csv",
                "-o",
                "out.json",
                "--target-metadata",
                "agg.json",
                "--complete",
                "./agg.json",
            ],
            "--complete names the file read as --target-metadata",
        ),
        (
            vec![
                "-m",
                "m.csv",
                "-o",
                "out.json",
                "--summary",
                "s.json",
                "--complete",
                "./s.json",
            ],
            "--complete names the file written by --summary",
        ),
        (
            vec!["-m", "m.csv", "-o", "out.json", "--summary", "out.json"],
            "--summary names the file written by -o",
        ),
        (
            vec![
                "-m",
                "m.csv",
                "-o",
                "earlier.json",
                "--previous",
                "earlier.json",
            ],
            "-o names the file read as --previous",
        ),
        #[cfg(unix)]
        (
            vec![
                "-m",
                "m.csv",
                "-o",
                "out.json",
                "--summary",
                "dangling.json",
            ],
            "--summary names the file written by -o",
        ),
        #[cfg(unix)]
        (
            vec!["-m", "m.csv", "-o", "link-to-m.csv"],
            "-o names the file read as -m",
        ),
    ];
    fs::create_dir(dir.file("sub")).expect("sub");
    for (args, expect) in cases {
        let before = snapshot(&dir);
        let out = pi2de()
            .current_dir(dir.path())
            .args(["convert", "in.csv"])
            .args(&args)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(expect),
            "{args:?}: expected `{expect}` in {stderr}"
        );
        assert_eq!(snapshot(&dir), before, "{args:?}: files changed");
    }
}
