//! DHIS2's rules for the value types that are not numbers, ported from dhis2-core (identical in
//! meaning on branches 2.39–2.43 and master): `ValidationUtils.valueIsValid` and its helpers in
//! `dhis-support-system/.../system/util/ValidationUtils.java` and `MathUtils.java`, and
//! `DateUtils.dateIsValid` / `dateTimeIsValid` in `dhis-api/.../util/DateUtils.java`. Each
//! function answers "would DHIS2 accept this string" and never rewrites it. Where a rule rests
//! on a library (Joda-Time, Apache Commons Validator), the port and its limits are described in
//! docs/dhis2-rules.md.

use unicode_general_category::{GeneralCategory, get_general_category};

use crate::period::Date;

/// Java's `Character.isLetter`: general category Lu, Ll, Lt, Lm or Lo.
fn is_java_letter(c: char) -> bool {
    use GeneralCategory::*;
    matches!(
        get_general_category(c),
        UppercaseLetter | LowercaseLetter | TitlecaseLetter | ModifierLetter | OtherLetter
    )
}

/// A word character for Java's `\b`: a letter, a decimal digit or `_`.
fn is_java_word(c: char) -> bool {
    c == '_' || is_java_letter(c) || get_general_category(c) == GeneralCategory::DecimalNumber
}

/// Java's `\s` without UNICODE_CHARACTER_CLASS.
fn is_java_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r')
}

/// What Java's `.` does not match.
fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn two_digits(b: &[u8]) -> Option<u32> {
    (b.len() == 2 && b.iter().all(u8::is_ascii_digit))
        .then(|| u32::from(b[0] - b'0') * 10 + u32::from(b[1] - b'0'))
}

/// DATE and AGE: `DateUtils.dateIsValid`, the regex
/// `\b(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-2])(.*)\b` over the whole value, then a real
/// date of the ISO calendar with a year above 0. Like DHIS2, anything may follow the date as
/// long as it ends in a letter or digit (`2024-01-31T10:00` is a valid DATE).
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 10 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(month), Some(day)) = (two_digits(&b[5..7]), two_digits(&b[8..10])) else {
        return false;
    };
    if !(1..=12).contains(&month) || !(1..=32).contains(&day) {
        return false;
    }
    let rest = &s[10..];
    if rest.chars().any(is_line_terminator) || rest.chars().last().is_some_and(|c| !is_java_word(c))
    {
        return false;
    }
    let year: i32 = s[..4].parse().unwrap_or(0);
    year > 0 && Date::new(year, month, day).is_some()
}

/// Parses up to `max` ASCII digits at `b[*i..]` (at least one), as Joda-Time's number parsers
/// do: fewer digits than the pattern's width are accepted.
fn digits(b: &[u8], i: &mut usize, max: usize) -> Option<u32> {
    let start = *i;
    while *i < b.len() && *i - start < max && b[*i].is_ascii_digit() {
        *i += 1;
    }
    (*i > start).then(|| {
        b[start..*i].iter().fold(0u32, |n, d| {
            n.saturating_mul(10).saturating_add(u32::from(d - b'0'))
        })
    })
}

/// A time-zone offset as Joda-Time's `Z` parses it: `Z`, `+HH`, `+HH:mm` or `+HHmm`, with
/// exactly two digits each.
fn zone(b: &[u8], i: &mut usize) -> bool {
    let pair = |i: &mut usize| {
        let n = b.get(*i..*i + 2).and_then(two_digits);
        *i += 2;
        n
    };
    match b.get(*i) {
        Some(b'Z') => {
            *i += 1;
            true
        }
        Some(b'+' | b'-') => {
            *i += 1;
            let Some(h) = pair(i) else {
                return false;
            };
            let separated = b.get(*i) == Some(&b':');
            if separated {
                *i += 1;
            } else if *i == b.len() {
                return h <= 23;
            }
            let Some(m) = pair(i) else {
                return false;
            };
            // Seconds may follow, in the same style.
            if *i < b.len() {
                if separated && b.get(*i) == Some(&b':') {
                    *i += 1;
                }
                if pair(i).is_none_or(|s| s > 59) {
                    return false;
                }
            }
            h <= 23 && m <= 59
        }
        _ => false,
    }
}

/// DATETIME: `DateUtils.dateTimeIsValid`, a Joda-Time parse against DHIS2's fourteen patterns
/// (`yyyy-MM-dd'T'HH`, `…HH:mm`, `…HH:mm:ss`, `…HH:mm:ss.SSS` up to nine fraction digits, each
/// with or without a zone `Z`/`+05:30`, and `yyyy-MM-dd HH:mm:ssZ`), fields in range.
pub fn is_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i += 1;
    }
    let (Some(year), true) = (digits(b, &mut i, 9), b.get(i) == Some(&b'-')) else {
        return false;
    };
    i += 1;
    let (Some(month), true) = (digits(b, &mut i, 2), b.get(i) == Some(&b'-')) else {
        return false;
    };
    i += 1;
    let Some(day) = digits(b, &mut i, 2) else {
        return false;
    };
    let spaced = match b.get(i) {
        Some(b'T') => false,
        Some(b' ') => true,
        _ => return false,
    };
    i += 1;
    let Some(hour) = digits(b, &mut i, 2) else {
        return false;
    };
    let mut fields = 1; // hours, minutes, seconds, fraction
    let (mut minute, mut second) = (0, 0);
    while fields < 3 && b.get(i) == Some(&b':') {
        i += 1;
        let Some(n) = digits(b, &mut i, 2) else {
            return false;
        };
        if fields == 1 {
            minute = n
        } else {
            second = n
        }
        fields += 1;
    }
    let mut fraction = 0;
    if fields == 3 && b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        fraction = i - start;
        if fraction == 0 {
            return false;
        }
    }
    let zoned = i < b.len();
    if zoned && !zone(b, &mut i) {
        return false;
    }
    // The patterns: no fraction longer than 9 (with a zone) or 6 (without); the spaced one
    // needs seconds, no fraction, and a zone.
    let pattern_exists = match (spaced, fraction) {
        (true, 0) => fields == 3 && zoned,
        (true, _) => false,
        (false, 0) => true,
        (false, n) => n <= if zoned { 9 } else { 6 },
    };
    pattern_exists
        && i == b.len()
        && Date::new(year as i32, month, day).is_some()
        && hour <= 23
        && minute <= 59
        && second <= 59
}

/// TIME: `^([0-9]|0[0-9]|1[0-9]|2[0-3]):[0-5][0-9]$` (`24:00` is invalid).
pub fn is_time(s: &str) -> bool {
    let Some((h, m)) = s.split_once(':') else {
        return false;
    };
    let hour_ok = match h.as_bytes() {
        [d] => d.is_ascii_digit(),
        [a, d] => {
            matches!(a, b'0' | b'1') && d.is_ascii_digit()
                || *a == b'2' && (b'0'..=b'3').contains(d)
        }
        _ => false,
    };
    hour_ok && matches!(m.as_bytes(), [t, u] if (b'0'..=b'5').contains(t) && u.is_ascii_digit())
}

/// PHONE_NUMBER: `^[0-9+\(\)#\.\s\/ext-]{6,50}$`.
pub fn is_phone_number(s: &str) -> bool {
    let n = s.chars().count();
    (6..=50).contains(&n)
        && s.chars()
            .all(|c| c.is_ascii_digit() || is_java_space(c) || "+()#./ext-".contains(c))
}

/// USERNAME: `^(?=.{4,255}$)(?![-_.@])(?!.*[-_.@]{2})[-_.@a-zA-Z0-9]+(?<![-_.@])$`.
pub fn is_username(s: &str) -> bool {
    let special = |b: &u8| matches!(b, b'-' | b'_' | b'.' | b'@');
    let b = s.as_bytes();
    (4..=255).contains(&b.len())
        && b.iter().all(|c| c.is_ascii_alphanumeric() || special(c))
        && !special(&b[0])
        && !special(&b[b.len() - 1])
        && !b.windows(2).any(|w| special(&w[0]) && special(&w[1]))
}

/// LETTER: one UTF-16 unit that Java calls a letter.
pub fn is_letter(s: &str) -> bool {
    let mut chars = s.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if c.len_utf16() == 1 && is_java_letter(c))
}

/// Java's `Float.parseFloat` for the decimal forms (sign, digits, point, exponent, an `f`/`d`
/// suffix, `NaN`, `Infinity`). Hexadecimal floats are not accepted here (see docs).
fn java_float(s: &str) -> Option<f32> {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    match unsigned {
        "NaN" => return Some(f32::NAN),
        "Infinity" => return Some(f32::INFINITY),
        _ => {}
    }
    let t = s.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(s);
    let b = t.strip_prefix(['+', '-']).unwrap_or(t).as_bytes();
    let mut i = 0;
    let run = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let mut mantissa = run(&mut i);
    if b.get(i) == Some(&b'.') {
        i += 1;
        mantissa += run(&mut i);
    }
    if mantissa == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if run(&mut i) == 0 {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    t.parse::<f32>().ok()
}

/// COORDINATE: `MathUtils.isCoordinate`: white space removed, `[lng,lat]` with the longitude in
/// -180..180 and the latitude in -90..90 (as Java floats).
pub fn is_coordinate(s: &str) -> bool {
    let v: String = s.chars().filter(|&c| !is_java_space(c)).collect();
    if v.chars().count() < 5 || !v.starts_with('[') || v.find(']') != Some(v.len() - 1) {
        return false;
    }
    let mut parts: Vec<&str> = v[1..v.len() - 1].split(',').collect();
    while parts.last() == Some(&"") {
        parts.pop(); // Java's split drops trailing empty strings
    }
    let (Some(lng), Some(lat)) = (
        parts.first().and_then(|p| java_float(p)),
        parts.get(1).and_then(|p| java_float(p)),
    ) else {
        return false;
    };
    (-180.0..=180.0).contains(&lng) && (-90.0..=90.0).contains(&lat)
}

/// A label of a host name: `\p{Alnum}([\p{Alnum}-]{0,61}\p{Alnum})?` (non-ASCII letters stand
/// for their IDN form).
fn is_label(l: &str) -> bool {
    let alnum = |c: char| c.is_ascii_alphanumeric() || !c.is_ascii() && c.is_alphanumeric();
    let n = l.chars().count();
    (1..=63).contains(&n)
        && l.chars().next().is_some_and(alnum)
        && l.chars().last().is_some_and(alnum)
        && l.chars().all(|c| alnum(c) || c == '-')
}

/// Commons Validator's `DomainValidator` (no local names): dot-separated labels, at most 253
/// characters, ending in a known top-level domain ([`super::tlds`]); a non-ASCII top-level
/// domain is taken as a valid IDN one when it is made of letters.
pub fn is_domain(d: &str) -> bool {
    let d = d.strip_suffix('.').unwrap_or(d);
    let labels: Vec<&str> = d.split('.').collect();
    let Some(tld) = labels.last() else {
        return false;
    };
    let tld_ok = if tld.is_ascii() {
        tld.bytes().next().is_some_and(|b| b.is_ascii_alphabetic()) && super::tlds::is_known(tld)
    } else {
        tld.chars().all(char::is_alphabetic)
    };
    d.len() <= 253 && labels.len() >= 2 && labels.iter().all(|l| is_label(l)) && tld_ok
}

fn is_ipv4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && !(p.len() > 1 && p.starts_with('0'))
                && p.parse::<u32>().is_ok_and(|n| n <= 255)
        })
}

fn is_ip(s: &str) -> bool {
    is_ipv4(s) || s.contains(':') && s.parse::<std::net::Ipv6Addr>().is_ok()
}

/// The local part of an address: dot-separated words of plain characters, `\`-escapes and `'`,
/// or quoted strings (`EmailValidator.USER_REGEX`), at most 64 characters.
fn is_email_user(u: &str) -> bool {
    fn special(c: char) -> bool {
        c.is_ascii_control() || is_java_space(c) || "()<>@,;:\\\".[]".contains(c)
    }
    /// The end of a word starting at `i`, for each way it can end (quoted words may close at
    /// any unescaped quote that leaves the rest valid).
    fn rest_ok(c: &[char], i: usize) -> bool {
        if i >= c.len() {
            return false;
        }
        if c[i] == '"' {
            let mut j = i + 1;
            while j < c.len() {
                if c[j] == '"' {
                    let body = &c[i + 1..j];
                    let escaped = body
                        .iter()
                        .enumerate()
                        .all(|(k, &ch)| ch != '"' || k > 0 && body[k - 1] == '\\');
                    if escaped && after_word(c, j + 1) {
                        return true;
                    }
                }
                j += 1;
            }
            return false;
        }
        let mut j = i;
        while j < c.len() {
            if c[j] == '\\' && j + 1 < c.len() {
                j += 2;
            } else if c[j] == '\'' || !special(c[j]) {
                j += 1;
            } else {
                break;
            }
        }
        j > i && after_word(c, j)
    }
    fn after_word(c: &[char], j: usize) -> bool {
        j == c.len() || c[j] == '.' && rest_ok(c, j + 1)
    }
    let chars: Vec<char> = u.chars().collect();
    chars.len() <= 64 && rest_ok(&chars, 0)
}

/// EMAIL: Commons Validator's `EmailValidator.getInstance().isValid`: `local@domain`, the domain
/// a host name or a bracketed IP address, nothing ending in `.`.
pub fn is_email(s: &str) -> bool {
    if s.ends_with('.') {
        return false;
    }
    let Some((user, domain)) = s.rsplit_once('@') else {
        return false;
    };
    if user.is_empty() || domain.is_empty() || domain.chars().any(is_java_space) {
        return false;
    }
    let domain_ok = match domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) {
        Some(ip) => is_ip(ip),
        None => is_domain(domain),
    };
    domain_ok && is_email_user(user)
}

/// URL: Commons Validator's `UrlValidator` with its defaults: scheme `http`, `https` or `ftp`; an
/// authority that is a host name or IP address with an optional port up to 65535 and optional
/// user info; a path of URL characters without `//` or `..` above the root; a query without
/// white space.
pub fn is_url(s: &str) -> bool {
    // What java.net.URI refuses: spaces, control characters, `"<>\^`{|}`, a second `#`, a `%`
    // that does not start an escape.
    if s.chars()
        .any(|c| c.is_control() || c == ' ' || "\"<>\\^`{|}".contains(c))
        || s.matches('#').count() > 1
        || s.match_indices('%').any(|(i, _)| {
            !s.as_bytes()
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
        })
    {
        return false;
    }
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    if !["http", "https", "ftp"].contains(&scheme.to_ascii_lowercase().as_str()) {
        return false;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (before_fragment, _fragment) = tail.split_once('#').unwrap_or((tail, ""));
    let (path, query) = before_fragment
        .split_once('?')
        .unwrap_or((before_fragment, ""));
    is_authority(authority) && is_url_path(path) && !query.chars().any(char::is_whitespace)
}

fn is_authority(a: &str) -> bool {
    let host_port = a.rsplit_once('@').map_or(a, |(user, hp)| {
        if !user.is_empty()
            && user
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:%".contains(c))
        {
            hp
        } else {
            "\u{0}"
        }
    });
    let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
        match v6.split_once(']') {
            Some((ip, rest)) => (
                ip,
                rest.strip_prefix(':')
                    .map(Some)
                    .unwrap_or(if rest.is_empty() { None } else { Some("x") }),
            ),
            None => return false,
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    let port_ok = port.is_none_or(|p| {
        p.is_empty()
            || p.len() <= 5
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|n| n <= 65_535)
    });
    let host_ok = if host_port.starts_with('[') {
        host.parse::<std::net::Ipv6Addr>().is_ok()
    } else {
        is_ipv4(host) || is_domain(host)
    };
    port_ok && host_ok
}

fn is_url_path(p: &str) -> bool {
    if p.is_empty() {
        return true;
    }
    let chars_ok = p.starts_with('/')
        && p.chars()
            .all(|c| c.is_alphanumeric() || "-_:@&?=+,.!/~*'%$;()".contains(c));
    let mut depth: i64 = 0;
    for segment in p.split('/').skip(1) {
        match segment {
            ".." => depth -= 1,
            "." | "" => {}
            _ => depth += 1,
        }
        if depth < 0 {
            return false;
        }
    }
    chars_ok && !p.contains("//")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_dhis2s_regex_and_calendar() {
        assert!(is_date("2024-02-29") && !is_date("2023-02-29"));
        assert!(
            is_date("2024-01-31T10:00"),
            "DHIS2 accepts text after the date"
        );
        assert!(
            !is_date("2024-01-31 "),
            "…but it must end in a letter or digit"
        );
        assert!(!is_date("2024-1-31") && !is_date("2024-01-32") && !is_date("0000-01-01"));
    }

    #[test]
    fn datetimes_follow_the_joda_patterns() {
        assert!(is_datetime("2024-01-31T10:00:00.000"));
        assert!(is_datetime("2024-01-31T10"));
        assert!(is_datetime("2024-01-31 10:00:00Z"));
        assert!(
            !is_datetime("2024-01-31 10:00:00"),
            "the spaced pattern needs a zone"
        );
        assert!(
            !is_datetime("2024-01-31T10:00:00.1234567"),
            "seven digits need a zone"
        );
        assert!(is_datetime("2024-01-31T10:00:00.123456789Z"));
        assert!(!is_datetime("2024-01-31T24:00"));
        assert!(!is_datetime("2024-02-30T10:00"));
    }

    #[test]
    fn times_usernames_letters() {
        assert!(is_time("0:00") && is_time("23:59") && !is_time("24:00") && !is_time("12:60"));
        assert!(is_username("ab.c") && !is_username("a..bc") && !is_username("abc."));
        assert!(is_letter("ß") && !is_letter("1") && !is_letter("ab") && !is_letter("𝐀"));
    }

    #[test]
    fn addresses() {
        assert!(is_email("a.b@example.org") && !is_email("john@doe") && !is_email("a@b.c."));
        assert!(is_email("\"a b\"@example.org") && !is_email("a..b@example.org"));
        assert!(is_email("x@[127.0.0.1]"));
        assert!(is_url("https://dhis2.org/a/b?c=d#e") && !is_url("dhis2.org"));
        assert!(is_url("http://127.0.0.1:8080/") && !is_url("http://host:99999/"));
        assert!(!is_url("http://example.com//a") && !is_url("mailto:a@b.org"));
    }
}
