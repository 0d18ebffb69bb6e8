#!/usr/bin/env bash
# Builds pi2de.exe for Windows (x86_64-pc-windows-gnu) on Debian and runs it, and optionally the
# whole test suite, under Wine: Windows behaviour checked without a Windows machine.
#
#   scripts/windows.sh            build, then the README's sample conversion under Wine,
#                                 compared byte for byte with the Linux build's
#   scripts/windows.sh --test     also `cargo test` for the Windows target under Wine
#
# Needs rustup (the Windows target's standard library comes from it: `rustup target add`),
# and installs with apt what is missing: mingw-w64 (the linker) and Wine. Wine 8 lacks
# bcryptprimitives.dll, whose ProcessPrng Rust's std calls: a stand-in forwarding to
# BCryptGenRandom is built into the Wine prefix. Scratch lives in $WORK (default
# /tmp/pi2de-win); the checkout is not changed. Exit 0 when everything run passed, 1 when
# something failed, 3 when the toolchain could not be set up (apt or rustup failed).
#
# (Built on ../shared/windows/build.sh, which builds std from Debian's rustc-web: that compiler
# is 1.85, older than the 1.89 this project needs.)
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_TESTS=0
for a in "$@"; do
    case "$a" in
        --test) RUN_TESTS=1 ;;
        -h | --help) sed -n "2,17p" "$0"; exit 0 ;;
        *) echo "unknown option $a" >&2; exit 2 ;;
    esac
done
WORK=${WORK:-/tmp/pi2de-win}
TARGET=x86_64-pc-windows-gnu
mkdir -p "$WORK"
step() { printf '\n=== %s (%s)\n' "$1" "$(date +%T)"; }

step "toolchain"
missing=""
command -v x86_64-w64-mingw32-gcc >/dev/null || missing="$missing gcc-mingw-w64-x86-64"
command -v wine >/dev/null || missing="$missing wine wine64"
if [ -n "$missing" ]; then
    echo "installing:$missing"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >"$WORK/apt.log" 2>&1 ||
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >"$WORK/apt.log" 2>&1; } ||
        { tail -20 "$WORK/apt.log"; exit 3; }
fi
rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET" || exit 3
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
# assert_cmd reads the runner variable at run time and would start `wine` inside Wine: the
# runner goes through --config instead.
unset CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER
rustc --version

step "Wine prefix"
export WINEPREFIX=$WORK/wineprefix WINEDEBUG=-all
export LANG=${LANG:-C.UTF-8} # Wine makes the UTF-16 command line through the locale
[ -f "$WINEPREFIX/system.reg" ] || wineboot -i >"$WORK/wineboot.log" 2>&1 || true
SYS32=$WINEPREFIX/drive_c/windows/system32
if [ ! -f "$SYS32/bcryptprimitives.dll" ]; then
    cat >"$WORK/bcryptprimitives.c" <<'EOF'
#include <windows.h>
#include <bcrypt.h>
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return FALSE;
        data += chunk; len -= chunk;
    }
    return TRUE;
}
EOF
    x86_64-w64-mingw32-gcc -shared -O2 -o "$SYS32/bcryptprimitives.dll" "$WORK/bcryptprimitives.c" -lbcrypt -Wl,--kill-at
fi
wine --version
# Keep a wineserver up and Wine's services started with no pipe open: started from a pipe
# (`$(wine …)`, cargo's runner) they would hold it and its reader would wait forever.
wine_warm() {
    wineserver -p 600 2>/dev/null || true
    wine cmd /c exit </dev/null >/dev/null 2>&1 || true
}

step "build"
cargo build --locked --target "$TARGET" --bin pi2de
cargo build --locked --bin pi2de
EXE=target/$TARGET/debug/pi2de.exe
LINUX=$PWD/target/debug/pi2de

step "the sample under Wine, against Linux"
wine_warm
FAIL=0
check() { if eval "$2"; then echo "PASS  $1"; else echo "FAIL  $1"; FAIL=1; fi; }
RUN=$(mktemp -d "$WORK/smoke.XXXX")
for d in win linux; do
    mkdir -p "$RUN/$d"
    cp -r samples mappings "$RUN/$d/"
done
set +e
(cd "$RUN/win" && wine "$OLDPWD/$EXE" convert samples/immunisation.json -m mappings/immunisation.xlsx \
    -o hmis.json --summary run.json --report audit.xlsx --trace trace.csv >stdout.txt 2>stderr.txt)
RC=$?
(cd "$RUN/linux" && "$LINUX" convert samples/immunisation.json -m mappings/immunisation.xlsx \
    -o hmis.json --summary run.json --report audit.xlsx --trace trace.csv >stdout.txt 2>stderr.txt)
set -e
check "convert exits 1 (10 values left out), got $RC" '[ $RC -eq 1 ]'
for f in hmis.json trace.csv stdout.txt; do
    check "$f byte for byte as on Linux" 'cmp -s "$RUN/win/$f" "$RUN/linux/$f"'
done
set +e
(cd "$RUN/win" && wine "$OLDPWD/$EXE" convert 'samples\immunisation.json' -m 'mappings\immunisation.xlsx' \
    -o 'hmis-bs.json' >/dev/null 2>&1)
RC=$?
set -e
check "backslash paths: exit 1, the same output" '[ $RC -eq 1 ] && cmp -s "$RUN/win/hmis.json" "$RUN/win/hmis-bs.json"'

# A double-click starts pi2de.exe with no arguments: that is `pi2de serve`. Wine's browser
# launcher is disabled (no page is opened); the address printed must answer.
rm -f "$RUN/win/serve.txt"
(cd "$RUN/win" && WINEDLLOVERRIDES="winebrowser.exe=d" timeout 90 wine "$OLDPWD/$EXE" </dev/null \
    >serve.txt 2>serve-stderr.txt &)
for _ in $(seq 1 120); do grep -q token= "$RUN/win/serve.txt" 2>/dev/null && break; sleep 0.5; done
URL=$(head -1 "$RUN/win/serve.txt" 2>/dev/null | tr -d '\r')
PAGE=$( { exec 3<>/dev/tcp/127.0.0.1/7373 &&
    printf 'GET /%s HTTP/1.0\r\nHost: 127.0.0.1:7373\r\n\r\n' "${URL#http://127.0.0.1:7373/}" >&3 &&
    head -1 <&3 | cut -d' ' -f2; } 2>/dev/null || true)
pkill -f 'pi2de.exe' 2>/dev/null || true
check "no arguments serve the page at 127.0.0.1:7373 ($URL: $PAGE)" '[[ "$URL" == http://127.0.0.1:7373/?token=* && "$PAGE" == 200 ]]'

if [ $RUN_TESTS = 1 ]; then
    step "cargo test --target $TARGET under Wine"
    wine_warm
    set +e
    cargo test --locked --target "$TARGET" --config "target.$TARGET.runner=\"wine\"" \
        --no-fail-fast >"$WORK/test.log" 2>&1
    TRC=$?
    set -e
    grep -E '^test result|^     Running' "$WORK/test.log" || true
    sed -n '/^failures:$/,/^test result/p' "$WORK/test.log" | grep '^    [a-z]' | sort -u | sed 's/^ */  failed: /' || true
    check "cargo test under Wine (log $WORK/test.log)" '[ $TRC -eq 0 ]'
fi
exit $FAIL
