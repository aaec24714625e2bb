# shellcheck shell=bash
# HTTPS in the init scripts: the certificate block that boards/openwrt (warden.init),
# boards/sysvinit (S50warden), boards/openrc (warden.initd) and boards/systemd
# (warden-tls-cert) share, between "# >>> warden-tls" and "# <<< warden-tls":
#   the four copies are the same text; then its functions run under dash and BusyBox
#   ash (from a copy of the block, no init system), against lib.sh's stand-ins:
#   warden_tls_cert with openssl when px5g is missing: the pair made (CN and DNS name
#   the host name, ECDSA P-256, 730 days, not a CA, the key the certificate's), the
#   key 600, the certificate 644, a new directory 700, nothing left beside them; run
#   again: nothing made, both files unchanged; empty files are made over; only one
#   of the two there: refused, the other not made; px5g preferred when installed, with
#   exactly uhttpd's arguments (selfsigned -days 730 -newkey ec -pkeyopt
#   ec_paramgen_curve:P-256 -keyout -out -subj /CN=NAME) into temporary files;
#   neither tool, or px5g failing after half a key: refused, nothing under either
#   name; killed in the middle (a power cut's view): nothing under either name;
#   hostile host names (subject syntax, $(...), backticks, a newline, 65 characters)
#   become CN=warden and run nothing; hostile or relative paths refused, nothing
#   made, nothing run. warden_has_tls: the stand-ins with TLS, "no TLS" and older,
#   a missing binary, and the real binary's --version.
# The init scripts' use of the block (flags, warnings, HTTPS served) is checked in
# their own files. Sourced by .ci/check-packaging after lib.sh (SCRATCH, BIN, TLS_STUBS).
# shellcheck disable=SC2016 # literal $(...) in single quotes

echo "== HTTPS: the certificate block of the init scripts"
ref=$(tls_block "${TLS_BLOCK_FILES[0]}")
if [ "$(wc -l <<<"$ref")" -lt 40 ]; then
    fail "the certificate block is in ${TLS_BLOCK_FILES[0]}" "$ref"
fi
for f in "${TLS_BLOCK_FILES[@]:1}"; do
    if out=$(diff <(printf '%s\n' "$ref") <(tls_block "$f")); then
        ok "the certificate block of $f is ${TLS_BLOCK_FILES[0]}'s"
    else
        fail "the certificate block of $f is ${TLS_BLOCK_FILES[0]}'s" "$out"
    fi
done
for f in "${TLS_BLOCK_FILES[@]}"; do
    if grep -q 'warden_tls_cert "' "$f"; then ok "$f calls warden_tls_cert"; else fail "$f calls warden_tls_cert"; fi
done
printf '%s\n' "$ref" >"$SCRATCH/tls-block.sh"
check "shellcheck -s sh: the certificate block" shellcheck -s sh -e SC2317 "$SCRATCH/tls-block.sh"

# blk SHELL PATH CMD...: CMD (a function of the block) under SHELL with PATH set to
# lib.sh's logger, then PATH (e.g. a path-* directory of make_tls_stubs, alone);
# its output, then "rc=N".
blk() {
    local sh=$1 path=$2
    shift 2
    # shellcheck disable=SC2086 # "busybox sh" is two words
    PATH="$TLS_STUBS/logger:$path" $sh -c '. "$0"; "$@"; echo "rc=$?"' "$SCRATCH/tls-block.sh" "$@" 2>&1
}
T=$SCRATCH/tls-fn
for sh in dash "busybox sh"; do
    t="warden_tls_cert ($sh)"
    rm -rf "${T:?}" "$TLS_MARK"
    mkdir -p "$T"
    crt=$T/etc/warden/warden.crt key=$T/etc/warden/warden.key
    # openssl, no px5g: made.
    out=$(blk "$sh" "$TLS_STUBS/path-no-px5g" warden_tls_cert "$crt" "$key" router.lan)
    expect_eq "$t, openssl (no px5g): the pair is made, said in one line" "$out" \
        "made a self-signed certificate for CN=router.lan (openssl, ECDSA P-256, 730 days): $crt, its key $key
rc=0"
    if [ -s "$crt" ] && [ -s "$key" ]; then
        expect_eq "$t, openssl: CN and DNS name router.lan, self-signed, P-256, 730 days, not a CA, the key the certificate's, key 600, cert 644" \
            "$(cert_summary "$crt" "$key")" \
            "subject=CN = router.lan issuer=CN = router.lan curve=prime256v1 days=730 ca=CA:FALSE san=DNS:router.lan match=yes key=600 cert=644"
    else
        fail "$t, openssl: the pair is there" "$(ls -la "$T/etc/warden" 2>&1)"
    fi
    expect_eq "$t, openssl: the new directory is 700, nothing else left in it (no temporary directory)" \
        "$(stat -c %a "$T/etc/warden") $(find "$T/etc/warden" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ')" "700 warden.crt warden.key "
    if grep -q '^-----BEGIN PRIVATE KEY-----$' "$key"; then
        ok "$t, openssl: the key is PEM (PKCS#8)"
    else
        fail "$t, openssl: the key is PEM (PKCS#8)" "$(head -1 "$key")"
    fi
    # Run again: nothing made over them.
    before=$(sha256sum "$crt" "$key"; stat -c %Y "$crt" "$key")
    out=$(blk "$sh" "$TLS_STUBS/path-no-px5g" warden_tls_cert "$crt" "$key" other)
    expect_eq "$t: both there -> nothing said, both files unchanged" \
        "$out|$(sha256sum "$crt" "$key"; stat -c %Y "$crt" "$key")" "rc=0|$before"
    # Only one of the two: refused, and the missing one is not made.
    mv "$key" "$T/key.saved"
    out=$(blk "$sh" "$TLS_STUBS/path-no-px5g" warden_tls_cert "$crt" "$key" router.lan)
    expect_eq "$t: only the certificate there -> refused, it is kept, no key made" \
        "$out|$(sha256sum <"$crt")|$([ -e "$key" ] && echo key || echo 'no key')" \
        "only one of $crt and $key is there: none made over it (remove it to have both made)
rc=1|$(head -1 <<<"$before" | cut -d' ' -f1)  -|no key"
    rm -f "$T/key.saved"
    # Empty files (an interrupted copy): made over.
    : >"$key"
    : >"$crt"
    out=$(blk "$sh" "$TLS_STUBS/path-no-px5g" warden_tls_cert "$crt" "$key" router.lan)
    if [[ $out == "made a self-signed certificate for CN=router.lan (openssl"*$'\n'rc=0 ]] && [ -s "$crt" ] && [ -s "$key" ]; then
        ok "$t: two empty files -> made over"
    else
        fail "$t: two empty files -> made over" "$out"
    fi
    # px5g installed: preferred, with uhttpd's arguments.
    rm -rf "${T:?}/etc" "$TLS_STUBS/px5g.argv"
    out=$(blk "$sh" "$TLS_STUBS/px5g:$TLS_STUBS/path-no-px5g" warden_tls_cert "$crt" "$key" OpenWrt)
    expect_eq "$t, px5g and openssl installed: px5g makes the pair" "$out" \
        "made a self-signed certificate for CN=OpenWrt (px5g, ECDSA P-256, 730 days): $crt, its key $key
rc=0"
    expect_eq "$t, px5g: its arguments, as uhttpd's init script gives them (PEM: no -der), into temporary files beside the final ones" \
        "$(sed -E 's/\.warden-tls\.[A-Za-z0-9]{6}/.warden-tls.XXXXXX/g' "$TLS_STUBS/px5g.argv" 2>&1)" \
        "<selfsigned><-days><730><-newkey><ec><-pkeyopt><ec_paramgen_curve:P-256><-keyout><$T/etc/warden/.warden-tls.XXXXXX/key><-out><$T/etc/warden/.warden-tls.XXXXXX/crt><-subj></CN=OpenWrt>"
    if [ -s "$key" ] && [ -s "$crt" ]; then
        expect_eq "$t, px5g: the pair (key SEC1 PEM, 600; certificate 644; CN=OpenWrt), nothing else left" \
            "$(head -1 "$key") $(cert_summary "$crt" "$key" | grep -o 'subject=[^=]*= [^ ]*\|match=[a-z]*\|key=[0-9]*\|cert=[0-9]*' | tr '\n' ' ')$(find "$T/etc/warden" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ')" \
            "-----BEGIN EC PRIVATE KEY----- subject=CN = OpenWrt match=yes key=600 cert=644 warden.crt warden.key "
    else
        fail "$t, px5g: the pair is there" "$(ls -la "$T/etc/warden" 2>&1)"
    fi
    # Neither tool: refused, nothing made.
    rm -rf "${T:?}/etc"
    out=$(blk "$sh" "$TLS_STUBS/path-none" warden_tls_cert "$crt" "$key" router)
    expect_eq "$t, neither px5g nor openssl: refused, nothing made" \
        "$out|$(ls -A "$T")" "no certificate at $crt: neither px5g nor openssl is installed to make one
rc=1|"
    # px5g fails after half a key: refused, nothing under either name, nothing left.
    out=$(blk "$sh" "$TLS_STUBS/px5g-broken:$TLS_STUBS/path-no-px5g" warden_tls_cert "$crt" "$key" router)
    expect_eq "$t, px5g failing after half a key: refused with its error, nothing under either name, no temporary file left" \
        "$out|$(ls -A "$T/etc/warden" 2>&1)" "no certificate at $crt: px5g failed: error: key generation failed 
rc=1|"
    # Killed in the middle (half a key written), as by a power cut: nothing under
    # either name, only the temporary directory (mode 700).
    rm -rf "${T:?}/etc"
    # shellcheck disable=SC2086 # "busybox sh" is two words
    PATH="$TLS_STUBS/logger:$TLS_STUBS/px5g-slow:$TLS_STUBS/path-no-px5g" setsid $sh -c '. "$0"; warden_tls_cert "$@"' \
        "$SCRATCH/tls-block.sh" "$crt" "$key" router >/dev/null 2>&1 &
    spid=$!
    for _ in $(seq 50); do
        find "$T/etc/warden" -name key -size +0 2>/dev/null | grep -q . && break
        sleep 0.1
    done
    kill -KILL -- "-$spid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
    expect_eq "$t: killed while px5g writes the key -> neither name exists; only a mode-700 temporary directory holds the half key" \
        "$([ -e "$crt" ] || [ -e "$key" ] && echo 'a final name exists' || echo 'no final name') $(find "$T/etc/warden" -mindepth 1 -maxdepth 1 -printf '%f %m\n' | sed -E 's/[A-Za-z0-9]{6} / /' | sort | tr '\n' ' ')" \
        "no final name .warden-tls. 700 .warden-tls. 700 "
    # Host names: only a host name reaches the subject; anything else is CN=warden.
    got=""
    for name in router.lan OpenWrt my-router-1 "" -x x- .x x. a..b 'a/O=evil' 'a,O=evil' 'a+CN=b' 'a\b' \
        'a b' "a;touch $TLS_MARK" "\$(touch $TLS_MARK)" "\`touch $TLS_MARK\`" $'a\nb' "$(printf 'a%.0s' {1..64})" \
        "$(printf 'a%.0s' {1..65})" router_1; do
        got+="$(blk "$sh" "$PATH" warden_cert_name "$name" | sed -n 1p) "
    done
    expect_eq "$t: warden_cert_name keeps host names (up to 64 characters) and makes anything else 'warden'" "$got" \
        "router.lan OpenWrt my-router-1 warden warden warden warden warden warden warden warden warden warden warden warden warden warden warden $(printf 'a%.0s' {1..64}) warden warden "
    rm -rf "${T:?}/etc"
    out=$(blk "$sh" "$TLS_STUBS/path-no-px5g" warden_tls_cert "$crt" "$key" "x/O=evil\$(touch $TLS_MARK)")
    if [[ $out == "made a self-signed certificate for CN=warden (openssl"*$'\n'rc=0 ]] &&
        [ "$(openssl x509 -in "$crt" -noout -subject -ext subjectAltName 2>&1 | tr -s ' \n' ' ')" = "subject=CN = warden X509v3 Subject Alternative Name: DNS:warden " ]; then
        ok "$t: a hostile host name -> CN=warden, DNS:warden"
    else
        fail "$t: a hostile host name -> CN=warden, DNS:warden" "$out"
    fi
    # Paths: absolute, of letters, digits and / . _ - + only; others refused, nothing made.
    rm -rf "${T:?}/etc"
    got=""
    for p in etc/warden.crt "$T/my certs/c.crt" "$T/\$(touch $TLS_MARK)/c.crt" "$T/c.crt;touch $TLS_MARK" "" "-days"; do
        got+="$(blk "$sh" "$TLS_STUBS/path-no-px5g" warden_tls_cert "$p" "$key" router | tr '\n' ' ')|"
    done
    expect_eq "$t: relative, empty, spaced or hostile paths refused as written, nothing made" \
        "$got$(ls -A "$T")" \
        "'etc/warden.crt' is not an absolute path of letters, digits and / . _ - + rc=1 |'$T/my certs/c.crt' is not an absolute path of letters, digits and / . _ - + rc=1 |'$T/\$(touch $TLS_MARK)/c.crt' is not an absolute path of letters, digits and / . _ - + rc=1 |'$T/c.crt;touch $TLS_MARK' is not an absolute path of letters, digits and / . _ - + rc=1 |'' is not an absolute path of letters, digits and / . _ - + rc=1 |'-days' is not an absolute path of letters, digits and / . _ - + rc=1 |"
    if [ -e "$TLS_MARK" ]; then
        fail "$t: no host name or path ran anything" "$(ls -l "$TLS_MARK")"
    else
        ok "$t: no host name or path ran anything"
    fi
    # warden_has_tls: --version's "built in:" line.
    got=""
    for b in "$TLS_STUBS/tls/warden" "$TLS_STUBS/notls/warden" "$TLS_STUBS/old/warden" "$SCRATCH/no-such-warden"; do
        got+="${b#"$SCRATCH/"}:$(blk "$sh" "$PATH" warden_has_tls "$b") "
    done
    expect_eq "$t: warden_has_tls: yes for TLS, no for \"no TLS\", for an older binary and for a missing one" "$got" \
        "tls-stubs/tls/warden:rc=0 tls-stubs/notls/warden:rc=1 tls-stubs/old/warden:rc=1 no-such-warden:rc=1 "
    if [ -n "$BIN" ] && [ -x "$BIN" ]; then
        want=1
        if "$BIN" --version | grep -q '^built in: .*; TLS ('; then want=0; fi
        expect_eq "$t: warden_has_tls $BIN agrees with its --version (built in: ... TLS)" \
            "$(blk "$sh" "$PATH" warden_has_tls "$BIN")" "rc=$want"
    fi
done
