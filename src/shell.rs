//! Shell words pi2de prints for people to run (`request`'s script, the import line): each is
//! quoted for a POSIX shell (sh, bash, zsh), so that no id, URL or path can end the word, run
//! a command or expand. PowerShell and cmd.exe quote otherwise: the help and README point
//! Windows users to `request --urls-only` and `curl.exe`.

/// `word` as one POSIX shell word: as it is when it holds only characters no shell treats
/// specially, else in single quotes (inside which nothing is special), a `'` written `'\''`.
pub fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./_-".contains(&b));
    if plain {
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// Words joined into one command line, each quoted.
pub fn line(words: &[&str]) -> String {
    words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

/// A command shown in a `#` comment: quoted, with line breaks written `\n` so that nothing
/// after them runs.
pub fn comment(words: &[&str]) -> String {
    format!(
        "# {}",
        line(words).replace('\n', "\\n").replace('\r', "\\r")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_reaches_the_shell_as_written() {
        let words = [
            "plain.json",
            "with space",
            "it's",
            "$(touch pwned)",
            "`touch pwned`",
            "a;b|c&d",
            "new\nline",
            "*",
            "~",
            "",
            "-",
            "é",
        ];
        let script = format!("printf '%s\\0' {}", line(&words));
        let out = match std::process::Command::new("sh")
            .arg("-c")
            .arg(&script)
            .output()
        {
            Ok(out) => out,
            // Windows without a POSIX shell: nothing to run the words through.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && cfg!(windows) => {
                eprintln!("skipped: no `sh` here to run the quoted words through");
                return;
            }
            Err(e) => panic!("sh: {e}"),
        };
        let got: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .split_terminator('\0')
            .map(String::from)
            .collect();
        assert_eq!(got, words);
        assert_eq!(quote("a.json"), "a.json");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn a_comment_stays_one_line() {
        assert_eq!(comment(&["a", "b\nrm -rf x"]), r"# a 'b\nrm -rf x'");
    }
}
