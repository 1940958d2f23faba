#!/usr/bin/env python3
"""Generates sotto's labelled redaction corpus: tune.jsonl and holdout.jsonl.

Run from the repository root:  python3 tests/data/redact/make_corpus.py
Output is byte-identical on every run (one seeded RNG, no set iteration, no
clock).  phonenumbers (Google's libphonenumber metadata) must be installed:
every PHONE value is checked with phonenumbers.is_valid_number, and every
phone-like hard negative is checked to be invalid for every region.

Every case is written here, from the documented shapes of each provider's
tokens and the definitions in each standard (prefixes, lengths, alphabets,
checksums); random bodies come from the seeded RNG.  No other project's
fixtures are used.

Labelling decisions (see README.md for the full span rules):
  * Loopback, private, link-local, documentation and unspecified addresses
    (127.0.0.1, 10.x, 192.168.x, fe80::1%eth0, ::1, ::, 0.0.0.0) ARE labelled
    IP_ADDRESS: they still reveal a network layout, and sotto errs towards
    masking.  The span never includes brackets, a port or a /prefix length;
    it does include an IPv6 zone (%eth0).
  * MAC addresses, OIDs, 4-part version numbers and section numbers are not
    IP addresses (hard negatives).
  * A value with a provider's own shape is API_KEY wherever it stands (also
    after "password=" or "token:"); a value recognised only by the word next
    to it is SECRET.  The Twilio auth token (32 hex, recognised only by its
    context) and the AWS secret access key are therefore SECRET; the Twilio
    API key SID (SK + 32 hex) is API_KEY; the Twilio account SID (AC + 32
    hex) is an identifier and is not labelled.
  * "changeme", "admin", "123456" typed as a password value ARE secrets.
    Placeholders are not: <...>, ${VAR}, $VAR, {{ ... }}, %(x)s, YOUR_..._HERE,
    runs of x or *, one repeated character, "...", "…", REDACTED.
  * AKIAIOSFODNN7EXAMPLE (and the matching documented example secret) are
    positives: a user who types a key-shaped value means it.
  * Stripe publishable keys (pk_live_, pk_test_) are public by design:
    negatives.  Age recipients (age1...) and SSH/PGP public keys likewise.
  * Spans never overlap: a password inside user:password@host is covered by
    URL_CREDENTIALS only (those passwords are therefore never given a
    provider shape here); an IPv4 inside ::ffff:a.b.c.d is one IPv6 entity.
  * Client ids, tenant ids and request ids (UUIDs) are identifiers, not
    secrets, even next to the word "client".
"""
import hashlib
import json
import os
import random
import re
import string
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fmt  # noqa: E402

import phonenumbers  # noqa: E402
from phonenumbers import PhoneNumberFormat as PNF, PhoneNumberType as PNT  # noqa: E402

rng = random.Random(20250611)
R = rng.random
C = rng.choice


def chance(p):
    return rng.random() < p


# --------------------------------------------------------------------------
# Fragments with labelled spans (UTF-8 byte offsets)
# --------------------------------------------------------------------------
class E:
    """A labelled value."""
    __slots__ = ("type", "value")

    def __init__(self, typ, value):
        self.type, self.value = typ, value


class Frag:
    __slots__ = ("text", "ents")

    def __init__(self, text="", ents=None):
        self.text, self.ents = text, ents or []


class B:
    """Builds a Frag piece by piece."""

    def __init__(self):
        self.parts, self.ents, self.n = [], [], 0

    def t(self, s):
        self.parts.append(s)
        self.n += len(s.encode())
        return self

    def e(self, ent):
        if isinstance(ent, Frag):
            for x in ent.ents:
                self.ents.append(dict(x, start=x["start"] + self.n, end=x["end"] + self.n))
            return self.t(ent.text)
        if isinstance(ent, E):
            b = len(ent.value.encode())
            self.ents.append({"type": ent.type, "start": self.n, "end": self.n + b, "value": ent.value})
            return self.t(ent.value)
        return self.t(str(ent))

    def frag(self):
        return Frag("".join(self.parts), self.ents)


MARK = re.compile("\u27e6(\\w+)\u27e7")  # ⟦name⟧


def F(tpl, **kw):
    """Fills ⟦name⟧ slots; E and Frag values become labelled spans."""
    b, pos = B(), 0
    for m in MARK.finditer(tpl):
        b.t(tpl[pos:m.start()])
        b.e(kw[m.group(1)])
        pos = m.end()
    b.t(tpl[pos:])
    return b.frag()


def cat(*items):
    b = B()
    for it in items:
        b.e(it)
    return b.frag()


SURROUNDINGS = ["prose", "json", "yaml", "toml", "env", "shell", "log", "url", "code", "markdown"]
CASES = []
COUNTERS = {}
SEEN = set()


def add(prefix, surrounding, frag, negative=False):
    assert surrounding in SURROUNDINGS, surrounding
    if isinstance(frag, str):
        frag = Frag(frag)
    if frag.text in SEEN:
        return False
    if negative:
        assert not frag.ents, (prefix, frag.text)
    else:
        assert frag.ents, (prefix, frag.text)
    for x in frag.ents:
        assert x["value"] == x["value"].strip(), (prefix, x)
    key = (prefix, surrounding)
    COUNTERS[key] = COUNTERS.get(key, 0) + 1
    SEEN.add(frag.text)
    CASES.append({
        "id": f"{prefix}-{surrounding}-{COUNTERS[key]:04d}",
        "surrounding": surrounding,
        "text": frag.text,
        "entities": sorted(frag.ents, key=lambda x: x["start"]),
        "negative": negative,
    })
    return True


# --------------------------------------------------------------------------
# Vocabulary (invented people, streets and companies)
# --------------------------------------------------------------------------
FIRST = ("Anna Jonas Maria Lukas Sofia Mateo Emma Liam Olivia Noah Chloé Hugo Léa Giulia Marco Lucía Javier "
         "Sanne Daan Femke Lars Ingrid Sigrid Magnus Freja Mikkel Zofia Łukasz Katarzyna Piotr Aoife Cian Siobhán "
         "João Inês Tiago Priya Arjun Ananya Rahul Haruto Yui Sota Mei Wei Jia Thandiwe Sipho Lerato Kwame Ama "
         "Fatima Omar Yusuf Leila Dmitri Olena Andrii Zoë Søren Björn Åsa Jürgen Renée François Nguyễn Minh "
         "Kai Tama Aroha Mia Ethan Grace Connor Ava Diego Camila Valentina Mateus Bruna Rafael Chen Tomás").split()
LAST = ("Schmidt Müller Weber Rossi Bianchi Esposito García Fernández López Martin Bernard Dubois Jansen "
        "de Vries Bakker Andersson Johansson Lindqvist Hansen Nielsen Kowalski Nowak Wiśniewska Murphy O'Brien "
        "Kelly Silva Santos Ferreira Sharma Patel Iyer Reddy Tanaka Suzuki Takahashi Wang Li Zhang Nkosi Dlamini "
        "Mensah Okafor Haddad Khan Petrov Shevchenko Kovalenko Eriksen Virtanen Korhonen Novák Horváth Papadopoulos "
        "Yılmaz Çelik Brown Wilson Taylor Thompson Walker Ngata Parata Hernández Oliveira Costa Moreau Lefèvre "
        "Huber Gruber Meier Keller Brunner Svensson Berg Haugen Jovanović Ionescu").split()
LAST = [x.replace("de", "de Vries") if x == "de" else x for x in LAST if x != "Vries"]
MAIL_DOMAINS = ["example.com", "example.org", "example.net", "mail.example.co.uk", "gmail.com", "outlook.com",
                "yahoo.co.uk", "web.de", "gmx.at", "orange.fr", "libero.it", "proton.me", "icloud.com",
                "hotmail.es", "t-online.de", "acme-logistics.io", "nordwind.se", "brightpath.co.nz",
                "kawasaki-dental.jp", "fabrikam.com", "contoso.com", "uni-bonn.de", "student.tu-berlin.de",
                "ucl.ac.uk", "dept.uni-wien.ac.at", "ziggo.nl", "telenet.be", "bluewin.ch", "seznam.cz",
                "wp.pl", "eircom.net", "sapo.pt", "bigpond.com.au", "xtra.co.nz", "rediffmail.com",
                "yahoo.co.jp", "uol.com.br", "prodigy.net.mx", "mweb.co.za", "singnet.com.sg", "fastmail.fm",
                "hey.com", "pm.me", "posteo.de", "startup-hq.dev", "helpdesk.shopfront.store"]
ROLE_LOCALS = ["billing", "support", "accounts", "hr", "it-helpdesk", "noreply", "team", "info", "ops",
               "security", "payroll", "sales.emea", "dpo"]
COMPANIES = ["Acme Logistics", "Nordwind AB", "Brightpath Ltd", "Fabrikam", "Contoso", "Kestrel Foods",
             "Blue Harbour GmbH", "Pinecrest Dental", "Orbit Analytics", "Lumen & Co", "Halcyon Travel",
             "Tidewater Insurance", "Marrow Bakery", "Quillon Labs"]
PRODUCTS = ["sotto", "the desktop app", "the iOS app", "the android app", "the CLI", "the web dashboard",
            "the sync service", "the export tool", "the billing portal", "the API"]
HOSTS = ["db.internal.example.com", "pg-primary.prod.example.net", "mysql01.corp.example.org", "localhost",
         "cache.example.io", "mq.example.com", "ldap.corp.example.com", "ftp.example.org", "files.example.net",
         "smtp.mailhost.example", "rabbit.staging.example.com", "mongo-0.mongo.svc.cluster.local",
         "redis-master.default.svc", "broker.iot.example.com", "git.example.com", "registry.example.dev",
         "reports-db.eu-west-1.rds.amazonaws.com", "sql.example.co.uk", "backup.example.de"]
WORDS = ("apple river stone cloud violet copper lantern meadow orbit pepper quartz saddle timber velvet "
         "walnut yonder zebra anchor bramble cinder dapple ember fable glacier harbor island jasper kettle "
         "lilac marble nectar oyster pebble quiver rustic sable thistle umber vapor willow xenon yarrow zephyr "
         "horse battery staple correct purple monkey dishwasher tango falcon mango").split()


def ascii_fold(s):
    s = s.replace("ł", "l").replace("Ł", "L").replace("ø", "o").replace("Ø", "O").replace("ß", "ss")
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


def person():
    return C(FIRST), C(LAST)


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


DIG = string.digits
HEX = "0123456789abcdef"
UP = string.ascii_uppercase
LO = string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"
B64 = ALNUM + "+/"


# --------------------------------------------------------------------------
# Unlabelled filler that appears around values (and in negatives)
# --------------------------------------------------------------------------
def iso_ts():
    return (f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
            f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}" + C(["Z", ".%03dZ" % rng.randint(0, 999), "+01:00", "+00:00"]))


MON = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def log_prefix():
    lvl = C(["INFO", "WARN", "ERROR", "DEBUG", "info", "warn", "error", "W", "E", "I"])
    k = rng.randrange(6)
    h, m, s = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    d = rng.randint(1, 28)
    svc = C(["api", "worker", "auth", "billing", "sync", "gateway", "mailer", "scheduler", "web"])
    if k == 0:
        return f"{iso_ts()} {lvl} {svc}: "
    if k == 1:
        return f"[{2024 if chance(.7) else 2025}-{rng.randint(1, 12):02d}-{d:02d} {h:02d}:{m:02d}:{s:02d},{rng.randint(0, 999):03d}] {lvl} [{svc}] "
    if k == 2:
        return f"{C(MON)} {d:2d} {h:02d}:{m:02d}:{s:02d} {C(['web-1', 'app02', 'ip-internal', 'node-7'])} {svc}[{rng.randint(100, 65000)}]: "
    if k == 3:
        return f"{h:02d}:{m:02d}:{s:02d}.{rng.randint(0, 999):03d} {lvl.upper():5s} {svc} - "
    if k == 4:
        return f'level={lvl.lower()} ts={iso_ts()} caller={svc}/{C(["handler", "client", "store"])}.go:{rng.randint(10, 900)} '
    return f"{lvl.upper()[0]}{rng.randint(1, 12):02d}{d:02d} {h:02d}:{m:02d}:{s:02d}.{rng.randint(0, 999999):06d} {rng.randint(1, 99999)} {svc}.rs:{rng.randint(10, 500)}] "


def order_no():
    return C([f"#{rng.randint(100000, 9999999)}", f"ORD-{rng.randint(10000, 999999)}",
              f"{C(UP)}{C(UP)}-{rng.randint(2023, 2025)}-{rng.randint(1000, 99999):05d}"])


def ticket_no():
    return C([f"INC{rng.randint(100000, 9999999):07d}", f"#{rng.randint(1000, 99999)}",
              f"SUP-{rng.randint(100, 9999)}", f"CS-{rng.randint(10000, 99999)}"])


def version():
    return C([f"{rng.randint(0, 5)}.{rng.randint(0, 30)}.{rng.randint(0, 12)}",
              f"v{rng.randint(1, 4)}.{rng.randint(0, 12)}.{rng.randint(0, 9)}",
              f"{rng.randint(1, 3)}.{rng.randint(0, 9)}.{rng.randint(0, 20)}-rc.{rng.randint(1, 5)}"])


def uuid4():
    h = rand(HEX, 32)
    h = h[:12] + "4" + h[13:16] + C("89ab") + h[17:]
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def sha(n=40):
    return rand(HEX, n)


def money():
    return C([f"${rng.randint(1, 999)}.{rng.randint(0, 99):02d}", f"€{rng.randint(1, 2000)},{rng.randint(0, 99):02d}",
              f"£{rng.randint(1, 500)}.{C(['00', '99', '50'])}", f"{rng.randint(5, 300)} EUR", f"USD {rng.randint(10, 5000)}.00"])


def chatty_pre():
    return C(["", "", "", "hi, ", "Hi! ", "hey, ", "Hello,\n", "ok so ", "quick question: ", "sorry to bother again - ",
              "Hi support team, ", "morning, ", "so ", "Good afternoon. ", "hiya ", "Hallo, ", "um "])


def chatty_post():
    return C(["", "", "", " thanks", " thx!", " Cheers.", " :(", " asap pls", "\n\nthanks in advance", " ty",
              " Kind regards.", " 🙏", " lmk", " (sorry for the long message)", "!!"])


def prose(tpl, **kw):
    """A prose template with a chatty wrapper; sometimes all lower case."""
    pre = chatty_pre()
    if chance(0.25) or (pre and pre[-1] == " " and pre[-2] not in ".!:"):
        tpl = tpl[0].lower() + tpl[1:]
    return F(pre + tpl + chatty_post(), **kw)


# --------------------------------------------------------------------------
# Field names and structured renderers
# --------------------------------------------------------------------------
def style(words, how):
    w = words.split()
    if how == "snake":
        return "_".join(w)
    if how == "camel":
        return w[0] + "".join(x.capitalize() for x in w[1:])
    if how == "upper":
        return "_".join(w).upper()
    if how == "kebab":
        return "-".join(w)
    if how == "pascal":
        return "".join(x.capitalize() for x in w)
    return words


def jstr(s):
    return json.dumps(s, ensure_ascii=False)


def _plain(v):
    """A JSON/TOML literal for an unlabelled filler value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return jstr(v)


def filler_fields():
    pool = [("id", rng.randint(1000, 99999)), ("created at", iso_ts()), ("status", C(["active", "pending", "ok", "failed"])),
            ("region", C(["eu-west-1", "us-east-2", "ap-southeast-1"])), ("retries", rng.randint(0, 5)),
            ("enabled", chance(.5)), ("plan", C(["free", "pro", "team", "enterprise"])), ("locale", C(["en-GB", "de-DE", "fr-FR", "ja-JP"])),
            ("request id", uuid4()), ("timeout ms", C([500, 1000, 3000, 30000])), ("version", version()), ("name", C(["staging", "prod", "dev", "eu-cluster"]))]
    rng.shuffle(pool)
    return pool[:rng.randint(0, 3)]


def val_quoted_ok(v):
    return '"' not in v and "\\" not in v


def kv_json(field, val, quote=True, extras=None, wrap=None):
    """{"field": "value"} with optional filler; val is E or Frag or str."""
    extras = filler_fields() if extras is None else extras
    how = C(["snake", "camel", "snake", "kebab"])
    key = style(field, how)
    pretty = chance(0.6)
    pairs = [(style(k, how), v) for k, v in extras]
    at = rng.randint(0, len(pairs))
    b = B()
    items = []
    for i in range(len(pairs) + 1):
        if i == at:
            items.append(None)
        if i < len(pairs):
            items.append(pairs[i])
    nest = wrap or (C(["user", "config", "data", "credentials", "customer", "payload", "settings"]) if chance(0.3) else None)
    ind = "  " if pretty else ""
    if nest:
        b.t("{" + ("\n  " if pretty else "") + jstr(nest) + ": ")
        ind = "    " if pretty else ""
    b.t("{")
    for j, it in enumerate(items):
        b.t(("\n" + ind) if pretty else ("" if j == 0 else " "))
        if it is None:
            b.t(jstr(key) + ": ")
            if quote:
                b.t('"').e(val).t('"')
            else:
                b.e(val)
        else:
            b.t(jstr(it[0]) + ": " + _plain(it[1]))
        if j < len(items) - 1:
            b.t(",")
    if pretty:
        b.t("\n" + ind[:-2] if nest else "\n")
    b.t("}")
    if nest:
        b.t(("\n" if pretty else "") + "}")
    return b.frag()


def kv_yaml(field, val, quote=None, extras=None):
    extras = filler_fields() if extras is None else extras
    how = C(["snake", "snake", "camel", "kebab"])
    b = B()
    ind = ""
    if chance(0.5):
        sect = C(["database", "auth", "smtp", "service", "billing", "contact", "integrations", "app", "spring", "env"])
        b.t(f"{sect}:\n")
        ind = "  "
    lines = [(style(k, how), _plain(v) if not isinstance(v, str) else (v if re.match(r"^[\w.\-]+$", v) else jstr(v))) for k, v in extras]
    at = rng.randint(0, len(lines))
    for i in range(len(lines) + 1):
        if i == at:
            q = quote if quote is not None else chance(0.35)
            qc = C(['"', "'"]) if q else ""
            b.t(f"{ind}{style(field, how)}: {qc}").e(val).t(f"{qc}\n")
        if i < len(lines):
            b.t(f"{ind}{lines[i][0]}: {lines[i][1]}\n")
    return b.frag()


def kv_toml(field, val, extras=None, quote=True):
    extras = filler_fields() if extras is None else extras
    b = B()
    if chance(0.7):
        b.t(f"[{C(['database', 'auth', 'smtp', 'server', 'billing', 'contact', 'backend', 'profile', 'tool.deploy', 'secrets'])}]\n")
    lines = [(style(k, "snake"), _plain(v)) for k, v in extras]
    at = rng.randint(0, len(lines))
    for i in range(len(lines) + 1):
        if i == at:
            if quote:
                qc = C(['"', '"', "'"])
                b.t(f"{style(field, 'snake')} = {qc}").e(val).t(f"{qc}\n")
            else:
                b.t(f"{style(field, 'snake')} = ").e(val).t("\n")
        if i < len(lines):
            b.t(f"{lines[i][0]} = {lines[i][1]}\n")
    return b.frag()


def env_filler():
    pool = [f"NODE_ENV={C(['production', 'development', 'staging'])}", f"PORT={C([3000, 8080, 5000, 8000])}",
            f"LOG_LEVEL={C(['info', 'debug', 'warn'])}", f"APP_NAME={C(['sotto-api', 'billing', 'webshop', 'reports'])}",
            f"FEATURE_SYNC={C(['true', 'false', '1', '0'])}", f"TZ={C(['UTC', 'Europe/Berlin', 'America/New_York'])}",
            f"CACHE_TTL={C([60, 300, 3600])}", "# local overrides", f"WORKERS={rng.randint(1, 16)}", "DEBUG=false"]
    rng.shuffle(pool)
    return pool[:rng.randint(0, 3)]


def kv_env(field, val, quote=None, extras=None):
    extras = env_filler() if extras is None else extras
    b = B()
    at = rng.randint(0, len(extras))
    for i in range(len(extras) + 1):
        if i == at:
            q = quote if quote is not None else chance(0.3)
            qc = C(['"', "'"]) if q else ""
            exp = "export " if chance(0.15) else ""
            b.t(f"{exp}{style(field, 'upper')}={qc}").e(val).t(f"{qc}\n")
        if i < len(extras):
            b.t(extras[i] + "\n")
    return b.frag()


def kv_code(field, val, lang=None):
    lang = lang or C(["python", "js", "ts", "rust", "go", "java", "python", "js"])
    q = '"'
    if lang == "python":
        name = style(field, C(["snake", "upper"]))
        tpl = C([f"{name} = {q}⟦v⟧{q}\n", f"client = Client({style(field, 'snake')}={q}⟦v⟧{q})\n",
                 f"config[{q}{style(field, 'snake')}{q}] = '⟦v⟧'\n", f"    {name} = \"⟦v⟧\"  # TODO move to vault\n",
                 f"settings = {{\n    \"{style(field, 'snake')}\": \"⟦v⟧\",\n    \"debug\": False,\n}}\n"])
    elif lang in ("js", "ts"):
        name = style(field, "camel")
        tpl = C([f"const {name} = '⟦v⟧';\n", f"const {name} = \"⟦v⟧\";\n", f"export const config = {{ {name}: \"⟦v⟧\", retries: 3 }};\n",
                 f"process.env.{style(field, 'upper')} = '⟦v⟧';\n", f"let {name}{': string' if lang == 'ts' else ''} = `⟦v⟧`;\n",
                 f"await client.connect({{\n  {name}: '⟦v⟧',\n  timeout: 5000,\n}});\n"])
    elif lang == "rust":
        tpl = C([f"let {style(field, 'snake')} = \"⟦v⟧\";\n", f"const {style(field, 'upper')}: &str = \"⟦v⟧\";\n",
                 f"    .{style(field, 'snake')}(\"⟦v⟧\")\n", f"let cfg = Config {{ {style(field, 'snake')}: \"⟦v⟧\".into(), ..Default::default() }};\n",
                 f"assert_eq!(parse(input).{style(field, 'snake')}, \"⟦v⟧\");\n"])
    elif lang == "go":
        tpl = C([f"{style(field, 'camel')} := \"⟦v⟧\"\n", f"const {style(field, 'pascal')} = \"⟦v⟧\"\n",
                 f"cfg := Config{{{style(field, 'pascal')}: \"⟦v⟧\", Timeout: 5 * time.Second}}\n",
                 f"os.Setenv(\"{style(field, 'upper')}\", \"⟦v⟧\")\n"])
    else:
        tpl = C([f"private static final String {style(field, 'upper')} = \"⟦v⟧\";\n", f"String {style(field, 'camel')} = \"⟦v⟧\";\n",
                 f"props.setProperty(\"{style(field, 'camel')}\", \"⟦v⟧\");\n", f"builder.{style(field, 'camel')}(\"⟦v⟧\").build();\n"])
    return F(tpl, v=val), lang


FENCE_LANG = {"python": "python", "js": "js", "ts": "typescript", "rust": "rust", "go": "go", "java": "java"}


def md_wrap(inner, lang=""):
    intro = C(["", "", "Here's my config:\n\n", "Repro:\n\n", "### Steps\n\n", "relevant part of the file:\n\n",
               "**Update:** this is what we have in prod\n\n", "> pasted from the wiki\n\n", "Config used:\n"])
    outro = C(["", "", "\n\nAny idea what's wrong?", "\n\nthis used to work on the old version", "\n\n- [ ] rotate later",
               "\n\n_edit: fixed formatting_"])
    return cat(intro + f"```{lang}\n", inner, "```" + outro)


def md_table(cols, row_vals, extra_rows=0, filler=None):
    """A Markdown table; row_vals is a list of E/str for the labelled row."""
    b = B()
    b.t("| " + " | ".join(cols) + " |\n")
    b.t("|" + "|".join(C(["---", "-----", ":---", "---:"]) for _ in cols) + "|\n")
    rows = [None] + [filler() for _ in range(extra_rows)] if filler else [None]
    rng.shuffle(rows)
    for r in rows:
        vals = row_vals if r is None else r
        b.t("| ")
        for i, v in enumerate(vals):
            b.e(v)
            b.t(" | " if i < len(vals) - 1 else " |\n")
    return b.frag()


# --------------------------------------------------------------------------
# Values: EMAIL
# --------------------------------------------------------------------------
def email_value(first=None, last=None):
    if first is None:
        first, last = person()
    f, l = ascii_fold(first).lower(), ascii_fold(last).lower().replace("'", "").replace(" ", "")
    k = rng.randrange(12)
    local = [f"{f}.{l}", f"{f[0]}{l}", f"{f}_{l}", f"{f}{l}{rng.randint(1, 99)}", f"{f}+{C(['shop', 'news', 'sotto', 'work'])}",
             f"{l}.{f}", f"{f}-{l}", f"{f}.{l}{rng.randint(70, 99)}", f"{f[0]}.{l}", C(ROLE_LOCALS), f"{f}", f"{l}{f[0]}"][k]
    dom = C(MAIL_DOMAINS)
    v = f"{local}@{dom}"
    if chance(0.06):
        v = v.capitalize() if chance(.5) else v.upper()
    return v


# --------------------------------------------------------------------------
# Values: PHONE (validated with libphonenumber)
# --------------------------------------------------------------------------
PHONE_REGIONS = ["US", "CA", "GB", "DE", "FR", "IT", "ES", "NL", "BE", "CH", "AT", "SE", "NO", "DK", "PL", "IE", "PT",
                 "AU", "NZ", "IN", "JP", "BR", "MX", "ZA", "SG", "FI"]


def phone_number(region, kind):
    ex = phonenumbers.example_number_for_type(region, kind)
    e164 = phonenumbers.format_number(ex, PNF.E164)
    cc = str(ex.country_code)
    nat = e164[1 + len(cc):]
    keep = min(3, len(nat) - 4)
    for _ in range(500):
        cand = "+" + cc + nat[:keep] + rand(DIG, len(nat) - keep)
        n = phonenumbers.parse(cand, None)
        if phonenumbers.is_valid_number(n) and phonenumbers.number_type(n) in (kind, PNT.FIXED_LINE_OR_MOBILE):
            return n
    raise AssertionError(region)


def _same(written, region, n, ext=None):
    try:
        p = phonenumbers.parse(written, region)
    except phonenumbers.NumberParseException:
        return False
    return (phonenumbers.is_valid_number(p) and p.national_number == n.national_number
            and p.country_code == n.country_code and (p.extension or None) == ext)


def phone_written(region, style_=None, ext=None, kind=None):
    """Returns (written form, style name)."""
    for _ in range(50):
        n = phone_number(region, kind or C([PNT.MOBILE, PNT.FIXED_LINE]))
        intl = phonenumbers.format_number(n, PNF.INTERNATIONAL)
        nat = phonenumbers.format_number(n, PNF.NATIONAL)
        e164 = phonenumbers.format_number(n, PNF.E164)
        cc = str(n.country_code)
        forms = {"intl": intl, "e164": e164, "national": nat,
                 "rfc": phonenumbers.format_number(n, PNF.RFC3966)[4:]}
        if cc != "1":
            forms["idd"] = "00" + cc + " " + intl.split(" ", 1)[1]
            if region in ("FR", "BE", "CH", "IT", "ES", "JP") and "(" not in nat:
                forms["dots"] = nat.replace(" ", ".").replace("-", ".")
            if region in ("GB", "DE", "AT", "CH", "NL", "BE", "IE", "AU", "NZ", "ZA") and nat.startswith("0"):
                forms["trunk0"] = f"+{cc} (0){nat[1:]}"
        else:
            d = str(n.national_number)
            forms["dots"] = f"{d[:3]}.{d[3:6]}.{d[6:]}"
            forms["dashes"] = f"{d[:3]}-{d[3:6]}-{d[6:]}"
            forms["paren_intl"] = f"+1 ({d[:3]}) {d[3:6]}-{d[6:]}"
            forms["one_dash"] = f"1-{d[:3]}-{d[3:6]}-{d[6:]}"
        forms["compact"] = nat.replace(" ", "").replace("-", "").replace("(", "").replace(")", "")
        s = style_ if style_ in forms else C(sorted(forms))
        written = forms[s]
        if ext:
            written += C([f" ext. {ext}", f" x{ext}", f" #{ext}", f" ext {ext}", f" Ext. {ext}", f" x {ext}"])
        if _same(written, region, n, ext):
            return written, s
    raise AssertionError(region)


# --------------------------------------------------------------------------
# Values: CREDIT_CARD
# --------------------------------------------------------------------------
def card_prefix_len(brand):
    if brand == "visa":
        return "4", C([16, 16, 16, 16, 13, 19])
    if brand == "mastercard":
        return (str(rng.randint(51, 55)) if chance(.6) else str(rng.randint(2221, 2720))), 16
    if brand == "amex":
        return C(["34", "37"]), 15
    if brand == "discover":
        return C(["6011", "65", str(rng.randint(644, 649))]), C([16, 16, 16, 19])
    if brand == "diners":
        return C(["36", "38", str(rng.randint(300, 305))]), 14
    if brand == "jcb":
        return str(rng.randint(3528, 3589)), C([16, 16, 16, 17, 18, 19])
    if brand == "unionpay":
        return "62" + str(rng.randint(0, 9)), C([16, 16, 17, 18, 19])
    if brand == "maestro":
        return C(["5018", "5020", "5038", "5893", "6304", "6759", "6761", "6762", "6763"]), C([12, 13, 15, 16, 16, 18, 19])
    raise KeyError(brand)


CARD_BRANDS = ["visa", "mastercard", "amex", "discover", "diners", "jcb", "unionpay", "maestro"]


def card_digits(brand):
    p, n = card_prefix_len(brand)
    return fmt.luhn_complete(p + rand(DIG, n - len(p) - 1))


def card_group(d, sep=None, brand=None):
    if sep is None:
        sep = C(["", " ", " ", "-", " ", "."] if len(d) == 16 else ["", " ", "-"])
    if sep == "":
        return d
    n = len(d)
    if n == 15 and brand == "amex":
        sizes = [4, 6, 5]
    elif n == 14:
        sizes = [4, 6, 4]
    elif n == 13:
        sizes = [4, 4, 5]
    elif n == 19:
        sizes = [4, 4, 4, 4, 3] if chance(.7) else [6, 13]
    else:
        sizes = [4] * (n // 4) + ([n % 4] if n % 4 else [])
    out, at = [], 0
    for s in sizes:
        out.append(d[at:at + s])
        at += s
    return sep.join(out)


def card_value(brand=None, sep=None):
    brand = brand or C(CARD_BRANDS)
    d = card_digits(brand)
    return card_group(d, sep, brand), brand


# --------------------------------------------------------------------------
# Values: IBAN (ISO 13616 country formats; mod-97; some national checks)
# --------------------------------------------------------------------------
IBAN_SPEC = {
    "AD": "4n4n12c", "AT": "5n11n", "BE": "3n7n2n", "BG": "4a4n2n8c", "CH": "5n12c", "CY": "3n5n16c",
    "CZ": "4n6n10n", "DE": "8n10n", "DK": "4n9n1n", "EE": "2n2n11n1n", "ES": "4n4n1n1n10n", "FI": "3n11n",
    "FR": "5n5n11c2n", "GB": "4a6n8n", "GR": "3n4n16c", "HR": "7n10n", "HU": "3n4n1n15n1n", "IE": "4a6n8n",
    "IS": "4n2n6n10n", "IT": "1a5n5n12c", "LI": "5n12c", "LT": "5n11n", "LU": "3n13c", "LV": "4a13c",
    "MT": "4a5n18c", "NL": "4a10n", "NO": "4n6n1n", "PL": "8n16n", "PT": "4n4n11n2n", "RO": "4a16c",
    "SE": "3n16n1n", "SI": "5n8n2n", "SK": "4n6n10n", "SA": "2n18c", "AE": "3n16n", "TR": "5n1n16c",
    "BR": "8n5n10n1a1c",
}
IBAN_LEN = {"AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
            "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27,
            "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24,
            "SE": 24, "SI": 19, "SK": 24, "SA": 24, "AE": 23, "TR": 26, "BR": 29}
BANK_CODES = {"GB": ["NWBK", "BARC", "LOYD", "MIDL", "HBUK", "NAIA", "MONZ", "SRLG"], "IE": ["AIBK", "BOFI", "IPBS", "ULSB"],
              "NL": ["ABNA", "INGB", "RABO", "TRIO", "SNSB", "KNAB", "BUNQ", "ASNB"], "LV": ["HABA", "UNLA", "PARX"],
              "RO": ["BTRL", "RNCB", "BRDE", "INGB"], "MT": ["MALT", "VALL", "APSB"], "BG": ["BNBG", "UNCR", "STSA"]}


def _fill(spec):
    out = ""
    for count, kind in re.findall(r"(\d+)([nac])", spec):
        count = int(count)
        if kind == "n":
            out += rand(DIG, count)
        elif kind == "a":
            out += rand(UP, count)
        else:
            out += rand(DIG, count) if chance(.75) else rand(UP + DIG, count)
    return out


def _es_check(digits, weights=(1, 2, 4, 8, 5, 10, 9, 7, 3, 6)):
    d = 11 - sum(int(c) * w for c, w in zip(digits, weights)) % 11
    return {10: 1, 11: 0}.get(d, d)


def iban_value(country=None):
    country = country or C(sorted(IBAN_SPEC))
    for _ in range(100):
        bban = _fill(IBAN_SPEC[country])
        if country in BANK_CODES:
            bban = C(BANK_CODES[country]) + bban[4:]
        if country == "BE":
            first = bban[:10]
            bban = first + f"{(int(first) % 97) or 97:02d}"
        elif country == "FR":
            bban = bban[:10] + rand(DIG, 11)
            key = 97 - (89 * int(bban[:5]) + 15 * int(bban[5:10]) + 3 * int(bban[10:21])) % 97
            bban = bban[:21] + f"{key:02d}"
        elif country == "ES":
            bank, branch, acct = bban[:4], bban[4:8], bban[10:]
            bban = bank + branch + str(_es_check("00" + bank + branch)) + str(_es_check(acct)) + acct
        elif country == "NO":
            w = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
            c = 11 - sum(int(x) * y for x, y in zip(bban[:10], w)) % 11
            if c == 10:
                continue
            bban = bban[:10] + str(0 if c == 11 else c)
        elif country == "TR":
            bban = bban[:5] + "0" + bban[6:]
        iban = fmt.iban_make(country, bban)
        assert len(iban) == IBAN_LEN[country] and fmt.iban_mod97(iban) == 1
        return iban
    raise AssertionError(country)


def iban_print(iban, form=None):
    form = form or C(["print", "print", "electronic", "print_lower", "electronic_lower"])
    s = " ".join(fmt.wrap(iban, 4)) if form.startswith("print") else iban
    return (s.lower() if form.endswith("lower") else s), form


# --------------------------------------------------------------------------
# Values: US_SSN
# --------------------------------------------------------------------------
def ssn_parts(valid=True):
    if valid:
        area = rng.randint(1, 899)
        while area == 666:
            area = rng.randint(1, 899)
        return f"{area:03d}", f"{rng.randint(1, 99):02d}", f"{rng.randint(1, 9999):04d}"
    k = rng.randrange(5)
    area = [0, 666, rng.randint(900, 999), rng.randint(1, 665), rng.randint(1, 665)][k]
    group = 0 if k == 3 else rng.randint(1, 99)
    serial = 0 if k == 4 else rng.randint(1, 9999)
    return f"{area:03d}", f"{group:02d}", f"{serial:04d}"


def ssn_join(p, sep):
    return sep.join(p)


# --------------------------------------------------------------------------
# Values: IP_ADDRESS
# --------------------------------------------------------------------------
import ipaddress  # noqa: E402


def ipv4(kind=None):
    kind = kind or C(["public", "public", "private10", "private172", "private192", "loopback", "doc", "cgnat", "linklocal"])
    if kind == "public":
        while True:
            a = rng.randint(1, 223)
            if a not in (10, 100, 127, 169, 172, 192, 198, 203, 0):
                return f"{a}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    return {
        "private10": lambda: f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "private172": lambda: f"172.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "private192": lambda: f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "loopback": lambda: C(["127.0.0.1", "127.0.0.1", f"127.0.{rng.randint(0, 1)}.{rng.randint(1, 9)}"]),
        "doc": lambda: f"{C(['192.0.2', '198.51.100', '203.0.113'])}.{rng.randint(1, 254)}",
        "cgnat": lambda: f"100.{rng.randint(64, 127)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "linklocal": lambda: f"169.254.{rng.randint(1, 254)}.{rng.randint(1, 254)}",
        "unspecified": lambda: "0.0.0.0",
    }[kind]()


def ipv6(kind=None):
    kind = kind or C(["compressed", "compressed", "compressed", "full", "loopback", "mapped", "zone", "upper", "global", "global", "ula"])
    if kind == "loopback":
        return "::1"
    if kind == "unspecified":
        return "::"
    if kind == "mapped":
        return "::ffff:" + ipv4(C(["doc", "private192", "public", "private10"]))
    if kind == "zone":
        return f"fe80::{rand(HEX, rng.randint(1, 4)).lstrip('0') or '1'}" + (f":{rand(HEX, 4)}:{rand(HEX, 4)}:{rand(HEX, 3)}" if chance(.5) else "") + "%" + C(["eth0", "en0", "wlan0", "ens3", "12", "lo0", "enp0s31f6"])
    prefix = {"compressed": C(["2001:db8", "2001:0db8", "2a02:8108", "2600:1f18", "2406:da14"]), "full": "2001:0db8",
              "upper": "2001:DB8", "global": C(["2a01:4f8", "2a00:1450", "2606:4700", "2604:a880", "2001:4860"]),
              "ula": "fd" + rand(HEX, 2)}[kind]
    groups = [rand(HEX, 4) for _ in range(8 - len(prefix.split(":")))]
    addr = ipaddress.IPv6Address(prefix.lower() + ":" + ":".join(groups))
    if kind == "full":
        return addr.exploded
    if kind in ("compressed", "global", "ula"):
        if chance(.6):
            g = addr.exploded.split(":")
            cut = rng.randint(2, 5)
            g = g[:cut] + ["0000"] * rng.randint(2, 8 - cut - 1) + g[cut:]
            g = g[:8]
            addr = ipaddress.IPv6Address(":".join(g))
        return addr.compressed
    return addr.compressed.upper()


def ip_value(v6=None):
    if v6 is None:
        v6 = chance(0.4)
    return ipv6() if v6 else ipv4()


# --------------------------------------------------------------------------
# Values: URL_CREDENTIALS
# --------------------------------------------------------------------------
USERS = ["admin", "app", "postgres", "root", "deploy", "svc_reporting", "jenkins", "alice", "guest", "backup",
         "etl_user", "grafana", "readonly", "ci-bot", "dev", "mqtt-device-17", "webapp", "sa", "ftpuser", "bob.smith"]


def url_password():
    k = rng.randrange(9)
    if k == 0:
        return C(WORDS).capitalize() + str(rng.randint(1, 999)) + C("!#$*")
    if k == 1:
        return rand(ALNUM, rng.randint(10, 24))
    if k == 2:
        return rand(ALNUM, 5) + C(["%40", "%2F", "%23", "%3F", "%25"]) + rand(ALNUM, 6)
    if k == 3:
        return rand(ALNUM, 4) + ":" + rand(ALNUM, 6)
    if k == 4:
        return C(["changeme", "secret", "hunter2", "admin123", "P@ssw0rd", "letmein", "qwerty"])
    if k == 5:
        return rand(LO + DIG, 16)
    if k == 6:
        return C(WORDS) + "-" + C(WORDS) + "-" + str(rng.randint(10, 99))
    if k == 7:
        return rand(ALNUM, 3) + "%21" + rand(ALNUM, 4) + "%2F" + rand(DIG, 3)
    return rand(HEX, 32)


# --------------------------------------------------------------------------
# Values: SECRET (context-only values)
# --------------------------------------------------------------------------
SHORT_PW = ["1234", "hunter2", "letmein", "changeme", "qwerty123", "admin", "Pa55word", "123456", "password1",
            "summer2024", "Winter!23", "abc123", "0000", "trustno1", "dragon", "iloveyou", "Kx9!", "pw", "m0nkey",
            "Welcome1", "test123", "root", "s3cr3t", "P@ssw0rd!"]


def secret_value(kind=None, spaces_ok=False):
    kind = kind or C(["short", "short", "mixed", "mixed", "hex", "b64", "words", "uuid", "alnum", "pin"])
    if kind == "short":
        return C(SHORT_PW) if chance(.6) else C(WORDS) + str(rng.randint(1, 9999))
    if kind == "mixed":
        chars = ALNUM + "!#$%&*+-=?@^_~."
        v = rand(chars, rng.randint(8, 22))
        return rand(ALNUM, 1) + v + rand(ALNUM, 1)
    if kind == "hex":
        return rand(HEX, C([32, 40, 64]))
    if kind == "b64":
        return rand(B64, C([22, 32, 43])) + C(["", "=", ""])
    if kind == "words":
        sep = C(["-", ".", "_"] + ([" "] if spaces_ok else []))
        return sep.join(C(WORDS) for _ in range(rng.randint(3, 5)))
    if kind == "uuid":
        return uuid4()
    if kind == "alnum":
        return rand(ALNUM, rng.randint(12, 40))
    if kind == "pin":
        return rand(DIG, C([4, 6]))
    if kind == "aws":
        return rand(ALNUM + "/+", 40)
    raise KeyError(kind)


# --------------------------------------------------------------------------
# Values: API_KEY (documented provider shapes)
# --------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def base62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def k_github(sub=None):
    sub = sub or C(["ghp", "ghp", "gho", "ghu", "ghs", "ghr", "github_pat"])
    if sub == "github_pat":
        return "github_pat_" + rand(ALNUM, 22) + "_" + rand(ALNUM, 59)
    body = rand(ALNUM, 30)
    # 30 random base62 characters and a 6-character CRC32 tail: 40 in all.
    return f"{sub}_{body}{base62(fmt.crc32(body.encode()), 6)}"


GITLAB = ["glpat", "glpat", "gldt", "glrt", "glrtr", "GR1348941", "glcbt", "glft", "glptt", "glimt", "glagent", "gloas",
          "glsoat", "glffct"]


def k_gitlab(sub=None):
    sub = sub or C(GITLAB)
    if sub == "GR1348941":
        return "GR1348941" + rand(B64URL[:-2] + "_-", 20)
    if sub == "glptt":
        return "glptt-" + rand(HEX, 40)
    if sub == "gloas":
        return "gloas-" + rand(HEX, 64)
    if sub == "glagent":
        return "glagent-" + rand(B64URL, 50)
    if sub == "glcbt":
        return "glcbt-" + (f"{rng.randint(1, 99)}_" if chance(.5) else "") + rand(B64URL, 20)
    n = 20 if chance(.7) else rng.randint(21, 27)
    return f"{sub}-" + rand(B64URL, n)


def k_slack(sub=None):
    sub = sub or C(["xoxb", "xoxb", "xoxp", "xoxa", "xoxr", "xoxe.xoxp", "xapp", "webhook", "webhook"])
    num = lambda: str(rng.randint(10 ** 9, 10 ** 12))  # noqa: E731
    if sub == "xoxb":
        return f"xoxb-{num()}-{num()}-{rand(ALNUM, 24)}"
    if sub == "xoxp":
        return f"xoxp-{num()}-{num()}-{num()}-{rand(HEX, 32)}"
    if sub == "xoxa":
        return f"xoxa-2-{num()}-{num()}-{num()}-{rand(HEX, 64)}"
    if sub == "xoxr":
        return f"xoxr-{num()}-{rand(ALNUM, 24)}"
    if sub == "xoxe.xoxp":
        return f"xoxe.xoxp-1-{rand(ALNUM, 150)}"
    if sub == "xapp":
        return f"xapp-1-A{rand(UP + DIG, 10)}-{rng.randint(10 ** 12, 10 ** 13 - 1)}-{rand(HEX, 64)}"
    return f"https://hooks.slack.com/services/T{rand(UP + DIG, C([8, 9, 10]))}/B{rand(UP + DIG, C([8, 9, 10]))}/{rand(ALNUM, 24)}"


def k_stripe(sub=None):
    sub = sub or C(["sk_live", "sk_test", "rk_live", "rk_test"])
    body = rand(ALNUM, 24) if chance(.4) else "51" + rand(ALNUM, 97)
    return f"{sub}_{body}"


def k_openai(sub=None):
    sub = sub or C(["legacy", "proj", "proj", "svcacct", "admin"])
    if sub == "legacy":
        return "sk-" + rand(ALNUM, 20) + "T3BlbkFJ" + rand(ALNUM, 20)
    n = rng.randint(60, 80)
    return f"sk-{sub}-" + rand(B64URL, n) + "T3BlbkFJ" + rand(B64URL, n)


def k_anthropic(sub=None):
    sub = sub or C(["api03", "api03", "admin01"])
    return f"sk-ant-{sub}-" + rand(B64URL, 93) + "AA"


def k_google(sub=None):
    sub = sub or C(["aiza", "aiza", "aiza", "gocspx", "ya29"])
    if sub == "aiza":
        return "AIza" + rand(B64URL, 35)
    if sub == "gocspx":
        return "GOCSPX-" + rand(B64URL, 28)
    return "ya29." + rand(B64URL, rng.randint(100, 180))


def k_aws(sub=None):
    sub = sub or C(["AKIA", "AKIA", "AKIA", "ASIA", "ABIA", "ACCA", "example"])
    if sub == "example":
        return "AKIAIOSFODNN7EXAMPLE"
    return sub + rand(UP + "234567", 16)


def k_azure(sub=None):
    sub = sub or C(["storage", "sas", "entra"])
    if sub == "storage":
        return fmt.b64(rng.randbytes(64))
    if sub == "sas":
        return fmt.b64(rng.randbytes(32)).replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    return rand(ALNUM + "_~.", 3) + C("78") + "Q~" + rand(ALNUM + "_~.-", 34)


def k_hf(sub=None):
    sub = sub or C(["hf", "hf", "hf", "api_org"])
    return f"{sub}_" + rand(string.ascii_letters, 34)


def k_pypi(sub=None):
    ident = uuid4().encode()
    caveat = json.dumps({"version": 1, "permissions": C(["user", {"projects": [C(["sotto-tools", "acme-sdk", "fastparse"])]}])}, separators=(",", ":")).encode()
    raw = (b"\x02\x01\x08pypi.org\x02" + bytes([len(ident)]) + ident + b"\x00\x02" + bytes([len(caveat) + 2]) + b"\x01"
           + bytes([len(caveat)]) + caveat + b"\x00\x00\x06\x20" + rng.randbytes(32))
    return "pypi-" + fmt.b64url(raw)


def k_npm(sub=None):
    return "npm_" + rand(ALNUM, 36)


def k_discord(sub=None):
    uid = str(rng.randint(10 ** 16, 10 ** 19 - 1)).encode()
    return fmt.b64(uid).rstrip("=") + "." + rand(B64URL, 6) + "." + rand(B64URL, C([27, 38]))


def k_telegram(sub=None):
    return f"{rng.randint(10 ** 7, 10 ** 10 - 1)}:AA{rand(B64URL, 33)}"


def k_twilio(sub=None):
    return "SK" + rand(HEX, 32)


def k_sendgrid(sub=None):
    return "SG." + rand(B64URL, 22) + "." + rand(B64URL, 43)


def k_shopify(sub=None):
    sub = sub or C(["shpat", "shpat", "shpca", "shppa", "shpss"])
    return f"{sub}_" + rand(HEX, 32)


def k_digitalocean(sub=None):
    sub = sub or C(["dop", "dop", "doo", "dor"])
    return f"{sub}_v1_" + rand(HEX, 64)


def k_jwt(sub=None):
    alg = C(["HS256", "HS256", "RS256", "ES256", "HS512", "PS256", "EdDSA"])
    hdr = {"alg": alg, "typ": "JWT"}
    if alg != "HS256" and chance(.6):
        hdr["kid"] = C([rand(ALNUM, 16), uuid4(), rand(HEX, 8)])
    if chance(.2):
        hdr = {"typ": "JWT", "alg": alg}
    now = rng.randint(1_700_000_000, 1_760_000_000)
    first, last = person()
    pl = C([
        {"sub": str(rng.randint(1000, 999999)), "iat": now, "exp": now + 3600},
        {"sub": uuid4(), "role": C(["admin", "user", "service"]), "iat": now},
        {"iss": C(["https://auth.example.com/", "sotto", "https://login.example.org"]), "aud": C(["api", "billing", "sync"]),
         "sub": "user_" + rand(ALNUM, 10), "exp": now + 900, "scope": C(["read write", "openid profile", "admin"])},
        {"user_id": rng.randint(1, 99999), "tenant": C(["acme", "nordwind", "contoso"]), "iat": now, "exp": now + 86400},
        {"sub": str(rng.randint(10 ** 9, 10 ** 10)), "name": f"{ascii_fold(first)} {ascii_fold(last)}", "admin": chance(.5), "iat": now},
    ])
    sig_len = {"HS256": 32, "HS512": 64, "RS256": 256, "PS256": 256, "ES256": 64, "EdDSA": 64}[alg]
    return (fmt.b64url(json.dumps(hdr, separators=(",", ":")).encode()) + "." +
            fmt.b64url(json.dumps(pl, separators=(",", ":")).encode()) + "." + fmt.b64url(rng.randbytes(sig_len)))


def k_bearer(sub=None):
    return C([rand(ALNUM, rng.randint(32, 64)), rand(B64URL, 43), rand(HEX, 40), "at_" + rand(ALNUM, 32),
              rand(ALNUM, 20) + "." + rand(ALNUM, 20)])


def k_basic(sub=None):
    user = C(USERS + ["api", "sotto", "monitor"])
    pw = C([rand(ALNUM, 12), secret_value("short"), secret_value("mixed")])
    return fmt.b64(f"{user}:{pw}".encode())


API_FAMILIES = {
    "github": (k_github, 60, "GitHub token"), "gitlab": (k_gitlab, 55, "GitLab token"), "slack": (k_slack, 45, "Slack token"),
    "stripe": (k_stripe, 30, "Stripe secret key"), "openai": (k_openai, 30, "OpenAI key"), "anthropic": (k_anthropic, 18, "Anthropic key"),
    "google": (k_google, 28, "Google API key"), "aws": (k_aws, 36, "AWS access key id"), "azure": (k_azure, 33, "Azure key"),
    "huggingface": (k_hf, 15, "HF token"), "pypi": (k_pypi, 14, "PyPI token"), "npm": (k_npm, 14, "npm token"),
    "discord": (k_discord, 14, "Discord bot token"), "telegram": (k_telegram, 14, "Telegram bot token"),
    "twilio": (k_twilio, 14, "Twilio API key"), "sendgrid": (k_sendgrid, 14, "SendGrid key"), "shopify": (k_shopify, 18, "Shopify token"),
    "digitalocean": (k_digitalocean, 15, "DigitalOcean token"), "jwt": (k_jwt, 36, "JWT"),
}


# --------------------------------------------------------------------------
# Values: PRIVATE_KEY (PEM / OpenSSH / PGP armour with structured bodies; age)
# --------------------------------------------------------------------------
def _rint(nbytes):
    b = bytearray(rng.randbytes(nbytes))
    b[0] |= 0x80
    return bytes(b)


def _rsa_pkcs1(bits):
    n = bits // 8
    return fmt.seq(fmt.der_int(b"\0"), fmt.der_int(_rint(n)), fmt.der_int(b"\x01\x00\x01"), fmt.der_int(_rint(n)),
                   *[fmt.der_int(_rint(n // 2)) for _ in range(5)])


def _pkcs8(alg_oid, key, params=None):
    alg = fmt.seq(fmt.der_oid(alg_oid), params if params is not None else b"\x05\x00")
    return fmt.seq(fmt.der_int(b"\0"), alg, fmt.der(0x04, key))


def _ec_sec1():
    return fmt.seq(fmt.der_int(b"\x01"), fmt.der(0x04, rng.randbytes(32)), fmt.der(0xA0, fmt.der_oid("1.2.840.10045.3.1.7")),
                   fmt.der(0xA1, fmt.der(0x03, b"\x00\x04" + rng.randbytes(64))))


def _dsa():
    return fmt.seq(fmt.der_int(b"\0"), fmt.der_int(_rint(128)), fmt.der_int(_rint(20)), fmt.der_int(_rint(128)),
                   fmt.der_int(_rint(128)), fmt.der_int(_rint(20)))


def _ssh_str(b):
    return len(b).to_bytes(4, "big") + b


def _openssh(kind):
    comment = C(["", "deploy", "ci@build", "laptop-2023", "backup-key"]).encode()
    if kind == "ed25519":
        pub = _ssh_str(b"ssh-ed25519") + _ssh_str(rng.randbytes(32))
        seed = rng.randbytes(32)
        chk = rng.randbytes(4)
        priv = chk + chk + _ssh_str(b"ssh-ed25519") + _ssh_str(pub[-32:]) + _ssh_str(seed + pub[-32:]) + _ssh_str(comment)
    else:
        e, n = b"\x01\x00\x01", b"\0" + _rint(256)
        pub = _ssh_str(b"ssh-rsa") + _ssh_str(e) + _ssh_str(n)
        chk = rng.randbytes(4)
        priv = chk + chk + _ssh_str(b"ssh-rsa") + _ssh_str(n) + _ssh_str(e) + _ssh_str(b"\0" + _rint(256)) + \
            _ssh_str(_rint(128)) + _ssh_str(_rint(128)) + _ssh_str(_rint(128)) + _ssh_str(comment)
    i = 1
    while len(priv) % 8:
        priv += bytes([i])
        i += 1
    return (b"openssh-key-v1\0" + _ssh_str(b"none") + _ssh_str(b"none") + _ssh_str(b"") + (1).to_bytes(4, "big")
            + _ssh_str(pub) + _ssh_str(priv))


def _encrypted_pkcs8(n):
    params = fmt.seq(fmt.seq(fmt.der_oid("1.2.840.113549.1.5.12"), fmt.seq(fmt.der(0x04, rng.randbytes(8)), fmt.der_int(b"\x08\x00"),
                                                                             fmt.seq(fmt.der_oid("1.2.840.113549.2.9"), b"\x05\x00"))),
                     fmt.seq(fmt.der_oid("2.16.840.1.101.3.4.1.42"), fmt.der(0x04, rng.randbytes(16))))
    alg = fmt.seq(fmt.der_oid("1.2.840.113549.1.5.13"), params)
    return fmt.seq(alg, fmt.der(0x04, rng.randbytes(n)))


def _pem(label, der, headers=""):
    return f"-----BEGIN {label}-----\n{headers}" + "\n".join(fmt.wrap(fmt.b64(der), 64)) + f"\n-----END {label}-----"


def age_secret_key():
    return fmt.bech32_encode("age-secret-key-", fmt.convertbits(rng.randbytes(32), 8, 5), fmt.BECH32_CONST).upper()


def private_key(kind=None):
    """Returns (block, kind); lines joined with \\n."""
    kind = kind or C(["rsa", "rsa", "pkcs8", "ec", "ec", "openssh", "openssh", "openssh_rsa", "dsa", "encrypted", "rsa_legacy_enc", "pgp", "age", "age"])
    if kind == "rsa":
        return _pem("RSA PRIVATE KEY", _rsa_pkcs1(C([1024, 2048]))), kind
    if kind == "pkcs8":
        if chance(.5):
            return _pem("PRIVATE KEY", _pkcs8("1.2.840.113549.1.1.1", _rsa_pkcs1(C([1024, 2048])))), kind
        return _pem("PRIVATE KEY", _pkcs8("1.3.101.112", fmt.der(0x04, rng.randbytes(32)), b"")[:-0 or None]), "pkcs8_ed25519"
    if kind == "ec":
        return _pem("EC PRIVATE KEY", _ec_sec1()), kind
    if kind == "dsa":
        return _pem("DSA PRIVATE KEY", _dsa()), kind
    if kind == "openssh":
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(fmt.wrap(fmt.b64(_openssh("ed25519")), 70)) + "\n-----END OPENSSH PRIVATE KEY-----", kind
    if kind == "openssh_rsa":
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(fmt.wrap(fmt.b64(_openssh("rsa")), 70)) + "\n-----END OPENSSH PRIVATE KEY-----", kind
    if kind == "encrypted":
        return _pem("ENCRYPTED PRIVATE KEY", _encrypted_pkcs8(C([160, 640, 1232]))), kind
    if kind == "rsa_legacy_enc":
        hdr = f"Proc-Type: 4,ENCRYPTED\nDEK-Info: {C(['AES-128-CBC', 'AES-256-CBC', 'DES-EDE3-CBC'])},{rand(HEX, 32).upper()}\n\n"
        return _pem("RSA PRIVATE KEY", rng.randbytes(C([608, 1192])), hdr), kind
    if kind == "pgp":
        body = b"\x95" + (600).to_bytes(2, "big") + b"\x04" + rng.randbytes(4) + b"\x01" + rng.randbytes(597)
        crc = fmt.crc24(body).to_bytes(3, "big")
        hdr = C(["", "Comment: exported with gpg\n", "Version: GnuPG v2\n"])
        return ("-----BEGIN PGP PRIVATE KEY BLOCK-----\n" + hdr + "\n" + "\n".join(fmt.wrap(fmt.b64(body), 64)) + "\n=" + fmt.b64(crc)
                + "\n-----END PGP PRIVATE KEY BLOCK-----"), kind
    if kind == "age":
        return age_secret_key(), kind
    raise KeyError(kind)


# --------------------------------------------------------------------------
# Values: CRYPTO_WALLET
# --------------------------------------------------------------------------
def wallet(kind=None):
    kind = kind or C(["p2pkh", "p2sh", "p2wpkh", "p2wpkh", "p2wsh", "p2tr", "p2tr", "eth", "eth", "eth_lower"])
    if kind == "p2pkh":
        return fmt.base58check(b"\x00" + rng.randbytes(20)), kind
    if kind == "p2sh":
        return fmt.base58check(b"\x05" + rng.randbytes(20)), kind
    if kind == "p2wpkh":
        return fmt.segwit_address("bc", 0, rng.randbytes(20)), kind
    if kind == "p2wsh":
        return fmt.segwit_address("bc", 0, rng.randbytes(32)), kind
    if kind == "p2tr":
        return fmt.segwit_address("bc", 1, rng.randbytes(32)), kind
    h = rand(HEX, 40)
    if kind == "eth":
        return fmt.eip55(h), kind
    return "0x" + h, kind


# --------------------------------------------------------------------------
# Values: PERSON_NAME, STREET_ADDRESS
# --------------------------------------------------------------------------
def full_name():
    f, l = person()
    k = rng.randrange(10)
    if k == 0:
        return f"{f} {C(UP)}. {l}", f, l
    if k == 1:
        return f"{f} {C(FIRST)} {l}", f, l
    if k == 2 and l not in ("O'Brien",):
        return f"{f} {l}-{C(LAST)}", f, l
    return f"{f} {l}", f, l


STREETS = {
    "US": ["Maple Avenue", "Oak Street", "Pine Ridge Road", "Elm Court", "Lakeview Drive", "Sunset Boulevard", "Cedar Lane", "W 34th Street"],
    "GB": ["Harrow Road", "Church Lane", "Victoria Street", "Mill Road", "Kingsway", "Station Approach", "Queen's Crescent"],
    "DE": ["Lindenstraße", "Hauptstraße", "Schillerweg", "Am Markt", "Bahnhofstraße", "Kastanienallee", "Goethestraße"],
    "FR": ["rue des Lilas", "avenue Jean Jaurès", "boulevard Voltaire", "rue de la République", "chemin des Vignes"],
    "NL": ["Keizersgracht", "Dorpsstraat", "Kerkstraat", "Molenweg", "Prinsengracht"],
    "ES": ["Calle Mayor", "Avenida de la Constitución", "Calle del Sol", "Paseo de Gracia"],
    "IT": ["Via Roma", "Via Garibaldi", "Corso Vittorio Emanuele", "Via dei Mille"],
    "AU": ["Wattle Street", "Smith St", "Beach Road", "Bourke Street"],
    "SE": ["Storgatan", "Drottninggatan", "Kungsvägen"],
    "CA": ["Rue Sainte-Catherine", "Bloor Street West", "Maple Grove Cres"],
}
CITIES = {"US": [("Springfield", "IL"), ("Portland", "OR"), ("Austin", "TX"), ("Columbus", "OH"), ("Madison", "WI"), ("Brooklyn", "NY")],
          "GB": ["London", "Leeds", "Bristol", "Manchester", "Edinburgh"], "DE": ["Berlin", "München", "Köln", "Leipzig", "Hamburg"],
          "FR": ["Lyon", "Paris", "Nantes", "Bordeaux", "Lille"], "NL": ["Amsterdam", "Utrecht", "Haarlem", "Groningen"],
          "ES": ["Madrid", "Barcelona", "Sevilla", "Valencia"], "IT": ["Milano", "Torino", "Bologna", "Napoli"],
          "AU": [("Fitzroy", "VIC"), ("Newtown", "NSW"), ("Fremantle", "WA")], "SE": ["Stockholm", "Göteborg", "Uppsala"],
          "CA": [("Montréal", "QC"), ("Toronto", "ON"), ("Halifax", "NS")]}


def street_address(country=None, multiline=False):
    country = country or C(sorted(STREETS))
    st, city, no = C(STREETS[country]), C(CITIES[country]), rng.randint(1, 240)
    if country == "US":
        lines = [f"{no * 7} {st}" + (f", Apt {rng.randint(1, 30)}{C('ABCD')}" if chance(.3) else ""), f"{city[0]}, {city[1]} {rng.randint(10000, 99999)}"]
    elif country == "CA":
        lines = [f"{no * 3} {st}", f"{city[0]}, {city[1]} {C(UP)}{rng.randint(0, 9)}{C(UP)} {rng.randint(0, 9)}{C(UP)}{rng.randint(0, 9)}"]
    elif country == "GB":
        lines = [f"{no} {st}", f"{city} {C(['NW1', 'LS6', 'BS8', 'M14', 'EH3', 'SE15'])} {rng.randint(1, 9)}{C('ABDEFGHJLNPQRSTUWXYZ')}{C('ABDEFGHJLNPQRSTUWXYZ')}"]
    elif country in ("DE", "NL", "SE"):
        pc = f"{rng.randint(10000, 99999)}" if country == "DE" else (f"{rng.randint(1000, 9999)} {C(UP)}{C(UP)}" if country == "NL" else f"{rng.randint(100, 999)} {rng.randint(10, 99)}")
        lines = [f"{st} {no}" + (C(["", "a", "b"]) if country != "SE" else ""), f"{pc} {city}"]
    elif country == "FR":
        lines = [f"{no} {st}", f"{rng.randint(10, 95)}{rng.randint(0, 999):03d} {city}"]
    elif country == "ES":
        lines = [f"{st} {no}, {rng.randint(1, 8)}º {C('ABCD')}", f"{rng.randint(1, 52):02d}{rng.randint(0, 999):03d} {city}"]
    elif country == "IT":
        lines = [f"{st} {no}", f"{rng.randint(10, 98)}{rng.randint(0, 999):03d} {city}"]
    else:
        lines = [f"{no} {st}", f"{city[0]} {city[1]} {rng.randint(2000, 6999)}"]
    if chance(.3):
        lines.append({"US": "USA", "CA": "Canada", "GB": "United Kingdom", "DE": "Germany", "FR": "France", "NL": "Netherlands",
                      "ES": "Spain", "IT": "Italy", "AU": "Australia", "SE": "Sweden"}[country])
    return ("\n" if multiline else ", ").join(lines)


# --------------------------------------------------------------------------
# Case drivers
# --------------------------------------------------------------------------
def produce(plan, maker):
    for surr, n in plan.items():
        made = tries = 0
        while made < n and tries < n * 30:
            tries += 1
            res = maker(surr)
            if res is None:
                continue
            prefix, frag = res
            if add(prefix, surr, frag):
                made += 1
        assert made == n, (surr, made, n)


def structured(surr, field, ent, table=None, md_inner=None):
    """Renders field/value in a structured surrounding."""
    if surr == "json":
        return kv_json(field, ent)
    if surr == "yaml":
        return kv_yaml(field, ent)
    if surr == "toml":
        return kv_toml(field, ent)
    if surr == "env":
        return kv_env(field, ent)
    if surr == "code":
        return kv_code(field, ent)[0]
    if surr == "markdown":
        if table and chance(0.45):
            cols, row = table
            return cat(C(["", "", "Current values:\n\n", "| from the admin page |\n\n", "see table\n\n"]), md_table(cols, row))
        which = md_inner or C(["json", "yaml", "env", "code", "toml"])
        if which == "code":
            f, lang = kv_code(field, ent)
            return md_wrap(f, FENCE_LANG[lang])
        inner = {"json": lambda: cat(kv_json(field, ent), "\n"), "yaml": lambda: kv_yaml(field, ent),
                 "env": lambda: kv_env(field, ent), "toml": lambda: kv_toml(field, ent)}[which]()
        return md_wrap(inner, {"json": "json", "yaml": C(["yaml", "yml"]), "env": C(["", "env", "dotenv", "bash"]), "toml": "toml"}[which])
    raise KeyError(surr)


def plan_of(total, weights):
    """Splits total over surroundings by weight (deterministic rounding)."""
    s = sum(weights.values())
    out, acc = {}, 0
    keys = list(weights)
    for i, k in enumerate(keys):
        n = round(total * weights[k] / s) if i < len(keys) - 1 else total - acc
        out[k] = max(n, 0)
        acc += out[k]
    return {k: v for k, v in out.items() if v}


# --------------------------------------------------------------------------
# EMAIL
# --------------------------------------------------------------------------
EMAIL_PROSE = [
    "Please send the invoice to ⟦v⟧ instead of my work address.",
    "my login is ⟦v⟧ but the reset mail never arrives",
    "can you cc ⟦v⟧? she handles our billing now",
    "I changed my email from ⟦v⟧ to ⟦w⟧ last week and now I can't log in",
    "The account is registered under ⟦v⟧.",
    "reach me at ⟦v⟧ if the chat disconnects again",
    "I never got the confirmation at ⟦v⟧, checked spam too.",
    "Our accountant (⟦v⟧) needs the VAT invoices for Q3.",
    "pls update billing contact to ⟦v⟧",
    "This is about order ⟦ord⟧ - the receipt went to ⟦v⟧ which is my old adress.",
    "Forwarding this from ⟦v⟧: \"the export button does nothing on ⟦ver⟧\"",
    "who is ⟦v⟧?? they got added to our workspace and none of us know them",
    "I typed ⟦v⟧ in the signup form and it says invalid email. why",
    "On Tue, ⟦v⟧ wrote:\n> the app crashes on start since the update",
    "From: ⟦v⟧\nSent: Monday 10:42\nSubject: RE: refund for ⟦ord⟧",
    "Ticket ⟦t⟧: customer email ⟦v⟧, prefers contact after 5pm.",
    "send the data export to ⟦v⟧ please, the other one bounced",
    "I'm the workspace admin, my address is ⟦v⟧. the seats page shows 0 of 25",
    "unsubscribe ⟦v⟧ from the newsletter please!!",
    "your mail to ⟦v⟧ bounced with '550 mailbox unavailable'",
    "Can you merge ⟦v⟧ and ⟦w⟧ into one account? same person, two logins",
    "Transfer ownership to ⟦v⟧, I'm leaving the company on Friday.",
    "the 2FA code goes to ⟦v⟧ but I lost access to that inbox",
    "Contact for the DPA is ⟦v⟧ (legal).",
    "kannst du die Rechnung an ⟦v⟧ schicken? danke",
    "merci d'envoyer la facture à ⟦v⟧",
]
EMAIL_LOG = [
    "⟦p⟧sent password reset to ⟦v⟧",
    "⟦p⟧smtp: 550 5.1.1 <⟦v⟧>: Recipient address rejected: User unknown",
    "⟦p⟧login ok user=⟦v⟧ method=password mfa=totp",
    "⟦p⟧user_id=⟦id⟧ email=⟦v⟧ action=export status=queued",
    "⟦p⟧Invitation sent to ⟦v⟧ by user ⟦id⟧ (workspace ⟦ws⟧)",
    "⟦p⟧⟦qid⟧: to=<⟦v⟧>, relay=none, delay=0.4, status=deferred (connect timeout)",
    "⟦p⟧webhook customer.updated {\"id\": \"cus_⟦cid⟧\", \"email\": \"⟦v⟧\"}",
    "⟦p⟧failed to deliver digest: mailbox full for ⟦v⟧ (attempt 3/5)",
    "⟦p⟧auth: too many attempts for \"⟦v⟧\", locking for 15m",
]
EMAIL_SHELL = [
    "git config --global user.email \"⟦v⟧\"",
    "sudo certbot certonly --standalone -d shop.example.com --email ⟦v⟧ --agree-tos -n",
    "echo \"report attached\" | mail -s \"Q3 report\" -A report.pdf ⟦v⟧",
    "gpg --encrypt --recipient ⟦v⟧ backup-⟦date⟧.tar",
    "curl -X POST https://api.example.com/v1/invites -H 'Content-Type: application/json' -d '{\"email\": \"⟦v⟧\", \"role\": \"member\"}'",
    "python manage.py createsuperuser --username admin --email ⟦v⟧",
    "sotto account link --email ⟦v⟧ --workspace ⟦ws⟧",
    "az ad user create --display-name \"Test User\" --user-principal-name ⟦v⟧ --password-profile-disabled",
    "ssh-keygen -t ed25519 -C \"⟦v⟧\" -f ~/.ssh/id_work",
    "kubectl create secret generic smtp --from-literal=from=⟦v⟧",
]
EMAIL_URL = [
    "mailto:⟦v⟧?subject=Refund%20request&body=Order%20⟦ordn⟧",
    "https://app.example.com/invite/accept?email=⟦v⟧&role=member&token=expired",
    "https://news.example.com/unsubscribe?u=⟦v⟧&list=weekly",
    "https://portal.example.org/users/⟦v⟧/settings",
    "<a href=\"mailto:⟦v⟧\">write to us</a>",
    "https://calendar.example.com/book?guest=⟦v⟧&slot=⟦date⟧T10:00",
]
EMAIL_FIELDS = ["email", "contact email", "reply to", "billing email", "owner email", "notify email", "user email", "admin email",
                "from address", "support contact", "recipient", "login", "username"]


def _common_kw():
    return dict(ord=order_no(), t=ticket_no(), ver=version(), id=rng.randint(1000, 999999), ws=C(["acme", "nordwind", "team-blue", "prod"]),
                qid=rand(HEX.upper(), 10), cid=rand(ALNUM, 14), date=f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                ordn=str(rng.randint(100000, 999999)))


def gen_email():
    def mk(surr):
        v = E("EMAIL", email_value())
        w = E("EMAIL", email_value())
        kw = _common_kw()
        kind = "plain"
        if chance(0.05):
            v = E("EMAIL", C(["jürgen.müller@example.de", "zoë@bücher.example", "josé@correo.example.es", "søren@eksempel.dk"]))
            kind = "intl"
        if surr == "prose":
            return f"email-{kind}", prose(C(EMAIL_PROSE), v=v, w=w, **kw)
        if surr == "log":
            return f"email-{kind}", F(C(EMAIL_LOG), p=log_prefix(), v=v, **kw)
        if surr == "shell":
            return f"email-{kind}", F(C(["$ ", "", ""]) + C(EMAIL_SHELL), v=v, **kw)
        if surr == "url":
            return f"email-{kind}", F(C(["", "link: ", "open ", "the link is ", "clicked "]) + C(EMAIL_URL), v=v, **kw)
        return f"email-{kind}", structured(surr, C(EMAIL_FIELDS), v, table=(["Role", "Email", "Since"], [C(["Owner", "Billing", "Admin", "Member"]), v, kw["date"]]))
    produce(plan_of(160, {"prose": 5, "json": 2, "yaml": 1.5, "toml": 1, "env": 1, "shell": 1.5, "log": 2, "url": 1.5, "code": 1.5, "markdown": 1.5}), mk)


# --------------------------------------------------------------------------
# PHONE
# --------------------------------------------------------------------------
PHONE_PROSE = [
    "call me on ⟦v⟧ if it's easier",
    "My number is ⟦v⟧, please text before calling.",
    "you can reach me at ⟦v⟧ between 9 and 5",
    "The courier needs a phone number: ⟦v⟧",
    "Mobile: ⟦v⟧",
    "I changed my phone to ⟦v⟧ and now the SMS codes don't arrive",
    "pls update the contact number on invoice ⟦ord⟧ to ⟦v⟧",
    "tel. ⟦v⟧ (office), ask for the IT desk",
    "WhatsApp me on ⟦v⟧ if the chat drops",
    "our reception is ⟦v⟧ but nobody picks up after 4",
    "The 2FA SMS goes to ⟦v⟧, which is my old SIM.",
    "Please ring ⟦v⟧ tomorrow morning about ticket ⟦t⟧.",
    "missed call from ⟦v⟧ claiming to be your support, is that legit?",
    "Fax: ⟦v⟧ (yes we still have one)",
    "Meine Nummer ist ⟦v⟧, bitte zurückrufen.",
    "mon numéro : ⟦v⟧, merci de me rappeler",
    "mi número es ⟦v⟧, gracias",
    "Emergency contact for the on-call rota: ⟦v⟧",
    "the delivery guy tried ⟦v⟧ but that's not me??",
    "phone ⟦v⟧ / order ⟦ord⟧",
]
PHONE_LOG = [
    "⟦p⟧sms queued to=⟦v⟧ template=otp",
    "⟦p⟧twilio: message to ⟦v⟧ failed: 21610 unsubscribed recipient",
    "⟦p⟧user ⟦id⟧ updated phone_number=⟦v⟧",
    "⟦p⟧CALLERID(num)=⟦v⟧ dialed ext 4102 duration=00:03:41",
    "⟦p⟧otp verify failed for \"⟦v⟧\" (attempt 2)",
    "⟦p⟧delivery ⟦ord⟧ contact=⟦v⟧ eta=⟦date⟧",
]
PHONE_SHELL = [
    "twilio api:core:messages:create --from \"+15005550006\" --to \"⟦v⟧\" --body \"test\"",
    "./notify --sms \"⟦v⟧\" --message \"deploy finished\"",
    "curl -X POST https://api.example.com/v2/contacts -d name=frontdesk -d 'phone=⟦v⟧'",
    "sotto contacts add --phone '⟦v⟧' --label work",
    "echo '⟦v⟧' >> oncall_numbers.txt",
    "gammu sendsms TEXT '⟦v⟧' -text \"server down\"",
]
PHONE_URL = [
    "tel:⟦v⟧",
    "<a href=\"tel:⟦v⟧\">call us</a>",
    "https://crm.example.com/contacts/search?phone=⟦v⟧&exact=1",
    "sms:⟦v⟧?body=hello",
]
PHONE_FIELDS = ["phone", "mobile", "phone number", "contact phone", "tel", "emergency contact", "sms to", "fax", "support hotline", "whatsapp"]


def gen_phone():
    regions = PHONE_REGIONS

    def mk(surr):
        region = C(regions)
        ext = str(C([204, 12, 7, 1203, 55, 31, 4410])) if chance(0.14) and surr not in ("url",) else None
        st = None
        if surr == "url":
            st = C(["e164", "rfc", "e164"])
        written, st = phone_written(region, st, ext)
        if surr == "url" and st not in ("e164", "rfc"):
            return None
        v = E("PHONE", written)
        kw = _common_kw()
        prefix = f"phone-{region.lower()}-{st}" + ("-ext" if ext else "")
        if surr == "prose":
            return prefix, prose(C(PHONE_PROSE), v=v, **kw)
        if surr == "log":
            return prefix, F(C(PHONE_LOG), p=log_prefix(), v=v, **kw)
        if surr == "shell":
            return prefix, F(C(["$ ", ""]) + C(PHONE_SHELL), v=v, **kw)
        if surr == "url":
            return prefix, F(C(["", "link: ", "the button points to "]) + C(PHONE_URL), v=v, **kw)
        return prefix, structured(surr, C(PHONE_FIELDS), v, table=(["Site", "Phone", "Hours"], [C(["Berlin office", "HQ", "Warehouse", "Support"]), v, C(["9-17", "24/7", "Mon-Fri"])]))
    produce(plan_of(230, {"prose": 5, "json": 2, "yaml": 1.5, "toml": 1, "env": 1, "shell": 1, "log": 2, "url": 1.2, "code": 1.3, "markdown": 1.5}), mk)


# --------------------------------------------------------------------------
# CREDIT_CARD
# --------------------------------------------------------------------------
CARD_PROSE = [
    "my card ⟦v⟧ was charged twice for ⟦money⟧",
    "Card number ⟦v⟧ exp ⟦exp⟧, it keeps getting declined",
    "can you refund to ⟦v⟧? the old card is cancelled",
    "I used ⟦v⟧ for the annual plan but the receipt shows another card",
    "The payment page rejects ⟦v⟧ with 'invalid number' but it works everywhere else.",
    "pls remove ⟦v⟧ from my account, it was my company card",
    "new card: ⟦v⟧ (valid till ⟦exp⟧)",
    "We got charged on ⟦v⟧ after cancelling on ⟦date⟧!",
    "my visa/mastercard whatever it is: ⟦v⟧",
    "Is it safe to type my card here? it's ⟦v⟧",
    "The charge of ⟦money⟧ on card ending ⟦last4⟧ is wrong - full number ⟦v⟧",
    "Kreditkarte ⟦v⟧ wurde abgelehnt",
    "ma carte ⟦v⟧ a été débitée deux fois",
]
CARD_LOG = [
    "⟦p⟧payment declined pan=⟦v⟧ reason=do_not_honor amount=⟦money⟧",
    "⟦p⟧charge failed for card ⟦v⟧: insufficient_funds",
    "⟦p⟧DEBUG request body: {\"card_number\":\"⟦v⟧\",\"exp\":\"⟦exp⟧\",\"amount\":4999}",
    "⟦p⟧tokenize ok card=⟦v⟧ token=tok_⟦tok⟧",
    "⟦p⟧3DS challenge required card_number=⟦v⟧ order=⟦ord⟧",
]
CARD_SHELL = [
    "curl https://api.example-pay.com/v1/tokens -u sk_test_placeholder: -d \"card[number]=⟦v⟧\" -d \"card[exp_month]=12\"",
    "./charge --pan '⟦v⟧' --amount 19.99 --currency EUR",
    "echo '⟦v⟧' | ./luhn_check",
    "psql -c \"select * from payments where card_number = '⟦v⟧'\"",
    "grep -rn '⟦v⟧' /var/log/checkout/",
]
CARD_URL = [
    "https://shop.example.com/checkout/confirm?card=⟦v⟧&amount=49.99",
    "https://pay.example.net/debug?pan=⟦v⟧&cvc=123",
    "https://legacy.example.org/order.php?id=⟦ordn⟧&cc=⟦v⟧",
]
CARD_FIELDS = ["card number", "pan", "cc number", "card", "credit card", "payment card", "number"]


def gen_card():
    def mk(surr):
        brand = C(CARD_BRANDS)
        sep = None
        if surr == "url":
            sep = C(["", "", "-"])
        elif surr in ("json", "toml", "yaml", "env", "code"):
            sep = C(["", "", " ", "-"])
        written, brand = card_value(brand, sep)
        v = E("CREDIT_CARD", written)
        kw = _common_kw()
        kw.update(money=money(), exp=f"{rng.randint(1, 12):02d}/{rng.randint(25, 31)}", last4=written[-4:], tok=rand(ALNUM, 14))
        prefix = f"credit_card-{brand}"
        if surr == "prose":
            return prefix, prose(C(CARD_PROSE), v=v, **kw)
        if surr == "log":
            return prefix, F(C(CARD_LOG), p=log_prefix(), v=v, **kw)
        if surr == "shell":
            return prefix, F(C(["$ ", ""]) + C(CARD_SHELL), v=v, **kw)
        if surr == "url":
            return prefix, F(C(["", "got redirected to ", "the old form posts to "]) + C(CARD_URL), v=v, **kw)
        if surr == "json" and chance(0.3) and " " not in written and "-" not in written:
            return prefix, kv_json(C(CARD_FIELDS), v, quote=False)
        return prefix, structured(surr, C(CARD_FIELDS), v, table=(["Card", "Number", "Expiry"], [brand.capitalize(), v, kw["exp"]]))
    produce(plan_of(170, {"prose": 5, "json": 2, "yaml": 1, "toml": 0.8, "env": 0.8, "shell": 1.2, "log": 2, "url": 1, "code": 1.2, "markdown": 1.3}), mk)


# --------------------------------------------------------------------------
# IBAN
# --------------------------------------------------------------------------
IBAN_PROSE = [
    "please refund to my IBAN ⟦v⟧",
    "Our bank details: ⟦v⟧, BIC ⟦bic⟧",
    "I sent the transfer from ⟦v⟧ on ⟦date⟧ but the invoice is still open",
    "iban: ⟦v⟧ (account holder is the company, not me)",
    "Can you change the direct debit account to ⟦v⟧?",
    "The SEPA mandate still shows ⟦v⟧, that account is closed.",
    "Bitte überweisen Sie auf ⟦v⟧.",
    "my new account is ⟦v⟧, old one was closed last month",
    "Payment reference ⟦ord⟧, paid from ⟦v⟧.",
    "veuillez rembourser sur le compte ⟦v⟧",
    "wire to ⟦v⟧ failed with 'invalid beneficiary'?",
]
IBAN_LOG = [
    "⟦p⟧sepa mandate created iban=⟦v⟧ mandate_id=MD-⟦id⟧",
    "⟦p⟧payout failed: account ⟦v⟧ rejected (AC04 closed account)",
    "⟦p⟧refund ⟦money⟧ to ⟦v⟧ scheduled",
    "⟦p⟧validate_iban(\"⟦v⟧\") -> ok",
]
IBAN_SHELL = [
    "./payout --iban ⟦v⟧ --amount 120.00 --ref ⟦ordn⟧",
    "curl -X PATCH https://api.example.com/v1/customers/⟦id⟧ -d 'iban=⟦v⟧'",
    "python -m schwifty.check '⟦v⟧'",
    "sotto billing set-account --iban \"⟦v⟧\"",
]
IBAN_URL = [
    "https://bank.example.com/transfer/new?to=⟦v⟧&amount=120.00",
    "https://pay.example.eu/sepa?iban=⟦v⟧&name=Acme",
    "https://invoices.example.com/pay?ref=⟦ordn⟧&iban=⟦v⟧",
]
IBAN_FIELDS = ["iban", "account iban", "payout iban", "bank account", "debtor iban", "creditor account"]


def gen_iban():
    def mk(surr):
        iban = iban_value()
        form = None
        if surr in ("url", "shell") or (surr in ("env", "toml", "code", "log") and chance(.5)):
            form = C(["electronic", "electronic_lower"])
        written, form = iban_print(iban, form)
        if surr in ("shell",) and " " in written:
            return None
        v = E("IBAN", written)
        kw = _common_kw()
        kw.update(money=money(), bic=C(["DEUTDEFF", "COBADEFFXXX", "BNPAFRPP", "INGBNL2A", "ABNANL2A", "NWBKGB2L", "BSCHESMM", "UNCRITMM"]))
        prefix = f"iban-{iban[:2].lower()}"
        if surr == "prose":
            return prefix, prose(C(IBAN_PROSE), v=v, **kw)
        if surr == "log":
            return prefix, F(C(IBAN_LOG), p=log_prefix(), v=v, **kw)
        if surr == "shell":
            return prefix, F(C(["$ ", ""]) + C(IBAN_SHELL), v=v, **kw)
        if surr == "url":
            return prefix, F(C(["", "link from the invoice: "]) + C(IBAN_URL), v=v, **kw)
        return prefix, structured(surr, C(IBAN_FIELDS), v, table=(["Holder", "IBAN", "BIC"], [C(COMPANIES), v, kw["bic"]]))
    produce(plan_of(165, {"prose": 5, "json": 2, "yaml": 1.2, "toml": 1, "env": 1, "shell": 1, "log": 1.6, "url": 1, "code": 1, "markdown": 1.4}), mk)


# --------------------------------------------------------------------------
# US_SSN
# --------------------------------------------------------------------------
SSN_CTX_PROSE = [
    "my SSN is ⟦v⟧",
    "SSN: ⟦v⟧ - do you need anything else for the W-9?",
    "Social security number ⟦v⟧, DOB in the attachment",
    "the form rejected my social security no. ⟦v⟧",
    "SS# ⟦v⟧",
    "taxpayer id (ssn) ⟦v⟧ for the 1099",
    "For the background check: social ⟦v⟧",
    "my soc sec number ⟦v⟧ shows up in the export, why?",
    "Employee SSN ⟦v⟧ was entered wrong in payroll",
    "can u update my ssn to ⟦v⟧, I mistyped it",
]
SSN_DASH_PROSE = [
    "the number on the card is ⟦v⟧",
    "HR asked me to confirm ⟦v⟧ before Friday",
    "is ⟦v⟧ stored encrypted on your side?",
    "It still shows ⟦v⟧ on the W-2 preview.",
]
SSN_LOG = [
    "⟦p⟧validation error field=ssn value=⟦v⟧",
    "⟦p⟧kyc check submitted ssn=⟦v⟧ result=pending",
    "⟦p⟧payroll import row 14: SSN ⟦v⟧ duplicate",
    "⟦p⟧TIN match request ssn=\"⟦v⟧\" status=200",
]
SSN_SHELL = [
    "./kyc verify --ssn ⟦v⟧ --dob 1984-03-12",
    "grep ⟦v⟧ employees.csv",
    "psql -c \"update employees set ssn='⟦v⟧' where id=⟦id⟧\"",
    "sotto hr lookup --social-security ⟦v⟧",
]
SSN_URL = [
    "https://hr.example.com/employees/search?ssn=⟦v⟧",
    "https://kyc.example.net/check?ssn=⟦v⟧&state=CA",
]
SSN_FIELDS = ["ssn", "social security number", "ss number", "taxpayer id", "employee ssn", "tin ssn"]


def gen_ssn():
    def mk(surr):
        p = ssn_parts()
        sep = C(["-", "-", "-", " ", ".", ""])
        if surr == "url" and sep == " ":
            sep = "-"
        written = ssn_join(p, sep)
        v = E("US_SSN", written)
        kw = _common_kw()
        prefix = "us_ssn-" + {"-": "dashes", " ": "spaces", ".": "dots", "": "plain"}[sep]
        if surr == "prose":
            pool = SSN_CTX_PROSE + (SSN_DASH_PROSE if sep == "-" else [])
            return prefix, prose(C(pool), v=v, **kw)
        if surr == "log":
            return prefix, F(C(SSN_LOG), p=log_prefix(), v=v, **kw)
        if surr == "shell":
            if sep == " ":
                return None
            return prefix, F(C(["$ ", ""]) + C(SSN_SHELL if sep == "-" else [s for s in SSN_SHELL if "ssn" in s.lower() or "social" in s]), v=v, **kw)
        if surr == "url":
            return prefix, F(C(SSN_URL), v=v, **kw)
        return prefix, structured(surr, C(SSN_FIELDS), v, table=(["Employee", "SSN", "State"], [f"E{rng.randint(100, 999)}", v, C(["CA", "NY", "TX", "WA"])]))
    produce(plan_of(140, {"prose": 5, "json": 2, "yaml": 1.2, "toml": 0.8, "env": 0.6, "shell": 1, "log": 1.6, "url": 0.8, "code": 1, "markdown": 1.2}), mk)
