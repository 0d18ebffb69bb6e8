//! The part of DHIS2's expression language that validation rules of aggregate data use, read
//! and computed as DHIS2 does (dhis2-core `Expression.g4`, `DimItemDataElementAndOperand`,
//! `ExpressionState.handleNulls`; dhis2-antlr-expression-parser's `AntlrOperatorMath*`):
//! `#{de}`, `#{de.coc}`, `#{de.coc.aoc}`, numbers, `+ - * /`, parentheses. A missing item counts
//! as found without a value and stands for 0; `+ - *` are exact on the decimals the doubles
//! print as (Java's `BigDecimal.valueOf`), `/` is rounded to 16 significant digits
//! (`MathContext.DECIMAL64`) and gives NaN for a zero divisor, which makes the side missing.
//! Anything else is refused with the reason, and the rule is listed as not evaluated.

use std::fmt;

/// An item: a data element, optionally with a category option combo and an attribute option
/// combo (UIDs as written in the rule).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Item {
    pub data_element: String,
    pub category_option_combo: Option<String>,
    pub attribute_option_combo: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(f64),
    Item(Item),
    Neg(Box<Expr>),
    Bin(char, Box<Expr>, Box<Expr>),
}

/// Why an expression is not evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub String);

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Item(Item),
    Op(char),
}

fn tokens(s: &str) -> Result<Vec<Token>, Unsupported> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        match c {
            ' ' | '\t' | '\r' | '\n' => i += 1,
            '+' | '-' | '*' | '/' | '(' | ')' => {
                out.push(Token::Op(c));
                i += 1;
            }
            '#' if b.get(i + 1) == Some(&b'{') => {
                let end = s[i..]
                    .find('}')
                    .ok_or_else(|| Unsupported(format!("`{}` is not closed", &s[i..])))?;
                out.push(Token::Item(item(&s[i + 2..i + end])?));
                i += end + 1;
            }
            '0'..='9' | '.' => {
                let len = number_len(&b[i..]);
                let text = &s[i..i + len];
                let n = text
                    .parse::<f64>()
                    .map_err(|_| Unsupported(format!("`{text}` is not a number")))?;
                out.push(Token::Number(n));
                i += len;
            }
            _ => {
                let rest: String = s[i..]
                    .chars()
                    .take_while(|c| !c.is_whitespace() && !"+-*/".contains(*c))
                    .take(40)
                    .collect();
                return Err(Unsupported(format!(
                    "uses `{rest}`: only #{{…}} data items, numbers, + - * / and parentheses are evaluated"
                )));
            }
        }
    }
    Ok(out)
}

/// The length of a number literal: digits, a fraction, an exponent.
fn number_len(b: &[u8]) -> usize {
    let mut n = b
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == b'.')
        .count();
    if matches!(b.get(n), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(n + 1), Some(b'+' | b'-')));
        let digits = b[n + 1 + sign..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits > 0 {
            n += 1 + sign + digits;
        }
    }
    n
}

/// `de`, `de.coc`, `de.coc.aoc` (UIDs; a wildcard `*` or anything else is not evaluated).
fn item(inside: &str) -> Result<Item, Unsupported> {
    let parts: Vec<&str> = inside.split('.').map(str::trim).collect();
    if parts.len() > 3 || parts.iter().any(|p| !crate::ids::is_uid(p)) {
        return Err(Unsupported(format!(
            "item `#{{{inside}}}` is not a data element or data element operand of UIDs"
        )));
    }
    Ok(Item {
        data_element: parts[0].to_string(),
        category_option_combo: parts.get(1).map(|s| s.to_string()),
        attribute_option_combo: parts.get(2).map(|s| s.to_string()),
    })
}

/// Parses an expression.
pub fn parse(s: &str) -> Result<Expr, Unsupported> {
    let toks = tokens(s)?;
    if toks.is_empty() {
        return Err(Unsupported("the expression is empty".into()));
    }
    let mut p = Parser { toks, at: 0 };
    let e = p.sum()?;
    if p.at != p.toks.len() {
        return Err(Unsupported(format!("cannot read `{s}`")));
    }
    Ok(e)
}

struct Parser {
    toks: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.at)
    }

    fn op(&mut self, ops: &[char]) -> Option<char> {
        match self.peek() {
            Some(Token::Op(c)) if ops.contains(c) => {
                let c = *c;
                self.at += 1;
                Some(c)
            }
            _ => None,
        }
    }

    fn sum(&mut self) -> Result<Expr, Unsupported> {
        let mut e = self.product()?;
        while let Some(op) = self.op(&['+', '-']) {
            e = Expr::Bin(op, Box::new(e), Box::new(self.product()?));
        }
        Ok(e)
    }

    fn product(&mut self) -> Result<Expr, Unsupported> {
        let mut e = self.unary()?;
        while let Some(op) = self.op(&['*', '/']) {
            e = Expr::Bin(op, Box::new(e), Box::new(self.unary()?));
        }
        Ok(e)
    }

    fn unary(&mut self) -> Result<Expr, Unsupported> {
        match self.op(&['-', '+']) {
            Some('-') => Ok(Expr::Neg(Box::new(self.unary()?))),
            Some(_) => self.unary(),
            None => self.atom(),
        }
    }

    fn atom(&mut self) -> Result<Expr, Unsupported> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        match t {
            Some(Token::Number(n)) => Ok(Expr::Number(n)),
            Some(Token::Item(i)) => Ok(Expr::Item(i)),
            Some(Token::Op('(')) => {
                let e = self.sum()?;
                match self.op(&[')']) {
                    Some(_) => Ok(e),
                    None => Err(Unsupported("a parenthesis is not closed".into())),
                }
            }
            _ => Err(Unsupported("an operand is missing".into())),
        }
    }
}

impl Expr {
    /// Every item of the expression.
    pub fn items(&self, out: &mut Vec<Item>) {
        match self {
            Expr::Number(_) => {}
            Expr::Item(i) => out.push(i.clone()),
            Expr::Neg(e) => e.items(out),
            Expr::Bin(_, a, b) => {
                a.items(out);
                b.items(out);
            }
        }
    }

    /// The expression as a program for one run, each item turned into `key(item)`: evaluated
    /// without recursion, and without looking an item's text up again for every org unit.
    pub fn compile<'s, K: Copy>(&'s self, key: &impl Fn(&'s Item) -> K) -> Program<K> {
        let mut ops = Vec::new();
        self.emit(key, &mut ops);
        Program { ops }
    }

    fn emit<'s, K: Copy>(&'s self, key: &impl Fn(&'s Item) -> K, ops: &mut Vec<Op<K>>) {
        match self {
            Expr::Number(n) => ops.push(Op::Number(*n)),
            Expr::Item(i) => ops.push(Op::Item(key(i))),
            Expr::Neg(e) => {
                e.emit(key, ops);
                ops.push(Op::Neg);
            }
            Expr::Bin(op, a, b) => {
                a.emit(key, ops);
                b.emit(key, ops);
                ops.push(Op::Bin(*op));
            }
        }
    }
}

/// A compiled expression: its operations in postfix order (operands before their operator,
/// left before right, as DHIS2 visits them).
#[derive(Debug, Clone)]
pub struct Program<K> {
    ops: Vec<Op<K>>,
}

#[derive(Debug, Clone, Copy)]
enum Op<K> {
    Number(f64),
    Item(K),
    Neg,
    Bin(char),
}

impl<K: Copy> Program<K> {
    /// The value, with `value` giving each item's (None: missing, counted and taken as 0), and
    /// (items found, items with a value). `stack` is scratch space, reused between runs.
    pub fn run(&self, value: impl Fn(K) -> Option<f64>, stack: &mut Vec<f64>) -> (f64, u32, u32) {
        stack.clear();
        let (mut found, mut with_value) = (0, 0);
        for op in &self.ops {
            let v = match *op {
                Op::Number(n) => n,
                Op::Item(k) => {
                    found += 1;
                    value(k).inspect(|_| with_value += 1).unwrap_or(0.0)
                }
                Op::Neg => -stack.pop().unwrap_or(f64::NAN),
                Op::Bin(op) => {
                    let y = stack.pop().unwrap_or(f64::NAN);
                    let x = stack.pop().unwrap_or(f64::NAN);
                    apply(op, x, y)
                }
            };
            stack.push(v);
        }
        (stack.pop().unwrap_or(f64::NAN), found, with_value)
    }
}

/// One operator on two operands (both already evaluated: DHIS2 counts their items before NaN
/// short-cuts).
fn apply(op: char, x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    match op {
        '+' => decimal(x, y, |p, q| p.checked_add(q), |a, b| a + b).unwrap_or(x + y),
        '-' => decimal(x, y, |p, q| p.checked_sub(q), |a, b| a - b).unwrap_or(x - y),
        '*' => times(x, y),
        _ => divide(x, y),
    }
}

/// Zero as the decimal arithmetic gives it (BigDecimal has no negative zero).
fn positive_zero(x: f64) -> f64 {
    if x == 0.0 { 0.0 } else { x }
}

/// Integers up to 2^52 in magnitude: their sums, differences and (below 2^53) products are
/// exact in a double, so the decimal arithmetic would give the same result.
fn small_integer(x: f64) -> bool {
    x.fract() == 0.0 && x.abs() < 4_503_599_627_370_496.0
}

/// `x` as Java's `BigDecimal.valueOf(double)` sees it: the digits Double.toString prints, as a
/// mantissa and a scale (None when it does not fit).
fn as_decimal(x: f64) -> Option<(i128, u32)> {
    if !x.is_finite() {
        return None;
    }
    let text = format!("{x}");
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let scale = u32::try_from(frac.len()).ok()?;
    if scale > 30 {
        return None;
    }
    format!("{int}{frac}")
        .parse::<i128>()
        .ok()
        .map(|m| (m, scale))
}

fn to_f64(m: i128, scale: u32) -> f64 {
    format!("{m}e-{scale}").parse().unwrap_or(f64::NAN)
}

/// An exact decimal sum or difference, rounded once to a double (`exact` where the double
/// arithmetic is exact already).
fn decimal(
    x: f64,
    y: f64,
    op: impl Fn(i128, i128) -> Option<i128>,
    exact: impl Fn(f64, f64) -> f64,
) -> Option<f64> {
    if small_integer(x) && small_integer(y) {
        return Some(positive_zero(exact(x, y)));
    }
    let (a, sa) = as_decimal(x)?;
    let (b, sb) = as_decimal(y)?;
    let s = sa.max(sb);
    let a = a.checked_mul(10i128.checked_pow(s - sa)?)?;
    let b = b.checked_mul(10i128.checked_pow(s - sb)?)?;
    Some(to_f64(op(a, b)?, s))
}

fn times(x: f64, y: f64) -> f64 {
    if small_integer(x) && small_integer(y) && small_integer(x * y) {
        return positive_zero(x * y);
    }
    match (as_decimal(x), as_decimal(y)) {
        (Some((a, sa)), Some((b, sb))) => a.checked_mul(b).map_or(x * y, |m| to_f64(m, sa + sb)),
        _ => x * y,
    }
}

/// Division rounded to 16 significant digits; NaN for a zero divisor.
fn divide(x: f64, y: f64) -> f64 {
    if y == 0.0 {
        return f64::NAN;
    }
    let q = x / y;
    format!("{q:.15e}").parse().unwrap_or(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbb";

    fn eval(s: &str, a: Option<f64>, b: Option<f64>) -> (f64, u32, u32) {
        let e = parse(s).unwrap();
        let value = |i: &Item| match i.data_element.as_str() {
            A => a,
            _ => b,
        };
        e.compile(&|i| i).run(value, &mut Vec::new())
    }

    #[test]
    fn arithmetic_as_dhis2_computes_it() {
        assert_eq!(eval("1 + 2 * 3", None, None).0, 7.0);
        assert_eq!(eval("(1 + 2) * 3", None, None).0, 9.0);
        assert_eq!(eval("-2 * 3", None, None).0, -6.0);
        assert_eq!(
            eval("0.1 + 0.2", None, None).0,
            0.3,
            "exact decimals, as BigDecimal"
        );
        assert_eq!(eval("1 / 3", None, None).0, 0.3333333333333333);
        assert!(eval("1 / 0", None, None).0.is_nan());
        assert!(eval("(1 / 0) + 2", None, None).0.is_nan());
        assert_eq!(eval("1.5e2", None, None).0, 150.0);
    }

    /// The decimal arithmetic, always taken (no shortcut for integers).
    fn by_decimals(op: char, x: f64, y: f64) -> f64 {
        let (Some((a, sa)), Some((b, sb))) = (as_decimal(x), as_decimal(y)) else {
            return f64::NAN;
        };
        if op == '*' {
            return a.checked_mul(b).map_or(x * y, |m| to_f64(m, sa + sb));
        }
        let s = sa.max(sb);
        let (a, b) = (a * 10i128.pow(s - sa), b * 10i128.pow(s - sb));
        to_f64(if op == '+' { a + b } else { a - b }, s)
    }

    #[test]
    fn integers_take_a_shortcut_that_gives_the_decimal_result_to_the_bit() {
        let mut next = crate::fuzzing::xorshift(0x1405_7b7e_f767_814f);
        let edges = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            4_503_599_627_370_495.0,
            9_007_199_254_740_993.0,
        ];
        for n in 0..20_000 {
            let pick = |r: usize, next: &mut dyn FnMut(usize) -> usize| match r {
                0 => edges[next(edges.len())],
                1 => next(1 << 30) as f64 * next(1 << 23) as f64,
                2 => next(2_000_001) as f64 / 100.0 - 10_000.0,
                _ => next(20_001) as f64 - 10_000.0,
            };
            let (r1, r2) = (next(4), next(4));
            let (x, y) = (pick(r1, &mut next), pick(r2, &mut next));
            for op in ['+', '-', '*'] {
                let (got, want) = (apply(op, x, y), by_decimals(op, x, y));
                assert_eq!(
                    got.to_bits(),
                    want.to_bits(),
                    "case {n}: {x} {op} {y}: {got} against {want}"
                );
            }
        }
    }

    #[test]
    fn missing_items_count_and_stand_for_zero() {
        let s = format!("#{{{A}}} + #{{{B}.{A}}}");
        assert_eq!(eval(&s, Some(4.0), None), (4.0, 2, 1));
        assert_eq!(eval(&s, None, None), (0.0, 2, 0));
        assert_eq!(eval(&s, Some(1.0), Some(2.0)), (3.0, 2, 2));
    }

    #[test]
    fn anything_else_is_refused_with_the_reason() {
        for s in [
            "#{aaaaaaaaaaa.*}",
            "C{aaaaaaaaaaa}",
            "#{aaaaaaaaaaa} ^ 2",
            "#{aaaaaaaaaaa} % 2",
            "if(#{aaaaaaaaaaa} > 0, 1, 0)",
            "[days]",
            "(1 + 2",
            "",
        ] {
            assert!(parse(s).is_err(), "{s}");
        }
        let e = parse("C{abc}").unwrap_err().to_string();
        assert!(e.contains("C{abc}"), "{e}");
    }
}
