#!/usr/bin/env python3
"""Validates tune.jsonl and holdout.jsonl and prints counts.

Run from the repository root:  python3 tests/data/redact/check_corpus.py [--markdown]

Checks, independently of the generator's code:
  * every line is a case with the documented fields; ids are unique and say
    what they are (neg-… iff negative); texts are unique;
  * start/end are UTF-8 byte offsets and text[start:end] == value; spans are
    sorted, do not overlap and carry no surrounding whitespace or quotes;
  * each value satisfies its type's own definition: Luhn and brand ranges,
    IBAN country length and mod-97, SSN issued ranges, IP syntax, phone
    validity (libphonenumber), Base58Check / Bech32 / Bech32m / EIP-55, PEM
    armour with a base64 body (and the OpenPGP CRC-24), age Bech32 checksum,
    JWT header JSON with "alg", provider key shapes;
  * selected hard negatives really are invalid (Luhn, mod-97, SSN ranges,
    phone numbers);
  * the split is the documented hash rule; the minimum counts hold;
  * clean/ holds at least 50 KB.
Exits non-zero on any failure.
"""
import base64
import binascii
import collections
import hashlib
import ipaddress
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    import phonenumbers
except ImportError:  # pragma: no cover
    phonenumbers = None

TYPES = ["EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "URL_CREDENTIALS", "API_KEY", "SECRET",
         "PRIVATE_KEY", "CRYPTO_WALLET", "PERSON_NAME", "STREET_ADDRESS"]
GATED = TYPES[:11]
SURR = ["prose", "json", "yaml", "toml", "env", "shell", "log", "url", "code", "markdown"]
ERRORS = []


def err(cid, msg):
    ERRORS.append(f"{cid}: {msg}")


# ---------- independent validators ----------
def luhn(d):
    s = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch) * (2 if i % 2 else 1)
        s += x - 9 if x > 9 else x
    return s % 10 == 0


def card_brand(d):
    n = len(d)
    p2, p3, p4 = int(d[:2]), int(d[:3]), int(d[:4])
    if d[0] == "4" and n in (13, 16, 19):
        return "visa"
    if (51 <= p2 <= 55 or 2221 <= p4 <= 2720) and n == 16:
        return "mastercard"
    if p2 in (34, 37) and n == 15:
        return "amex"
    if (p4 == 6011 or p2 == 65 or 644 <= p3 <= 649) and n in (16, 19):
        return "discover"
    if (p2 in (36, 38) or 300 <= p3 <= 305) and n == 14:
        return "diners"
    if 3528 <= p4 <= 3589 and 16 <= n <= 19:
        return "jcb"
    if p2 == 62 and 16 <= n <= 19:
        return "unionpay"
    if d[:4] in ("5018", "5020", "5038", "5893", "6304", "6759", "6761", "6762", "6763") and 12 <= n <= 19:
        return "maestro"
    return None


IBAN_LEN = {"AD": 24, "AE": 23, "AT": 20, "BE": 16, "BG": 22, "BR": 29, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
            "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27,
            "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SA": 24,
            "SE": 24, "SI": 19, "SK": 24, "TR": 26}


def iban_ok(v):
    s = v.replace(" ", "").upper()
    if " " in v and any(len(g) != 4 for g in v.split(" ")[:-1]):
        return False
    if s[:2] not in IBAN_LEN or len(s) != IBAN_LEN[s[:2]] or not s.isalnum():
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def ssn_ok(v):
    m = re.fullmatch(r"(\d{3})([-. ]?)(\d{2})\2(\d{4})", v)
    if not m:
        return False
    a, g, s = int(m.group(1)), int(m.group(3)), int(m.group(4))
    return 0 < a < 900 and a != 666 and g != 0 and s != 0


B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def b58check_ok(s):
    n = 0
    for c in s:
        if c not in B58:
            return False
        n = n * 58 + B58.index(c)
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    raw = b"\0" * (len(s) - len(s.lstrip("1"))) + raw
    return len(raw) == 25 and hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()[:4] == raw[-4:]


def bech32_const(s):
    s = s.lower()
    pos = s.rfind("1")
    hrp, data = s[:pos], s[pos + 1:]
    if any(c not in CHARSET for c in data):
        return None
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + [CHARSET.index(c) for c in data]:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (b >> i) & 1 else 0
    return chk


def keccak256(data):
    # Keccak-f[1600], rate 1088, pad 0x01 (pre-standard Keccak as Ethereum uses)
    RC, r, bits = [], 1, []
    for _ in range(168):
        bits.append(r & 1)
        r = (r << 1) ^ (0x171 if r & 0x80 else 0)
        r &= 0xFF
    for i in range(24):
        RC.append(sum(1 << ((1 << j) - 1) for j in range(7) if bits[j + 7 * i]))
    rot = {}
    x, y = 1, 0
    for t in range(24):
        rot[(x, y)] = ((t + 1) * (t + 2) // 2) % 64
        x, y = y, (2 * x + 3 * y) % 5
    rot[(0, 0)] = 0
    M = (1 << 64) - 1
    rol = lambda v, n: ((v << n) | (v >> (64 - n))) & M if n else v  # noqa: E731
    msg = bytearray(data) + b"\x01"
    while len(msg) % 136:
        msg.append(0)
    msg[-1] |= 0x80
    A = [[0] * 5 for _ in range(5)]
    for off in range(0, len(msg), 136):
        for i in range(17):
            A[i % 5][i // 5] ^= int.from_bytes(msg[off + 8 * i:off + 8 * i + 8], "little")
        for rnd in range(24):
            Cc = [A[x][0] ^ A[x][1] ^ A[x][2] ^ A[x][3] ^ A[x][4] for x in range(5)]
            D = [Cc[(x - 1) % 5] ^ rol(Cc[(x + 1) % 5], 1) for x in range(5)]
            A = [[A[x][y] ^ D[x] for y in range(5)] for x in range(5)]
            Bm = [[0] * 5 for _ in range(5)]
            for x in range(5):
                for y in range(5):
                    Bm[y][(2 * x + 3 * y) % 5] = rol(A[x][y], rot[(x, y)])
            A = [[Bm[x][y] ^ ((~Bm[(x + 1) % 5][y]) & Bm[(x + 2) % 5][y]) for y in range(5)] for x in range(5)]
            A[0][0] ^= RC[rnd]
    return b"".join(A[i % 5][i // 5].to_bytes(8, "little") for i in range(4))


assert keccak256(b"").hex().startswith("c5d2460186f7233c")


def eth_ok(v):
    if not re.fullmatch(r"0x[0-9a-fA-F]{40}", v):
        return False
    h = v[2:]
    if h == h.lower() or h == h.upper():
        return True
    k = keccak256(h.lower().encode()).hex()
    return all((c.upper() if int(k[i], 16) >= 8 else c.lower()) == c for i, c in enumerate(h) if c.isalpha())


def wallet_ok(v):
    if v.startswith("0x"):
        return eth_ok(v)
    if v.startswith("bc1"):
        c = bech32_const(v)
        if v[3] == "q":
            return c == 1 and len(v) in (42, 62)
        if v[3] == "p":
            return c == 0x2BC830A3 and len(v) == 62
        return False
    return v[0] in "13" and b58check_ok(v)


def b64_ok(s, url=False):
    s = s.strip()
    try:
        if url:
            base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
        else:
            base64.b64decode(s, validate=True)
        return True
    except (binascii.Error, ValueError):
        return False


def crc24(data):
    crc = 0xB704CE
    for b in data:
        crc ^= b << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


PEM_RE = re.compile(r"-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY|PGP PRIVATE KEY BLOCK)-----(.*)-----END \1-----", re.S)


def private_key_ok(v):
    if v.startswith("AGE-SECRET-KEY-1"):
        return v == v.upper() and len(v) == 74 and bech32_const(v) == 1
    m = PEM_RE.fullmatch(v)
    if not m:
        return False
    body = m.group(2).replace("\\n", "\n")
    lines = [ln.strip() for ln in body.split("\n")]
    if m.group(1) == "PGP PRIVATE KEY BLOCK":
        data = [ln for ln in lines if ln and ":" not in ln]
        crc = [ln for ln in data if ln.startswith("=")]
        data = [ln for ln in data if not ln.startswith("=")]
        raw = base64.b64decode("".join(data))
        return len(crc) == 1 and base64.b64decode(crc[0][1:]) == crc24(raw).to_bytes(3, "big")
    data = "".join(ln for ln in lines if ln and ":" not in ln)
    if not b64_ok(data) or len(data) < 40:
        return False
    raw = base64.b64decode(data)
    if m.group(1) == "OPENSSH PRIVATE KEY":
        return raw.startswith(b"openssh-key-v1\0")
    if "Proc-Type" in body:
        return True
    return raw[0] == 0x30  # a DER SEQUENCE


def jwt_ok(v):
    parts = v.split(".")
    if len(parts) != 3:
        return False
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
        json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return False
    return isinstance(hdr, dict) and "alg" in hdr and b64_ok(parts[2], url=True)


A = "A-Za-z0-9"
KEY_SHAPES = [
    ("github", rf"gh[pousr]_[{A}]{{36}}"), ("github", rf"github_pat_[{A}]{{22}}_[{A}]{{59}}"),
    ("gitlab", r"(glpat|gldt|glrt|glrtr|glft|glimt|glsoat|glffct)-[A-Za-z0-9_-]{20,}"), ("gitlab", r"GR1348941[A-Za-z0-9_-]{20}"),
    ("gitlab", r"glcbt-(\d+_)?[A-Za-z0-9_-]{20,}"), ("gitlab", r"glptt-[0-9a-f]{40}"), ("gitlab", r"glagent-[A-Za-z0-9_-]{50,}"), ("gitlab", r"gloas-[0-9a-f]{64}"),
    ("slack", r"xox[bpar]-[0-9A-Za-z-]{20,}"), ("slack", r"xoxe\.xoxp-1-[A-Za-z0-9]{100,}"), ("slack", r"xapp-1-A[A-Z0-9]+-\d+-[0-9a-f]{64}"),
    ("slack", r"https://hooks\.slack\.com/services/T[A-Z0-9]{8,}/B[A-Z0-9]{8,}/[A-Za-z0-9]{24}"),
    ("stripe", rf"[sr]k_(live|test)_[{A}]{{24,99}}"),
    ("openai", r"sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}"), ("openai", r"sk-(proj|svcacct|admin)-[A-Za-z0-9_-]{40,}T3BlbkFJ[A-Za-z0-9_-]{40,}"),
    ("anthropic", r"sk-ant-(api03|admin01)-[A-Za-z0-9_-]{93}AA"),
    ("google", r"AIza[0-9A-Za-z_-]{35}"), ("google", r"GOCSPX-[A-Za-z0-9_-]{28}"), ("google", r"ya29\.[A-Za-z0-9_-]{50,}"),
    ("aws", r"(AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}"), ("aws", r"AKIAIOSFODNN7EXAMPLE"),
    ("azure-entra", r"[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}"),
    ("huggingface", r"(hf|api_org)_[A-Za-z]{34}"), ("pypi", r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"), ("npm", rf"npm_[{A}]{{36}}"),
    ("discord", r"[A-Za-z0-9+/]{23,28}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}"), ("telegram", r"\d{8,10}:[A-Za-z0-9_-]{35}"),
    ("twilio", r"SK[0-9a-f]{32}"), ("sendgrid", r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"), ("shopify", r"shp(at|ca|pa|ss)_[0-9a-f]{32}"),
    ("digitalocean", r"do[por]_v1_[0-9a-f]{64}"),
]


def api_key_ok(v, text, start):
    before = text.encode()[:start].decode()
    for _, pat in KEY_SHAPES:
        if re.fullmatch(pat, v):
            return True
    if jwt_ok(v):
        return True
    if re.search(r"(Bearer|Basic) $", before):
        if before.endswith("Basic "):
            try:
                return ":" in base64.b64decode(v, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return False
        return len(v) >= 20
    if re.search(r"AccountKey=$", before):
        return len(v) == 88 and b64_ok(v)
    if re.search(r"[?&]sig=$", before):
        return b64_ok(v.replace("%2B", "+").replace("%2F", "/").replace("%3D", "="))
    return False


PLACEHOLDER = re.compile(r"^(<.*>|\$\{.*\}|\$[A-Z_]+|\{\{.*\}\}|x{4,}|X{4,}|\*+|(.)\2+|\.\.\.|…|\[?REDACTED\]?|YOUR_.*)$")


def phone_ok(v, region_hint):
    if phonenumbers is None:
        return True
    regions = ([region_hint] if region_hint else []) + sorted(phonenumbers.SUPPORTED_REGIONS)
    cands = [v] + (["+" + v] if v.isdigit() else [])
    for c in cands:
        for r in regions[:1] if c.startswith("+") else regions:
            try:
                if phonenumbers.is_valid_number(phonenumbers.parse(c, r)):
                    return True
            except phonenumbers.NumberParseException:
                pass
    return False


def phone_invalid_everywhere(v):
    for r in [None] + sorted(phonenumbers.SUPPORTED_REGIONS):
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(v, r)):
                return False
        except phonenumbers.NumberParseException:
            pass
    return True


def check_value(cid, t, v, text, start):
    if t == "EMAIL":
        ok = re.fullmatch(r"[^\s@<>()\[\],;:\"]+@[^\s@<>()\[\],;:\"]+\.[^\s@<>()\[\],;:\".]{2,}", v) is not None
    elif t == "PHONE":
        m = re.match(r"phone-([a-z]{2})-", cid)
        ok = phone_ok(v, m.group(1).upper() if m else None)
    elif t == "CREDIT_CARD":
        seps = set(re.sub(r"\d", "", v))
        d = re.sub(r"\D", "", v)
        ok = len(seps) <= 1 and seps <= {" ", "-", "."} and luhn(d) and card_brand(d) is not None
    elif t == "IBAN":
        ok = iban_ok(v)
    elif t == "US_SSN":
        ok = ssn_ok(v)
    elif t == "IP_ADDRESS":
        try:
            addr = v.split("%")[0]
            ip = ipaddress.ip_address(addr)
            ok = "%" not in v or ip.version == 6
        except ValueError:
            ok = False
    elif t == "URL_CREDENTIALS":
        b = text.encode()
        after = b[start + len(v.encode()):][:1]
        ok = ":" in v and after == b"@" and b[:start].endswith(b"//") and "@" not in v and "/" not in v
    elif t == "API_KEY":
        ok = api_key_ok(v, text, start)
    elif t == "SECRET":
        ok = bool(v) and not PLACEHOLDER.match(v) and v[0] not in "\"'" and v[-1] not in "\"'"
    elif t == "PRIVATE_KEY":
        ok = private_key_ok(v)
    elif t == "CRYPTO_WALLET":
        ok = wallet_ok(v)
    else:
        ok = len(v) >= 3
    if not ok:
        err(cid, f"{t} value fails its definition: {v[:80]!r}")


def check_negative(c):
    cid, text = c["id"], c["text"]
    if True:  # no hard negative may hold a valid card number
        for m in re.finditer(r"(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])", text):
            d = re.sub(r"\D", "", m.group())
            if luhn(d) and card_brand(d):
                err(cid, f"negative holds a valid card {m.group()}")
    if cid.startswith("neg-iban-checksum"):
        for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,8}\b", text):
            if iban_ok(m.group()):
                err(cid, f"negative holds a valid IBAN {m.group()}")
    if cid.startswith("neg-ssn-invalid"):
        for m in re.finditer(r"\b\d{3}-\d{2}-\d{4}\b", text):
            if ssn_ok(m.group()):
                err(cid, f"negative holds an issuable SSN {m.group()}")
    if cid.startswith("neg-phone-invalid") and phonenumbers:
        for m in re.finditer(r"\+\d[\d ()\-]{3,}\d", text):
            if not phone_invalid_everywhere(m.group()):
                err(cid, f"negative holds a valid phone number {m.group()}")
    if cid.startswith("neg-wallet"):
        for m in re.finditer(r"\b(bc1[a-z0-9]{20,}|[13][1-9A-HJ-NP-Za-km-z]{25,34}|0x[0-9a-fA-F]{40})\b", text):
            if wallet_ok(m.group()) and not re.search(r"0x[0-9a-fA-F]{41}", text[m.start():m.start() + 43]):
                err(cid, f"negative holds a valid wallet {m.group()}")


def load(name):
    out = []
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as e:
                err(f"{name}:{i}", f"not JSON: {e}")
    return out


def holdout_rule(text):
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % 5 == 0


def main():
    markdown = "--markdown" in sys.argv
    splits = {"tune": load("tune.jsonl"), "holdout": load("holdout.jsonl")}
    ids, texts = set(), set()
    ent_counts = collections.Counter()        # (type, split)
    case_counts = collections.Counter()       # (surrounding, split)
    pair_counts = collections.Counter()       # (type, surrounding)
    neg_counts = collections.Counter()
    for split, cases in splits.items():
        for c in cases:
            cid = c.get("id", "?")
            if set(c) != {"id", "surrounding", "text", "entities", "negative"}:
                err(cid, f"fields {sorted(c)}")
                continue
            if cid in ids:
                err(cid, "duplicate id")
            ids.add(cid)
            if c["text"] in texts:
                err(cid, "duplicate text")
            texts.add(c["text"])
            if c["surrounding"] not in SURR:
                err(cid, f"unknown surrounding {c['surrounding']}")
            if not cid.endswith("-" + c["surrounding"] + "-" + cid.rsplit("-", 1)[-1]):
                err(cid, "id does not name its surrounding")
            if holdout_rule(c["text"]) != (split == "holdout"):
                err(cid, "in the wrong split for the hash rule")
            case_counts[(c["surrounding"], split)] += 1
            if c["negative"]:
                neg_counts[split] += 1
                if c["entities"] or not cid.startswith("neg-"):
                    err(cid, "negative with entities or without a neg- id")
                check_negative(c)
                continue
            if not c["entities"] or cid.startswith("neg-"):
                err(cid, "positive without entities or with a neg- id")
            b = c["text"].encode()
            last = 0
            for e in c["entities"]:
                if set(e) != {"type", "start", "end", "value"} or e["type"] not in TYPES:
                    err(cid, f"bad entity {e}")
                    continue
                s, t = e["start"], e["end"]
                if not (0 <= s < t <= len(b)) or s < last:
                    err(cid, f"bad or overlapping offsets {s}..{t}")
                    continue
                last = t
                try:
                    got = b[s:t].decode()
                except UnicodeDecodeError:
                    err(cid, f"offsets {s}..{t} split a UTF-8 character")
                    continue
                if got != e["value"]:
                    err(cid, f"text[{s}:{t}] = {got!r} != value {e['value']!r}")
                if got != got.strip() or (got[:1] in "\"'`" and got[-1:] == got[:1]):
                    err(cid, f"span carries whitespace or quotes: {got[:40]!r}")
                check_value(cid, e["type"], e["value"], c["text"], s)
                ent_counts[(e["type"], split)] += 1
                pair_counts[(e["type"], c["surrounding"])] += 1
    total = sum(len(v) for v in splits.values())
    negs = sum(neg_counts.values())
    if total < 1500:
        err("corpus", f"only {total} cases")
    if negs < 400:
        err("corpus", f"only {negs} hard negatives")
    for t in TYPES:
        surrs = [s for s in SURR if pair_counts[(t, s)]]
        if len(surrs) < 5:
            err(t, f"appears in only {len(surrs)} surroundings")
        for sp in splits:
            if not ent_counts[(t, sp)]:
                err(t, f"absent from {sp}")
        if t in GATED and (ent_counts[(t, "tune")] < 80 or ent_counts[(t, "holdout")] < 20):
            err(t, f"gated type below 80 tune / 20 holdout: {ent_counts[(t, 'tune')]} / {ent_counts[(t, 'holdout')]}")
    for s in SURR:
        for sp in splits:
            if not case_counts[(s, sp)]:
                err(s, f"surrounding absent from {sp}")
    clean = os.path.join(HERE, "clean")
    size = sum(os.path.getsize(os.path.join(clean, f)) for f in os.listdir(clean)) if os.path.isdir(clean) else 0
    if size < 50_000:
        err("clean", f"only {size} bytes")

    # ---------- report ----------
    out = []
    out.append(f"cases: {total} (tune {len(splits['tune'])}, holdout {len(splits['holdout'])}); "
               f"hard negatives: {negs} (tune {neg_counts['tune']}, holdout {neg_counts['holdout']}); clean/: {size} bytes")
    out.append("")
    out.append("| type | tune | holdout | " + " | ".join(SURR) + " |")
    out.append("|---|---:|---:|" + "---:|" * len(SURR))
    for t in TYPES:
        out.append(f"| {t} | {ent_counts[(t, 'tune')]} | {ent_counts[(t, 'holdout')]} | " + " | ".join(str(pair_counts[(t, s)]) for s in SURR) + " |")
    out.append("")
    out.append("| surrounding | tune cases | holdout cases |")
    out.append("|---|---:|---:|")
    for s in SURR:
        out.append(f"| {s} | {case_counts[(s, 'tune')]} | {case_counts[(s, 'holdout')]} |")
    print("\n".join(out))
    if ERRORS:
        print(f"\n{len(ERRORS)} problem(s):", file=sys.stderr)
        for e in ERRORS[:200]:
            print("  " + e, file=sys.stderr)
        sys.exit(1)
    if not markdown:
        print("\nOK")


if __name__ == "__main__":
    main()
