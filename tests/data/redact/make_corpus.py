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
        return C(["changeme", "secret", "hunter2", "admin123", "P%40ssw0rd", "letmein", "qwerty"])
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
            "summer2024", "Winter!23", "abc123", "0420", "trustno1", "dragon", "iloveyou", "Kx9!", "pw", "m0nkey",
            "Welcome1", "test123", "root", "s3cr3t", "P@ssw0rd!"]


def secret_value(kind=None, spaces_ok=False):
    while True:
        v = _secret_value(kind, spaces_ok)
        if len(set(v)) > 1:
            return v


def _secret_value(kind=None, spaces_ok=False):
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
        return _pem("PRIVATE KEY", _pkcs8("1.3.101.112", fmt.der(0x04, rng.randbytes(32)), b"")), "pkcs8_ed25519"
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
    "twilio api:core:messages:create --from \"⟦twilio⟧\" --to \"⟦v⟧\" --body \"test\"",
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
            # Twilio's documented test "From" number is still a valid number:
            # masked like any other (judgement call 12).
            return prefix, F(C(["$ ", ""]) + C(PHONE_SHELL), v=v, twilio=E("PHONE", "+15005550006"), **kw)
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
    produce(plan_of(155, {"prose": 5, "json": 2, "yaml": 1.2, "toml": 0.8, "env": 0.6, "shell": 1, "log": 1.6, "url": 0.8, "code": 1, "markdown": 1.2}), mk)


# --------------------------------------------------------------------------
# IP_ADDRESS
# --------------------------------------------------------------------------
IP_PROSE = [
    "the server at ⟦v⟧ stopped responding after the update",
    "our office IP is ⟦v⟧, can you whitelist it?",
    "I'm connecting from ⟦v⟧ and get a 403 every time",
    "ping ⟦v⟧ works but the app can't reach it",
    "The NAS is on ⟦v⟧ (static lease) and sync fails.",
    "can you unblock ⟦v⟧? we got rate limited during the import",
    "DNS resolves to ⟦v⟧ which isn't ours!",
    "router admin page at ⟦v⟧ shows the device offline",
    "Our VPN hands out ⟦v⟧ as the gateway, is that a conflict?",
    "the printer got ⟦v⟧ again, same as the camera",
    "traceroute stops at ⟦v⟧",
    "We moved the DB to ⟦v⟧ last night.",
    "Die Firewall blockiert ⟦v⟧.",
]
IP_LOG = [
    "⟦p⟧connection from ⟦v⟧ port ⟦port⟧ closed",
    "⟦p⟧Failed password for invalid user admin from ⟦v⟧ port ⟦port⟧ ssh2",
    "⟦p⟧Accepted publickey for deploy from ⟦v⟧ port ⟦port⟧ ssh2: ED25519 SHA256:⟦fp⟧",
    "⟦p⟧upstream timed out (110: Connection timed out) while reading response header, client: ⟦v⟧, server: shop.example.com",
    "⟦p⟧rate limit exceeded ip=⟦v⟧ path=/login count=31",
    "⟦p⟧DHCPACK on ⟦v⟧ to ⟦mac⟧ via eth0",
    "⟦p⟧new peer ⟦v⟧ handshake complete",
    "⟦p⟧blocked request from ⟦v⟧: geo policy",
]
IP_SHELL4 = ["ping -c 4 ⟦v⟧", "curl -v http://⟦v⟧:8080/health", "nmap -sV -p 22,443 ⟦v⟧", "sudo iptables -A INPUT -s ⟦v⟧ -j DROP",
             "sudo ip addr add ⟦v⟧/24 dev eth0", "scp backup.tar root@⟦v⟧:/srv/backups/", "ssh -p 2222 deploy@⟦v⟧",
             "sudo ufw allow from ⟦v⟧ to any port 22", "docker run -d -p ⟦v⟧:8080:80 nginx", "telnet ⟦v⟧ 25", "mtr --report ⟦v⟧",
             "redis-cli -h ⟦v⟧ -p 6379 ping", "dig @⟦v⟧ example.com"]
IP_SHELL6 = ["ping -6 -c 3 ⟦v⟧", "curl -g -v 'http://[⟦v⟧]:8080/health'", "ssh deploy@⟦v⟧", "sudo ip -6 addr add ⟦v⟧/64 dev eth0",
             "nc -6 -zv ⟦v⟧ 443", "traceroute6 ⟦v⟧", "dig AAAA example.com @⟦v⟧"]
IP_URL4 = ["http://⟦v⟧:8080/admin", "https://⟦v⟧/api/health", "http://⟦v⟧/", "ws://⟦v⟧:9000/socket", "rtsp://⟦v⟧:554/stream1",
           "http://⟦v⟧:3000/d/abc123/overview?orgId=1", "ftp://⟦v⟧/pub/"]
IP_URL6 = ["http://[⟦v⟧]:8080/", "https://[⟦v⟧]/status", "http://[⟦v⟧]:9090/metrics", "ws://[⟦v⟧]:4000/live"]
IP_FIELDS = ["host", "server ip", "bind address", "gateway", "dns server", "upstream", "peer address", "client ip", "remote addr", "endpoint", "nameserver"]


def gen_ip():
    def mk(surr):
        v6 = chance(0.42)
        if v6:
            kind = C(["compressed", "compressed", "full", "loopback", "mapped", "zone", "upper", "global", "global", "ula"])
            addr = ipv6(kind)
            if surr == "url" and kind == "zone":
                return None
        else:
            kind = C(["public", "public", "public", "private10", "private172", "private192", "loopback", "doc", "cgnat", "linklocal"])
            addr = ipv4(kind)
        prefix = f"ip_address-{'v6' if v6 else 'v4'}-{kind}"
        v = E("IP_ADDRESS", addr)
        port = C([22, 80, 443, 5432, 6379, 8080, 8443, 9000, 3306, 51820])
        kw = dict(port=rng.randint(1024, 65535), fp=rand(B64[:-2], 43), mac=":".join(rand(HEX, 2) for _ in range(6)))
        if surr == "prose":
            if chance(.25):
                if v6:
                    return prefix, prose(C(["the API only answers on [⟦v⟧]:⟦pt⟧", "I can reach [⟦v⟧]:⟦pt⟧ from the office but not from home"]), v=v, pt=port)
                return prefix, prose(C(["the API only answers on ⟦v⟧:⟦pt⟧", "is ⟦v⟧:⟦pt⟧ supposed to be open to the internet?",
                                        "connection refused on ⟦v⟧:⟦pt⟧"]), v=v, pt=port)
            return prefix, prose(C(IP_PROSE), v=v)
        if surr == "log":
            if chance(.3):
                d = f"{rng.randint(1, 28):02d}/{C(MON)}/2024:{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d} +0000"
                return prefix, F(f'⟦v⟧ - - [{d}] "{C(["GET", "POST", "HEAD"])} {C(["/", "/api/v1/health", "/login", "/static/app.js", "/wp-login.php"])} HTTP/1.1" {C([200, 301, 404, 403, 502])} {rng.randint(0, 9000)} "-" "{C(["curl/8.4.0", "Mozilla/5.0 (X11; Linux x86_64)", "python-requests/2.31.0", "Go-http-client/1.1"])}"', v=v)
            if chance(.2):
                hp = cat("[", v, f"]:{port}") if v6 else cat(v, f":{port}")
                return prefix, F(C(["⟦p⟧listening on ⟦hp⟧", "⟦p⟧dial tcp ⟦hp⟧: connect: connection refused", "⟦p⟧proxying to ⟦hp⟧"]), p=log_prefix(), hp=hp)
            return prefix, F(C(IP_LOG), p=log_prefix(), v=v, **kw)
        if surr == "shell":
            return prefix, F(C(["$ ", "", "# "]) + C(IP_SHELL6 if v6 else IP_SHELL4), v=v)
        if surr == "url":
            return prefix, F(C(["", "", "open ", "bookmark: ", "the dashboard is at "]) + C(IP_URL6 if v6 else IP_URL4), v=v)
        if chance(.3):
            hp = cat("[", v, f"]:{port}") if v6 else cat(v, f":{port}")
            return prefix, structured(surr, C(["upstream", "listen", "addr", "endpoint", "proxy"]), hp)
        if chance(.1) and surr in ("yaml", "json", "toml", "env"):
            u = E("IP_ADDRESS", C(["0.0.0.0", "::"]))
            return "ip_address-unspecified", structured(surr, C(["bind address", "listen address", "host"]), u)
        return prefix, structured(surr, C(IP_FIELDS), v, table=(["Host", "Address", "Role"], [C(["db-1", "web-2", "gw", "nas"]), v, C(["primary", "replica", "edge"])]))
    produce(plan_of(215, {"prose": 3.5, "json": 1.5, "yaml": 1.5, "toml": 1, "env": 1, "shell": 2, "log": 3, "url": 1.5, "code": 1, "markdown": 1.2}), mk)


# --------------------------------------------------------------------------
# URL_CREDENTIALS
# --------------------------------------------------------------------------
URL_SCHEMES = [
    ("https", "https://⟦c⟧@⟦h⟧/dav/files/"), ("https", "https://⟦c⟧@⟦h⟧/api/v2/"), ("http", "http://⟦c⟧@⟦h⟧:8080/"),
    ("ftp", "ftp://⟦c⟧@⟦h⟧/pub/uploads/"), ("postgres", "postgres://⟦c⟧@⟦h⟧:5432/app?sslmode=require"),
    ("postgresql", "postgresql://⟦c⟧@⟦h⟧/reports"), ("mysql", "mysql://⟦c⟧@⟦h⟧:3306/shop"),
    ("mongodb", "mongodb://⟦c⟧@⟦h⟧:27017/app?authSource=admin"), ("mongodb+srv", "mongodb+srv://⟦c⟧@cluster0.x7k2p.mongodb.net/?retryWrites=true&w=majority"),
    ("redis", "redis://⟦c⟧@⟦h⟧:6379/0"), ("rediss", "rediss://⟦c⟧@⟦h⟧:6380"), ("amqp", "amqp://⟦c⟧@⟦h⟧:5672/%2F"),
    ("amqps", "amqps://⟦c⟧@⟦h⟧/prod"), ("mqtt", "mqtt://⟦c⟧@⟦h⟧:1883"), ("smtp", "smtp://⟦c⟧@⟦h⟧:587"),
    ("smtps", "smtps://⟦c⟧@⟦h⟧:465"), ("ldap", "ldap://⟦c⟧@⟦h⟧:389/dc=example,dc=com"),
    ("jdbc", "jdbc:postgresql://⟦c⟧@⟦h⟧:5432/inventory"), ("sftp", "sftp://⟦c⟧@⟦h⟧:22/upload/"),
    ("git", "https://⟦c⟧@⟦h⟧/team/backend.git"), ("proxy", "http://⟦c⟧@⟦h⟧:3128"), ("mssql", "mssql://⟦c⟧@⟦h⟧:1433/erp"),
    ("elasticsearch", "https://⟦c⟧@⟦h⟧:9200"), ("clickhouse", "clickhouse://⟦c⟧@⟦h⟧:9000/default"),
]
URLC_PROSE = [
    "the app connects with ⟦u⟧ and times out",
    "is it ok that our DATABASE_URL is ⟦u⟧? a colleague says it's insecure",
    "tried ⟦u⟧ from my laptop, auth failed",
    "Here's the connection string: ⟦u⟧",
    "I set the proxy to ⟦u⟧ but downloads still fail",
    "we mount ⟦u⟧ as a network drive",
    "Backups go to ⟦u⟧ every night.",
    "can't clone ⟦u⟧ - says repository not found",
]
URLC_LOG = [
    "⟦p⟧connecting to ⟦u⟧",
    "⟦p⟧ERROR could not connect to ⟦u⟧: connection refused",
    "⟦p⟧config: broker_url=⟦u⟧ retry=5",
    "⟦p⟧fatal: unable to access '⟦u⟧': The requested URL returned error: 403",
    "⟦p⟧Retrying (Retry(total=4)) after connection broken by ProxyError('Cannot connect to proxy.'): ⟦u⟧",
]
URLC_SHELL = [
    "psql \"⟦u⟧\" -c 'select 1'", "git clone ⟦u⟧", "mongosh \"⟦u⟧\"", "redis-cli -u ⟦u⟧ ping", "curl -x ⟦u⟧ https://example.com",
    "export DATABASE_URL='⟦u⟧'", "docker run -e BROKER_URL=⟦u⟧ worker:latest", "lftp ⟦u⟧", "duplicity /home ⟦u⟧",
    "git remote set-url origin ⟦u⟧",
]
URLC_FIELDS = ["database url", "url", "dsn", "broker url", "connection string", "uri", "remote", "proxy", "backup target", "mongo uri"]


def gen_urlcreds():
    def mk(surr):
        scheme, tpl = C(URL_SCHEMES)
        user = C(USERS)
        pw = url_password()
        if scheme == "redis" and chance(.5):
            user = "default"
        c = E("URL_CREDENTIALS", f"{user}:{pw}")
        if chance(0.15) and scheme not in ("mongodb+srv",):
            h = E("IP_ADDRESS", ipv4(C(["private10", "private192", "private172", "public", "doc"])))
        else:
            h = C(HOSTS) if scheme not in ("git",) else C(["git.example.com", "gitlab.example.org", "bitbucket.example.net"])
        u = F(tpl, c=c, h=h)
        prefix = f"url_credentials-{scheme.replace('+', '')}"
        if surr == "prose":
            return prefix, prose(C(URLC_PROSE), u=u)
        if surr == "log":
            return prefix, F(C(URLC_LOG), p=log_prefix(), u=u)
        if surr == "shell":
            return prefix, F(C(["$ ", ""]) + C(URLC_SHELL), u=u)
        if surr == "url":
            return prefix, u
        return prefix, structured(surr, C(URLC_FIELDS), u, table=(["Service", "URL"], [C(["primary db", "queue", "cache", "backups"]), u]))
    produce(plan_of(170, {"prose": 2, "json": 1.5, "yaml": 1.5, "toml": 1, "env": 2, "shell": 2, "log": 1.6, "url": 1.5, "code": 1.3, "markdown": 1}), mk)


# --------------------------------------------------------------------------
# API_KEY
# --------------------------------------------------------------------------
API_ENV = {"github": ["GITHUB_TOKEN", "GH_TOKEN", "GITHUB_PAT"], "gitlab": ["GITLAB_TOKEN", "CI_REGISTRATION_TOKEN", "GL_TOKEN"],
           "slack": ["SLACK_BOT_TOKEN", "SLACK_TOKEN", "SLACK_APP_TOKEN"], "stripe": ["STRIPE_SECRET_KEY", "STRIPE_API_KEY"],
           "openai": ["OPENAI_API_KEY"], "anthropic": ["ANTHROPIC_API_KEY", "CLAUDE_KEY"], "google": ["GOOGLE_API_KEY", "MAPS_KEY", "GOOGLE_CLIENT_SECRET"],
           "aws": ["AWS_ACCESS_KEY_ID"], "azure": ["AZURE_CLIENT_SECRET"], "huggingface": ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"],
           "pypi": ["TWINE_PASSWORD", "PYPI_TOKEN"], "npm": ["NPM_TOKEN", "NODE_AUTH_TOKEN"], "discord": ["DISCORD_TOKEN", "BOT_TOKEN"],
           "telegram": ["TELEGRAM_BOT_TOKEN", "TG_TOKEN"], "twilio": ["TWILIO_API_KEY"], "sendgrid": ["SENDGRID_API_KEY"],
           "shopify": ["SHOPIFY_ACCESS_TOKEN", "SHOPIFY_API_SECRET"], "digitalocean": ["DIGITALOCEAN_ACCESS_TOKEN", "DO_TOKEN"],
           "jwt": ["ACCESS_TOKEN", "JWT", "ID_TOKEN", "AUTH_TOKEN"]}
API_FIELD_NEUTRAL = ["value", "key", "token", "credential", "auth", "secret", "api key", "access token", "bot token", "pat"]
API_PROSE = [
    "here's my {d}: ⟦v⟧ can you check why it returns 401?",
    "I accidentally pasted ⟦v⟧ in a public channel, how do I revoke it",
    "getting 403 with ⟦v⟧ since this morning",
    "is ⟦v⟧ still valid? it was created by someone who left",
    "⟦v⟧ <- this one, the {d} from the staging project",
    "The {d} ⟦v⟧ stopped working after rotation.",
    "use ⟦v⟧ for now, I'll rotate it later",
    "our CI leaked ⟦v⟧ in the build log, what's the exposure?",
    "tried both ⟦v⟧ and the old one, same error",
    "⟦v⟧",
    "key: ⟦v⟧ (prod!!)",
    "Why does the dashboard say my {d} ⟦v⟧ is revoked? I never touched it",
    "found ⟦v⟧ hardcoded in an old branch, should we worry?",
]
API_LOG = [
    "⟦p⟧auth failed token=⟦v⟧ status=401",
    "⟦p⟧using credentials ⟦v⟧ for upstream",
    "⟦p⟧DEBUG headers={'Authorization': 'Bearer ⟦v⟧', 'Accept': 'application/json'}",
    "⟦p⟧loaded key from env: ⟦v⟧",
    "⟦p⟧request rejected: invalid api key \"⟦v⟧\"",
    "⟦p⟧secret scanning alert: ⟦v⟧ found in commit ⟦sha⟧",
]
API_SHELL = [
    "export {env}=⟦v⟧",
    "curl -H \"Authorization: Bearer ⟦v⟧\" https://api.example.com/v1/me",
    "{env}=⟦v⟧ ./run-integration-tests.sh",
    "gh secret set {env} --body \"⟦v⟧\"",
    "echo \"⟦v⟧\" > ~/.config/sotto/token",
    "docker run -e {env}=⟦v⟧ app:latest",
]
API_URL = ["https://api.example.com/v1/data?api_key=⟦v⟧&format=json", "https://hooks.example.net/ingest?token=⟦v⟧",
           "https://example.com/callback?access_token=⟦v⟧&state=xyz", "https://status.example.io/embed?key=⟦v⟧"]
# Family-specific contexts: (surrounding, template).  ⟦v⟧ is the key.
API_SPECIAL = {
    "github": [("shell", "git clone https://⟦v⟧@github.com/acme/internal-tools.git"), ("shell", "echo ⟦v⟧ | gh auth login --with-token"),
               ("yaml", "env:\n  GITHUB_TOKEN: ⟦v⟧\nsteps:\n  - uses: actions/checkout@v4\n"), ("url", "https://⟦v⟧@github.com/acme/app.git"),
               ("log", "⟦p⟧remote: Invalid username or token. Token ⟦v⟧ was revoked.")],
    "gitlab": [("shell", "curl --header \"PRIVATE-TOKEN: ⟦v⟧\" \"https://gitlab.example.com/api/v4/projects\""),
               ("toml", "[[runners]]\n  name = \"build-01\"\n  url = \"https://gitlab.example.com\"\n  token = \"⟦v⟧\"\n  executor = \"docker\"\n"),
               ("shell", "gitlab-runner register --url https://gitlab.example.com --token ⟦v⟧ --executor shell"),
               ("url", "https://gitlab.example.com/api/v4/projects/42/trigger/pipeline?token=⟦v⟧&ref=main")],
    "slack": [("shell", "curl -X POST -H 'Content-type: application/json' --data '{\"text\":\"deploy done\"}' ⟦v⟧"),
              ("shell", "curl -H \"Authorization: Bearer ⟦v⟧\" https://slack.com/api/auth.test")],
    "stripe": [("shell", "curl https://api.stripe.com/v1/charges -u ⟦v⟧: -d amount=2000"), ("code", "stripe.api_key = \"⟦v⟧\"\n"),
               ("shell", "stripe listen --api-key ⟦v⟧ --forward-to localhost:4242/webhook")],
    "openai": [("code", "client = OpenAI(api_key=\"⟦v⟧\")\n"), ("shell", "curl https://api.openai.com/v1/models -H \"Authorization: Bearer ⟦v⟧\"")],
    "anthropic": [("shell", "curl https://api.anthropic.com/v1/messages -H \"x-api-key: ⟦v⟧\" -H \"anthropic-version: 2023-06-01\""),
                  ("code", "client = anthropic.Anthropic(api_key=\"⟦v⟧\")\n")],
    "google": [("url", "https://maps.googleapis.com/maps/api/geocode/json?address=Berlin&key=⟦v⟧"),
               ("code", "<script src=\"https://maps.googleapis.com/maps/api/js?key=⟦v⟧&callback=initMap\"></script>\n")],
    "aws": [("toml", "[default]\naws_access_key_id = ⟦v⟧\nregion = eu-central-1\n"), ("shell", "aws configure set aws_access_key_id ⟦v⟧"),
            ("log", "⟦p⟧AccessDenied: User is not authorized (access key ⟦v⟧)")],
    "huggingface": [("shell", "huggingface-cli login --token ⟦v⟧"), ("code", "login(token=\"⟦v⟧\")\n")],
    "pypi": [("toml", "[pypi]\nusername = __token__\npassword = ⟦v⟧\n"), ("shell", "twine upload -u __token__ -p ⟦v⟧ dist/*")],
    "npm": [("env", "//registry.npmjs.org/:_authToken=⟦v⟧\n"), ("shell", "npm config set //registry.npmjs.org/:_authToken ⟦v⟧")],
    "discord": [("shell", "curl -H \"Authorization: Bot ⟦v⟧\" https://discord.com/api/v10/users/@me"), ("code", "client.run(\"⟦v⟧\")\n")],
    "telegram": [("url", "https://api.telegram.org/bot⟦v⟧/sendMessage?chat_id=-100123&text=hi"),
                 ("shell", "curl \"https://api.telegram.org/bot⟦v⟧/getUpdates\""), ("log", "⟦p⟧POST https://api.telegram.org/bot⟦v⟧/sendMessage 409 Conflict")],
    "shopify": [("shell", "curl -H \"X-Shopify-Access-Token: ⟦v⟧\" https://acme.myshopify.com/admin/api/2024-04/shop.json")],
    "digitalocean": [("shell", "doctl auth init --access-token ⟦v⟧")],
    "sendgrid": [("shell", "curl --request POST --url https://api.sendgrid.com/v3/mail/send --header \"Authorization: Bearer ⟦v⟧\"")],
    "jwt": [("shell", "curl -H \"Authorization: Bearer ⟦v⟧\" https://api.example.com/orders"), ("log", "⟦p⟧Cookie: session=⟦v⟧; theme=dark"),
            ("prose", "the token in localStorage is ⟦v⟧, is that expected?"), ("url", "https://app.example.com/sso/callback#id_token=⟦v⟧&state=af0ifjsldkj")],
}
AZURE_ACCOUNTS = ["acmeprodstore", "nordwindbackups", "stsottologs01", "fabrikamdata"]


def api_key_case(surr, family):
    gen, _, desc = API_FAMILIES[family]
    kw = dict(sha=sha(), env=C(API_ENV.get(family, ["API_KEY"])), p=log_prefix())
    if family == "azure":
        sub = C(["storage", "sas", "entra", "entra"])
        v = E("API_KEY", k_azure(sub))
        if sub == "storage":
            cs = F(f"DefaultEndpointsProtocol=https;AccountName={C(AZURE_ACCOUNTS)};AccountKey=⟦v⟧;EndpointSuffix=core.windows.net", v=v)
            if surr in ("prose",):
                return "api_key-azure-storage", prose(C(["our storage connection string is ⟦cs⟧, uploads fail with 403", "⟦cs⟧\nthis is the one from the portal"]), cs=cs)
            if surr == "log":
                return "api_key-azure-storage", F("⟦p⟧init blob client conn=⟦cs⟧", p=kw["p"], cs=cs)
            if surr == "shell":
                return "api_key-azure-storage", F(C(["az storage blob list -c logs --connection-string \"⟦cs⟧\"", "export AZURE_STORAGE_CONNECTION_STRING=\"⟦cs⟧\""]), cs=cs)
            if surr == "url":
                return None
            return "api_key-azure-storage", structured(surr, C(["storage connection string", "azure storage", "connection string"]), cs)
        if sub == "sas":
            acct = C(AZURE_ACCOUNTS)
            url = F(f"https://{acct}.blob.core.windows.net/{C(['exports', 'logs', 'backups'])}/{C(['report.csv', 'db.bak', 'app.log'])}?sv=2022-11-02&ss=b&srt=o&sp={C(['r', 'rl', 'rwdlac'])}&se=2025-0{rng.randint(1, 9)}-01T00:00:00Z&st=2024-0{rng.randint(1, 9)}-01T00:00:00Z&spr=https&sig=⟦v⟧", v=v)
            if surr == "prose":
                return "api_key-azure-sas", prose(C(["download link: ⟦u⟧", "the SAS url ⟦u⟧ gives AuthenticationFailed"]), u=url)
            if surr == "log":
                return "api_key-azure-sas", F("⟦p⟧GET ⟦u⟧ 403", p=kw["p"], u=url)
            if surr == "shell":
                return "api_key-azure-sas", F("azcopy copy \"⟦u⟧\" ./local/", u=url)
            if surr == "url":
                return "api_key-azure-sas", url
            return "api_key-azure-sas", structured(surr, C(["sas url", "export url", "blob url"]), url)
        fam_prefix = "api_key-azure-entra"
        if surr in ("json", "yaml", "toml", "env", "code", "markdown"):
            return fam_prefix, structured(surr, C(["client secret", "azure client secret", "value", "secret"]), v)
    else:
        v = E("API_KEY", gen())
        fam_prefix = f"api_key-{family}"
    specials = [t for s, t in API_SPECIAL.get(family, []) if s == surr]
    if specials and chance(0.5):
        tpl = C(specials)
        return fam_prefix, (prose(tpl, v=v, **kw) if surr == "prose" else F(tpl, v=v, **kw))
    if surr == "prose":
        return fam_prefix, prose(C(API_PROSE).replace("{d}", desc), v=v, **kw)
    if surr == "log":
        return fam_prefix, F(C(API_LOG), v=v, **kw)
    if surr == "shell":
        return fam_prefix, F(C(["$ ", ""]) + C(API_SHELL).replace("{env}", kw["env"]), v=v)
    if surr == "url":
        if family == "slack" and v.value.startswith("https://"):
            return fam_prefix, F(C(["⟦v⟧", "webhook: ⟦v⟧"]), v=v)
        return fam_prefix, F(C(API_URL), v=v)
    if surr == "env" and chance(.7):
        return fam_prefix, kv_env(kw["env"].lower().replace("_", " "), v)
    field = C([desc.lower(), C(API_FIELD_NEUTRAL), kw["env"].lower().replace("_", " ")])
    return fam_prefix, structured(surr, field, v, table=(["Service", "Key"], [desc, v]))


def gen_api_keys():
    surrs = ["prose", "json", "yaml", "toml", "env", "shell", "log", "url", "code", "markdown"]
    weights = [3, 1.5, 1.2, 0.8, 2, 2, 1.5, 0.7, 1.5, 1]
    for family, (_, n, _) in API_FAMILIES.items():
        i = 0
        made = 0
        while made < n:
            i += 1
            assert i < n * 40, family
            surr = rng.choices(surrs, weights)[0]
            res = api_key_case(surr, family)
            if res and add(res[0], surr, res[1]):
                made += 1
    # HTTP Authorization header values: Bearer <opaque>, Basic <base64>, and JWTs after Bearer.
    for fam, n in (("bearer", 22), ("basic", 20)):
        made = 0
        while made < n:
            surr = C(["shell", "shell", "log", "prose", "markdown", "code", "json", "yaml"])
            v = E("API_KEY", k_bearer() if fam == "bearer" else k_basic())
            word = "Bearer" if fam == "bearer" else "Basic"
            h = F(f"{C(['Authorization', 'authorization', 'Proxy-Authorization'])}: {word} ⟦v⟧", v=v)
            if surr == "shell":
                fr = F(C(["curl -s -H '⟦h⟧' https://api.example.com/v2/items", "http GET https://api.example.com/me '⟦h⟧'",
                          "wget --header='⟦h⟧' https://files.example.com/export.zip"]), h=h)
            elif surr == "log":
                fr = F("⟦p⟧> GET /v1/sync HTTP/1.1\n> Host: api.example.com\n> ⟦h⟧\n> User-Agent: sotto/⟦ver⟧", p=log_prefix(), h=h, ver=version())
            elif surr == "prose":
                fr = prose(C(["I'm sending ⟦h⟧ and still get 401", "the header is literally `⟦h⟧`, what am I missing?",
                              "postman shows ⟦h⟧ in the request but the server says missing credentials"]), h=h)
            elif surr == "markdown":
                fr = cat("Request that fails:\n\n```http\nGET /api/reports HTTP/1.1\nHost: reports.example.com\n", h, "\nAccept: */*\n```\n")
            elif surr == "code":
                fr = F(C(["headers = {\"Authorization\": \"" + word + " ⟦v⟧\"}\n", "req.Header.Set(\"Authorization\", \"" + word + " ⟦v⟧\")\n",
                          "fetch(url, { headers: { Authorization: '" + word + " ⟦v⟧' } });\n"]), v=v)
            elif surr == "json":
                fr = F('{"method": "GET", "url": "/v1/items", "headers": {"Authorization": "' + word + ' ⟦v⟧", "Accept": "application/json"}}', v=v)
            else:
                fr = F("http:\n  headers:\n    Authorization: \"" + word + " ⟦v⟧\"\n  timeout: 30s\n", v=v)
            if add(f"api_key-{fam}", surr, fr):
                made += 1


# --------------------------------------------------------------------------
# SECRET (identified by context only)
# --------------------------------------------------------------------------
SECRET_PROSE = [
    ("password", "my password is ⟦v⟧"), ("password", "the wifi pw is ⟦v⟧ btw"), ("password", "pw: ⟦v⟧"),
    ("password", "I reset the admin password to \"⟦v⟧\" but it still says invalid"), ("passphrase", "passphrase for the key is ⟦v⟧"),
    ("api_key", "the api key they gave us is ⟦v⟧, is that the right format?"), ("password", "try logging in with admin / password ⟦v⟧"),
    ("token", "token ⟦v⟧ expired? it's only 2 days old"), ("client_secret", "client secret: ⟦v⟧"), ("password", "Das Passwort lautet ⟦v⟧"),
    ("password", "le mot de passe est ⟦v⟧"), ("password", "new password: ⟦v⟧ (please don't tell anyone lol)"),
    ("password", "username is frontdesk, password '⟦v⟧'"), ("secret", "the webhook signing secret is ⟦v⟧ according to the dashboard"),
    ("password", "I can't remember if it's ⟦v⟧ or something else, my password i mean"), ("pin", "pin: ⟦v⟧"),
    ("password", "The database password ⟦v⟧ doesn't work from the new server."), ("password", "my pass is ⟦v⟧"),
    ("access_key", "access key ⟦v⟧ is the one for the reporting user"), ("credentials", "credentials: reporting / ⟦v⟧"),
    ("token", "here is the auth token ⟦v⟧ from the vendor portal"), ("password", "Password ⟦v⟧ was rejected as 'too weak', seriously?"),
    ("password", "set the root pwd to ⟦v⟧ for now"), ("secret", "shared secret for the radius server = ⟦v⟧"),
]
SECRET_FIELDS = {
    "password": ["password", "db password", "admin password", "passwd", "pwd", "pass", "smtp password", "root password", "user password", "mysql root password"],
    "secret": ["secret", "secret key", "signing secret", "webhook secret", "app secret", "jwt secret", "session secret"],
    "token": ["token", "auth token", "refresh token", "access token", "api token"],
    "api_key": ["api key", "apikey", "api_key", "x api key"],
    "client_secret": ["client secret", "oauth client secret"],
    "passphrase": ["passphrase", "key passphrase", "gpg passphrase"],
    "credentials": ["credentials", "credential"],
    "access_key": ["access key", "secret access key"],
}
SECRET_LOG = [
    ("password", "⟦p⟧login failed user=bob password=⟦v⟧"),
    ("password", "⟦p⟧DEBUG config loaded: {'host': 'db', 'user': 'app', 'db_password': '⟦v⟧'}"),
    ("api_key", "⟦p⟧> X-API-Key: ⟦v⟧"),
    ("password", "⟦p⟧POST /login body=username=alice&password=⟦v⟧"),
    ("password", "⟦p⟧env SMTP_PASS=⟦v⟧"),
    ("token", "⟦p⟧retrying with token=⟦v⟧"),
    ("secret", "⟦p⟧WARN client_secret=⟦v⟧ passed on command line"),
    ("password", "⟦p⟧mysql: [Warning] Using a password on the command line interface can be insecure. cmd: mysql -uroot -p⟦v⟧"),
]
SECRET_URL = [
    ("password", "https://portal.example.com/login?user=bob&password=⟦v⟧"), ("api_key", "https://api.example.com/v1/search?q=shoes&api_key=⟦v⟧"),
    ("token", "https://example.org/export.csv?token=⟦v⟧"), ("password", "jdbc:mysql://db.example.com:3306/shop?user=app&password=⟦v⟧&useSSL=true"),
    ("password", "jdbc:sqlserver://sql01.example.com:1433;databaseName=erp;user=sa;password=⟦v⟧;encrypt=true"),
    ("api_key", "https://legacy.example.net/feed.xml?apikey=⟦v⟧"),
]


def _shell_q(v):
    return v if re.fullmatch(r"[\w.\-/:=+,@%]+", v) else None


SECRET_SHELL = [
    ("password", "mysql -u root -p⟦v⟧ shop"), ("password", "mysqladmin -u root --password=⟦v⟧ status"),
    ("password", "docker login -u deploy -p ⟦v⟧ registry.example.com"), ("password", "sshpass -p '⟦v⟧' ssh deploy@build.example.com"),
    ("password", "redis-cli -a ⟦v⟧ ping"), ("password", "PGPASSWORD=⟦v⟧ psql -h db.internal.example.com -U app shop"),
    ("token", "./deploy.sh --token ⟦v⟧ --env prod"), ("password", "curl -u alice:⟦v⟧ https://dav.example.com/remote.php"),
    ("password", "htpasswd -b -c .htpasswd admin ⟦v⟧"), ("password", "openssl pkcs12 -export -in cert.pem -inkey key.pem -out bundle.p12 -passout pass:⟦v⟧"),
    ("password", "./backup --password ⟦v⟧ --target s3"), ("api_key", "./sync --api-key=⟦v⟧"),
    ("password", "vault login -method=userpass username=bob password=⟦v⟧"), ("password", "kubectl create secret generic db --from-literal=password=⟦v⟧"),
    ("token", "sotto login --token=⟦v⟧"), ("secret", "export CLIENT_SECRET=⟦v⟧"), ("password", "net use Z: \\\\fileserver\\share /user:CORP\\bob ⟦v⟧"),
    ("api_key", "curl -H 'X-API-Key: ⟦v⟧' https://api.example.com/v1/stats"), ("token", "curl -H \"X-Auth-Token: ⟦v⟧\" https://monitor.example.com/api"),
]
CONNSTR = [
    "Server=tcp:sql-prod.example.net,1433;Initial Catalog=shop;User ID=app;Password=⟦v⟧;Encrypt=True;",
    "Host=db.internal.example.com;Port=5432;Username=app;Password=⟦v⟧;Database=orders",
    "Driver={ODBC Driver 18 for SQL Server};Server=sql01;Database=erp;UID=sa;PWD=⟦v⟧;",
    "User Id=scott;Password=⟦v⟧;Data Source=orcl.example.com:1521/ORCLPDB1",
    "Data Source=reports;Initial Catalog=finance;User Id=readonly;Pwd=⟦v⟧",
]


def gen_secret():
    def mk(surr):
        k = rng.randrange(10)
        if k == 0 and surr in ("json", "yaml", "toml", "env", "code", "shell", "markdown", "prose", "log"):
            # AWS secret access key after its own name.
            v = E("SECRET", secret_value("aws") if chance(.85) else "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
            if surr == "toml":
                return "secret-aws", F("[default]\naws_access_key_id = ⟦a⟧\naws_secret_access_key = ⟦v⟧\n", a=E("API_KEY", k_aws()), v=v)
            if surr == "shell":
                return "secret-aws", F(C(["aws configure set aws_secret_access_key ⟦v⟧", "export AWS_SECRET_ACCESS_KEY=⟦v⟧"]), v=v)
            if surr == "prose":
                return "secret-aws", prose("aws_secret_access_key is ⟦v⟧ - the access key works but this gives SignatureDoesNotMatch", v=v)
            if surr == "log":
                return "secret-aws", F("⟦p⟧boto: found credentials in environment, AWS_SECRET_ACCESS_KEY=⟦v⟧", p=log_prefix(), v=v)
            return "secret-aws", structured(surr, C(["aws secret access key", "secret access key"]), v)
        if k == 1 and surr in ("json", "env", "code", "yaml", "markdown", "toml"):
            v = E("SECRET", secret_value(C(["mixed", "alnum", "short"])))
            cs = F(C(CONNSTR), v=v)
            return "secret-connstr", structured(surr, C(["connection string", "default connection", "db"]), cs)
        if k == 2 and surr in ("env", "json", "yaml", "code", "shell"):
            v = E("SECRET", rand(HEX, 32))
            if surr == "shell":
                return "secret-twilio-auth", F("curl -X POST https://api.twilio.com/2010-04-01/Accounts/AC⟦sid⟧/Messages.json -u AC⟦sid⟧:⟦v⟧", sid=rand(HEX, 32), v=v)
            return "secret-twilio-auth", structured(surr, C(["twilio auth token", "auth token"]), v)
        ctx = None
        if surr == "prose":
            ctx, tpl = C(SECRET_PROSE)
            v = E("SECRET", secret_value(C(["short", "short", "mixed", "words", "pin"]) if ctx in ("password", "pin", "passphrase") else C(["hex", "b64", "alnum", "uuid", "mixed"]), spaces_ok="\"" in tpl or "'" in tpl))
            if ctx == "pin":
                v = E("SECRET", secret_value("pin"))
            return f"secret-{ctx}", prose(tpl, v=v)
        if surr == "log":
            ctx, tpl = C(SECRET_LOG)
        elif surr == "url":
            ctx, tpl = C(SECRET_URL)
        elif surr == "shell":
            ctx, tpl = C(SECRET_SHELL)
        if tpl_needed := surr in ("log", "url", "shell"):
            kind = C(["short", "mixed", "alnum", "hex"]) if ctx == "password" else C(["hex", "b64", "alnum", "mixed"])
            val = secret_value(kind)
            if surr in ("url", "shell", "log") and not _shell_q(val):
                val = rand(ALNUM, rng.randint(8, 20))
            if surr == "url" and "jdbc:sqlserver" in tpl and ";" in val:
                return None
            return f"secret-{ctx}", F(tpl, v=E("SECRET", val), p=log_prefix())
        assert not tpl_needed
        ctx = C(list(SECRET_FIELDS))
        field = C(SECRET_FIELDS[ctx])
        kind = C(["short", "short", "mixed", "words", "pin"]) if ctx in ("password", "passphrase") else C(["hex", "b64", "alnum", "uuid", "mixed"])
        val = secret_value(kind)
        if surr == "yaml" and (val[0] in "!&*@%`{[|>'\"#-?:,." or ": " in val or " #" in val):
            val = rand(ALNUM, 14)
        return f"secret-{ctx}", structured(surr, field, E("SECRET", val), table=(["Service", "User", "Password"], [C(["wifi", "router", "nas", "staging db"]), C(["admin", "guest", "app"]), E("SECRET", val)]))
    produce(plan_of(260, {"prose": 4, "json": 2.5, "yaml": 2.2, "toml": 1.5, "env": 2.5, "shell": 2.5, "log": 1.8, "url": 1.2, "code": 2, "markdown": 1.3}), mk)


# --------------------------------------------------------------------------
# PRIVATE_KEY
# --------------------------------------------------------------------------
def _indent(s, n):
    return "\n".join(" " * n + line if line else line for line in s.split("\n"))


def gen_private_key():
    def mk(surr):
        key, kind = private_key()
        age = kind == "age"
        prefix = f"private_key-{kind}"
        if surr == "json":
            if age:
                return prefix, kv_json(C(["age key", "sops age key", "identity"]), E("PRIVATE_KEY", key))
            esc = E("PRIVATE_KEY", key.replace("\n", "\\n"))
            if chance(.6):
                proj = C(["acme-prod-4412", "sotto-ci", "reports-287310"])
                em = E("EMAIL", f"{C(['deployer', 'ci-runner', 'etl'])}@{proj}.iam.gserviceaccount.com")
                return prefix, F('{\n  "type": "service_account",\n  "project_id": "' + proj + '",\n  "private_key_id": "' + sha() +
                                 '",\n  "private_key": "⟦k⟧\\n",\n  "client_email": "⟦e⟧",\n  "client_id": "' + str(rng.randint(10 ** 20, 10 ** 21)) +
                                 '",\n  "token_uri": "https://oauth2.googleapis.com/token"\n}', k=esc, e=em)
            return prefix, kv_json(C(["private key", "ssh key", "signing key", "tls key"]), esc)
        if surr == "yaml":
            if age:
                return prefix, F("creation_rules:\n  - path_regex: secrets/.*\n# key for CI: ⟦k⟧\n", k=E("PRIVATE_KEY", key)) if chance(.3) else kv_yaml("age key", E("PRIVATE_KEY", key))
            n = C([2, 4])
            body = E("PRIVATE_KEY", _indent(key, n).lstrip())
            return prefix, C([
                lambda: F("apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls-cert\ntype: kubernetes.io/tls\nstringData:\n  tls.key: |\n" + " " * n + "⟦k⟧\n", k=E("PRIVATE_KEY", _indent(key, n).lstrip())) if n == 4 else None,
                lambda: F("deploy:\n  ssh_private_key: |\n" + " " * 4 + "⟦k⟧\n  host: build.example.com\n", k=E("PRIVATE_KEY", _indent(key, 4).lstrip())),
                lambda: F("signing_key: |\n" + " " * n + "⟦k⟧\n", k=body),
            ])() or F("signing_key: |\n" + " " * n + "⟦k⟧\n", k=body)
        if surr == "toml":
            if age:
                return prefix, kv_toml("identity", E("PRIVATE_KEY", key))
            return prefix, F(f"[{C(['tls', 'ssh', 'signing'])}]\ncert = \"cert.pem\"\nkey = \"\"\"\n⟦k⟧\n\"\"\"\n", k=E("PRIVATE_KEY", key))
        if surr == "env":
            if age:
                return prefix, kv_env(C(["sops age key", "age secret key", "age identity"]), E("PRIVATE_KEY", key))
            if chance(.5):
                return prefix, F(f"{C(['PRIVATE_KEY', 'SSH_KEY', 'JWT_PRIVATE_KEY', 'TLS_KEY'])}=\"⟦k⟧\"\n", k=E("PRIVATE_KEY", key.replace("\n", "\\n")))
            return prefix, F(f"{C(['PRIVATE_KEY', 'DEPLOY_KEY', 'SIGNING_KEY'])}=\"⟦k⟧\"\nAPP_ENV=production\n", k=E("PRIVATE_KEY", key))
        if surr == "shell":
            if age:
                return prefix, F(C(["export SOPS_AGE_KEY=⟦k⟧", "echo ⟦k⟧ > ~/.config/sops/age/keys.txt", "age -d -i <(echo ⟦k⟧) secrets.env.age"]), k=E("PRIVATE_KEY", key))
            return prefix, F(C(["cat > ~/.ssh/id_deploy <<'EOF'\n⟦k⟧\nEOF\nchmod 600 ~/.ssh/id_deploy", "$ cat server.key\n⟦k⟧\n$ openssl rsa -in server.key -check",
                                 "tee /etc/ssl/private/app.key >/dev/null <<EOF\n⟦k⟧\nEOF"]), k=E("PRIVATE_KEY", key))
        if surr == "log":
            if age:
                return prefix, F("⟦p⟧sops: using identity ⟦k⟧ from SOPS_AGE_KEY", p=log_prefix(), k=E("PRIVATE_KEY", key))
            if chance(.5):
                return prefix, F("⟦p⟧ERROR failed to parse key material: \"⟦k⟧\"", p=log_prefix(), k=E("PRIVATE_KEY", key.replace("\n", "\\n")))
            return prefix, F("⟦p⟧loaded signing key:\n⟦k⟧", p=log_prefix(), k=E("PRIVATE_KEY", key))
        if surr == "code":
            k = E("PRIVATE_KEY", key)
            if age:
                return prefix, kv_code("age identity", k)[0]
            return prefix, F(C(["PRIVATE_KEY = \"\"\"⟦k⟧\n\"\"\"\n", "const PEM: &str = r#\"⟦k⟧\"#;\n", "var signingKey = []byte(`⟦k⟧`)\n",
                                 "const key = `⟦k⟧`;\n", "private static final String PEM = \"\"\"\n⟦k⟧\n\"\"\";\n"]), k=k)
        if surr == "markdown":
            k = E("PRIVATE_KEY", key)
            return prefix, F(C(["Here's the key that fails:\n\n```\n⟦k⟧\n```\n", "```pem\n⟦k⟧\n```\n\nssh says `invalid format`",
                                 "### Repro\n1. save this as `id_test`:\n\n```text\n⟦k⟧\n```\n2. run `ssh -i id_test host`"]), k=k)
        k = E("PRIVATE_KEY", key)
        return prefix, prose(C(["here's the key, it's the one from the old server:\n⟦k⟧\nwhy does it say invalid format?",
                                "⟦k⟧\n\nthis is what's in the file, is it corrupted?", "My key:\n\n⟦k⟧\n\nthe passphrase prompt never shows",
                                "can you check this key ⟦k⟧ thanks" if age else "pasting the key so you can check:\n⟦k⟧"]), k=k)
    produce(plan_of(155, {"prose": 2, "json": 2, "yaml": 1.5, "toml": 0.8, "env": 1.5, "shell": 1.5, "log": 1, "code": 1.5, "markdown": 1.2}), mk)


# --------------------------------------------------------------------------
# CRYPTO_WALLET
# --------------------------------------------------------------------------
WAL_PROSE = [
    "send the refund to my BTC address ⟦v⟧ please", "ETH: ⟦v⟧", "donations welcome: ⟦v⟧",
    "I sent 0.05 BTC to ⟦v⟧ but it never arrived, txid ⟦tx⟧", "our treasury wallet is ⟦v⟧",
    "can I pay the invoice in crypto? my wallet is ⟦v⟧", "payout address changed to ⟦v⟧ - was that you?",
    "the withdrawal went to ⟦v⟧ which is NOT my address!!", "is ⟦v⟧ a valid address? the app says no",
]
WAL_LOG = ["⟦p⟧withdrawal ⟦id⟧ to ⟦v⟧ amount=0.25 status=broadcast", "⟦p⟧deposit detected address=⟦v⟧ confirmations=3",
           "⟦p⟧invalid payout address \"⟦v⟧\" rejected by policy", "⟦p⟧sweeping hot wallet -> ⟦v⟧"]
WAL_SHELL_BTC = ["bitcoin-cli sendtoaddress ⟦v⟧ 0.01", "bitcoin-cli getaddressinfo ⟦v⟧", "electrum payto ⟦v⟧ 0.002"]
WAL_SHELL_ETH = ["cast balance ⟦v⟧ --rpc-url https://rpc.example.org", "cast send ⟦v⟧ --value 0.1ether", "geth attach --exec 'eth.getBalance(\"⟦v⟧\")'"]
WAL_FIELDS = ["payout address", "wallet", "btc address", "eth address", "deposit address", "treasury", "recipient"]


def gen_wallet():
    def mk(surr):
        addr, kind = wallet()
        v = E("CRYPTO_WALLET", addr)
        eth = kind.startswith("eth")
        prefix = f"crypto_wallet-{kind}"
        kw = dict(tx=sha(64), id=rng.randint(1000, 99999), p=log_prefix())
        if surr == "prose":
            return prefix, prose(C(WAL_PROSE), v=v, **kw)
        if surr == "log":
            return prefix, F(C(WAL_LOG), v=v, **kw)
        if surr == "shell":
            return prefix, F(C(WAL_SHELL_ETH if eth else WAL_SHELL_BTC), v=v)
        if surr == "url":
            if eth:
                return prefix, F(C(["ethereum:⟦v⟧@1?value=1e16", "https://etherscan.io/address/⟦v⟧", "https://etherscan.io/address/⟦v⟧#tokentxns"]), v=v)
            return prefix, F(C(["bitcoin:⟦v⟧?amount=0.0015&label=Invoice%20" + str(rng.randint(1000, 9999)), "https://mempool.space/address/⟦v⟧",
                                "https://blockstream.info/address/⟦v⟧", "bitcoin:⟦v⟧"]), v=v)
        return prefix, structured(surr, C(WAL_FIELDS), v, table=(["Coin", "Address", "Label"], ["ETH" if eth else "BTC", v, C(["cold", "hot", "payroll"])]))
    produce(plan_of(180, {"prose": 3.5, "json": 2, "yaml": 1.2, "toml": 0.8, "env": 1, "shell": 1.3, "log": 1.5, "url": 1.6, "code": 1.2, "markdown": 1.3}), mk)


# --------------------------------------------------------------------------
# PERSON_NAME and STREET_ADDRESS (cued only)
# --------------------------------------------------------------------------
def gen_names_addresses():
    def mk_name(surr):
        n = E("PERSON_NAME", full_name()[0])
        if surr == "prose":
            if chance(.35):
                body = C(["The export still fails on the second page.", "Could you check the invoice again?", "thanks for the quick fix!", "Any update on this?"])
                return "person_name-signature", F(body + "\n\n" + C(["Regards,\n⟦n⟧", "Best,\n⟦n⟧", "Thanks!\n\n⟦n⟧", "Kind regards,\n⟦n⟧\nHead of Operations", "Cheers,\n⟦n⟧"]), n=n)
            return "person_name-cue", prose(C(["my name is ⟦n⟧ and I can't log in", "Dear ⟦n⟧,\n\nthank you for your patience.", "Hi, this is ⟦n⟧ from accounts payable.",
                                               "customer: ⟦n⟧, order ⟦o⟧", "The account holder is ⟦n⟧.", "Mein Name ist ⟦n⟧.", "je m'appelle ⟦n⟧", "Name: ⟦n⟧",
                                               "I'm ⟦n⟧, the admin of our workspace"]), n=n, o=order_no())
        if surr == "log":
            return "person_name-cue", F(C(["⟦p⟧order ⟦o⟧ customer=\"⟦n⟧\" status=shipped", "⟦p⟧new signup name=\"⟦n⟧\" plan=pro"]), p=log_prefix(), n=n, o=order_no())
        if surr == "toml":
            return "person_name-cue", F('[package]\nname = "fastparse"\nversion = "' + version().lstrip("v") + '"\nauthors = ["⟦n⟧"]\n', n=n)
        return "person_name-cue", structured(surr, C(["customer name", "full name", "name", "account holder", "ship to name"]), n,
                                             table=(["Name", "Role"], [n, C(["Owner", "Admin", "Billing contact"])]))

    def mk_addr(surr):
        country = C(sorted(STREETS))
        multi = surr in ("prose", "markdown") and chance(.4)
        a = E("STREET_ADDRESS", street_address(country, multi))
        pre = f"street_address-{country.lower()}"
        if surr == "prose":
            if multi:
                return pre, prose(C(["Ship to:\n⟦a⟧", "billing address:\n⟦a⟧\n\n(not the same as delivery)", "Please update my address to\n⟦a⟧"]), a=a)
            return pre, prose(C(["I live at ⟦a⟧ and the parcel went elsewhere", "billing address: ⟦a⟧", "ship to ⟦a⟧ please",
                                 "my new address is ⟦a⟧", "Deliver to ⟦a⟧, ring twice.", "the invoice still says ⟦a⟧ - I moved!"]), a=a)
        if surr == "markdown" and multi:
            return pre, F("**Shipping address**\n\n```\n⟦a⟧\n```\n", a=a)
        if surr == "log":
            return pre, F("⟦p⟧label created ship_to=\"⟦a⟧\" carrier=dhl", p=log_prefix(), a=a)
        return pre, structured(surr, C(["shipping address", "billing address", "home address", "address", "ship to"]), a,
                               table=(["Type", "Address"], [C(["Billing", "Shipping", "Home"]), a]))
    produce(plan_of(80, {"prose": 4, "json": 2, "yaml": 1.5, "toml": 0.7, "log": 1, "code": 1, "markdown": 1.2}), mk_name)
    produce(plan_of(75, {"prose": 4, "json": 2, "yaml": 1.5, "toml": 0.7, "log": 1, "code": 1, "markdown": 1.2}), mk_addr)


# --------------------------------------------------------------------------
# Several entities in one case
# --------------------------------------------------------------------------
def gen_multi():
    def signature(surr):
        name, f, l = full_name()
        region = C(PHONE_REGIONS)
        ph, _ = phone_written(region, C(["intl", "e164", "national"]))
        em = email_value(f, l)
        parts = [F("⟦n⟧", n=E("PERSON_NAME", name)), C([f"{C(['Support Engineer', 'CFO', 'Office Manager', 'Founder'])}, {C(COMPANIES)}", C(COMPANIES)])]
        lines = [F(C(["M: ⟦x⟧", "Mobile: ⟦x⟧", "Tel ⟦x⟧", "☎ ⟦x⟧", "Phone: ⟦x⟧"]), x=E("PHONE", ph)), F(C(["E: ⟦x⟧", "⟦x⟧", "Email: ⟦x⟧"]), x=E("EMAIL", em))]
        if chance(.5):
            lines.append(F("⟦x⟧", x=E("STREET_ADDRESS", street_address())))
        rng.shuffle(lines)
        b = B().t(C(["Thanks for the quick help!\n\n", "see logs attached.\n\n", "", "Let me know if you need more info.\n\n"]))
        b.t(C(["Regards,\n", "Best,\n", "Kind regards,\n", "Cheers,\n", "--\n"]))
        b.e(parts[0]).t("\n" + parts[1] + "\n")
        for i, ln in enumerate(lines):
            b.e(ln).t("\n" if i < len(lines) - 1 else "")
        return "multi-signature", b.frag()

    def dotenv(surr):
        b = B()
        pw = secret_value(C(["mixed", "alnum", "short"]))
        host = C(HOSTS)
        lines = [F("DATABASE_URL=postgres://⟦p⟧@" + host + ":5432/app", p=E("URL_CREDENTIALS", "app:" + url_password()))
                 if chance(.5) else F("DB_PASSWORD=⟦p⟧", p=E("SECRET", pw)),
                 F("ADMIN_EMAIL=⟦e⟧", e=E("EMAIL", email_value())),
                 None,
                 F("SESSION_SECRET=⟦s⟧", s=E("SECRET", secret_value("hex"))), "NODE_ENV=production", f"PORT={C([3000, 8080])}"]
        fam = C(["stripe", "openai", "github", "sendgrid", "npm"])
        lines[2] = F(f"{API_ENV.get(fam, ['API_KEY'])[0]}=⟦k⟧", k=E("API_KEY", API_FAMILIES[fam][0]()))
        if chance(.4):
            lines.append(F("SMTP_HOST=⟦i⟧", i=E("IP_ADDRESS", ipv4("private10"))))
        lines = [x for x in lines if x is not None]
        rng.shuffle(lines)
        for ln in lines:
            b.e(ln).t("\n")
        return "multi-dotenv", b.frag()

    def checkout(surr):
        name, f, l = full_name()
        card, brand = card_value(sep="")
        region = C(["US", "GB", "DE", "FR", "NL", "ES", "IT", "AU"])
        ph, _ = phone_written(region, "e164")
        fr = F('{\n  "customer": {"name": "⟦n⟧", "email": "⟦e⟧", "phone": "⟦ph⟧"},\n  "shipping_address": "⟦a⟧",\n  "payment": {"card_number": "⟦c⟧", "exp": "'
               + f'{rng.randint(1, 12):02d}/{rng.randint(26, 30)}' + '"},\n  "order": "' + order_no() + '",\n  "total": ' + f"{rng.randint(5, 900)}.{rng.randint(0, 99):02d}" + '\n}',
               n=E("PERSON_NAME", name), e=E("EMAIL", email_value(f, l)), ph=E("PHONE", ph), a=E("STREET_ADDRESS", street_address()), c=E("CREDIT_CARD", card))
        return "multi-checkout", fr

    def sts(surr):
        fr = F('{\n    "Credentials": {\n        "AccessKeyId": "⟦a⟧",\n        "SecretAccessKey": "⟦s⟧",\n        "SessionToken": "⟦t⟧",\n        "Expiration": "'
               + iso_ts() + '"\n    },\n    "AssumedRoleUser": {\n        "AssumedRoleId": "AROA' + rand(UP + "234567", 17) + ':ci",\n        "Arn": "arn:aws:sts::'
               + rand(DIG, 12) + ':assumed-role/deploy/ci"\n    }\n}', a=E("API_KEY", k_aws("ASIA")), s=E("SECRET", secret_value("aws")),
               t=E("SECRET", "IQoJb3JpZ2luX2Vj" + rand(B64, rng.randint(300, 400))))
        return "multi-sts", fr

    def loginlog(surr):
        fr = F(C(["⟦p⟧login ok user=⟦e⟧ ip=⟦i⟧", "⟦p⟧password reset requested for ⟦e⟧ from ⟦i⟧", "⟦p⟧suspicious login: ⟦e⟧ from new device at ⟦i⟧"]),
               p=log_prefix(), e=E("EMAIL", email_value()), i=E("IP_ADDRESS", ip_value()))
        return "multi-login", fr

    def compose(surr):
        pw = secret_value(C(["alnum", "mixed", "short"]))
        if pw[0] in "!&*@%`{[|>'\"#-?:,." or ": " in pw:
            pw = rand(ALNUM, 12)
        fr = F("services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_USER: app\n      POSTGRES_PASSWORD: ⟦p⟧\n    ports:\n      - \"5432:5432\"\n"
               "  app:\n    image: registry.example.com/app:" + version().lstrip("v") + "\n    environment:\n      DATABASE_URL: postgres://⟦c⟧@db:5432/app\n      ADMIN_EMAIL: ⟦e⟧\n",
               p=E("SECRET", pw), c=E("URL_CREDENTIALS", "app:" + url_password()),
               e=E("EMAIL", email_value()))
        return "multi-compose", fr

    def incident(surr):
        fr = F("## Incident " + f"{rng.randint(100, 999)}\n\n| Time | Source | Note |\n|---|---|---|\n| " + f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
               + " UTC | ⟦i⟧ | first request with leaked key |\n| " + f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}" + " UTC | ⟦j⟧ | key revoked |\n\nLeaked value: `⟦k⟧`\n",
               i=E("IP_ADDRESS", ip_value()), j=E("IP_ADDRESS", ipv4()), k=E("API_KEY", C([k_github, k_stripe, k_openai, k_aws, k_slack])()))
        return "multi-incident", fr

    def curl(surr):
        fr = F("curl -sS -X POST http://⟦i⟧:8080/api/v1/users -H 'Authorization: Bearer ⟦k⟧' -H 'Content-Type: application/json' -d '{\"email\": \"⟦e⟧\", \"phone\": \"⟦ph⟧\"}'",
               i=E("IP_ADDRESS", ipv4(C(["private10", "private192", "loopback"]))), k=E("API_KEY", C([k_jwt, k_bearer])()), e=E("EMAIL", email_value()),
               ph=E("PHONE", phone_written(C(PHONE_REGIONS), "e164")[0]))
        return "multi-curl", fr

    def k8s(surr):
        pw = rand(ALNUM, rng.randint(12, 24))
        fr = F("apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-secrets\ntype: Opaque\nstringData:\n  DB_PASSWORD: \"⟦p⟧\"\n  SLACK_WEBHOOK: \"⟦w⟧\"\n  SUPPORT_EMAIL: \"⟦e⟧\"\n",
               p=E("SECRET", pw), w=E("API_KEY", k_slack("webhook")), e=E("EMAIL", email_value()))
        return "multi-k8s", fr

    def chat(surr):
        iban, _ = iban_print(iban_value(C(["DE", "FR", "NL", "ES", "IT", "BE", "AT"])), "print")
        fr = prose(C(["my name is ⟦n⟧, please refund ⟦m⟧ to ⟦b⟧ and send the confirmation to ⟦e⟧",
                      "Dear support, the refund of ⟦m⟧ should go to ⟦b⟧, confirmation to ⟦e⟧.\n\nRegards,\n⟦n⟧"]),
                   n=E("PERSON_NAME", full_name()[0]), m=money(), b=E("IBAN", iban), e=E("EMAIL", email_value()))
        return "multi-refund", fr

    for fn, surr, n in [(signature, "prose", 30), (dotenv, "env", 24), (checkout, "json", 20), (sts, "json", 12), (loginlog, "log", 22),
                        (compose, "yaml", 14), (incident, "markdown", 14), (curl, "shell", 16), (k8s, "yaml", 12), (chat, "prose", 14)]:
        produce({surr: n}, fn)


# --------------------------------------------------------------------------
# Hard negatives: close to something sotto detects, nothing to withhold
# --------------------------------------------------------------------------
def produce_neg(prefix, n, options):
    """options: list of (surrounding, zero-argument function returning text)."""
    made = tries = 0
    while made < n:
        tries += 1
        assert tries < n * 50, prefix
        surr, fn = C(options)
        text = fn()
        if text is None or _holds_luhn_run(text):
            continue
        if add(prefix, surr, Frag(text), negative=True):
            made += 1


def _holds_luhn_run(text):
    """A hard negative must not hold a Luhn-valid 13-19 digit run by accident."""
    for m in re.finditer(r"(?<!\d)\d(?:[ .-]?\d){12,18}(?!\d)", text):
        d = re.sub(r"\D", "", m.group())
        if fmt.luhn_ok(d) and d[0] in "23456":
            return True
    return False


def no_luhn(body):
    return fmt.luhn_break(body)


def L(*xs):
    return lambda: C(xs)() if callable(xs[0]) else C(xs)


def s7():
    return sha(7)


def gitlog():
    msgs = ["fix: handle empty config file", "chore(deps): bump serde to 1.0.197", "feat: export conversations as markdown",
            "docs: clarify sync settings", "refactor: split redaction module", "Merge pull request #412 from feature/dark-theme",
            "test: add regression test for crash on resume", "ci: cache cargo registry", "revert \"feat: new onboarding\"", "perf: avoid clone in hot loop",
            f"release {version()}", "fix typo in README"]
    return "\n".join(f"{s7()} {C(msgs)}" for _ in range(rng.randint(3, 7)))


def neg_hashes():
    produce_neg("neg-git-sha", 48, [
        ("log", gitlog),
        ("log", lambda: f"{log_prefix()}deploying build {rng.randint(100, 9999)} from commit {sha()} ({C(['main', 'release/2.4', 'hotfix'])})"),
        ("prose", lambda: C([f"the bug was introduced in {s7()}, reverting it fixes the crash", f"can you cherry-pick {sha()} onto the release branch?",
                             f"I'm on a build from commit {s7()} (dirty), is that too old?", f"bisect says {s7()} is the first bad commit",
                             f"fixed in {s7()}, will be in {version()}"])),
        ("shell", lambda: C([f"git checkout {sha()}", f"git revert --no-edit {s7()}", f"git bisect good {s7()}", f"git show {s7()}:src/main.rs | head",
                             f"git diff {s7()}..{s7()} -- src/", f"git rebase -i {s7()}~3", f"git log -1 --format=%H\n{sha()}"])),
        ("json", lambda: json.dumps({"commit": sha(), "branch": "main", "build": rng.randint(100, 9999), "dirty": False})),
        ("yaml", lambda: f"repos:\n  - repo: https://github.com/pre-commit/pre-commit-hooks\n    rev: {sha()}\n    hooks:\n      - id: trailing-whitespace\n"),
        ("toml", lambda: f"[[package]]\nname = \"fastparse\"\nversion = \"{version().lstrip('v')}\"\nsource = \"git+https://github.com/acme/fastparse?rev={s7()}#{sha()}\"\n"),
        ("markdown", lambda: f"## Changelog\n\n- Fix crash on resume ({s7()})\n- Faster sync ({s7()})\n- Dark theme ({s7()})\n"),
        ("code", lambda: C([f"const GIT_SHA: &str = \"{sha()}\";\n", f"BUILD_COMMIT = \"{s7()}\"\n", f"var commit = \"{sha()}\" // set by ldflags\n"])),
        ("url", lambda: C([f"https://github.com/acme/app/commit/{sha()}", f"https://gitlab.example.com/team/api/-/commit/{sha()}?view=parallel",
                           f"https://github.com/acme/app/compare/{s7()}...{s7()}"])),
        ("env", lambda: f"GIT_COMMIT={sha()}\nBUILD_NUMBER={rng.randint(100, 9999)}\n"),
    ])
    produce_neg("neg-hash", 40, [
        ("shell", lambda: f"$ sha256sum sotto-{version().lstrip('v')}-x86_64.tar.gz\n{sha(64)}  sotto-{version().lstrip('v')}-x86_64.tar.gz"),
        ("shell", lambda: f"$ md5 {C(['backup.iso', 'export.zip', 'photo.jpg'])}\nMD5 ({C(['backup.iso', 'export.zip'])}) = {sha(32)}"),
        ("yaml", lambda: f"services:\n  web:\n    image: nginx@sha256:{sha(64)}\n    restart: always\n"),
        ("json", lambda: json.dumps({"name": C(["left-pad", "lodash", "chalk"]), "version": version().lstrip("v"), "resolved": "https://registry.npmjs.org/x/-/x-1.0.0.tgz",
                                     "integrity": "sha512-" + fmt.b64(rng.randbytes(64))}, indent=2)),
        ("code", lambda: f'<script src="https://cdn.example.com/lib.min.js" integrity="sha384-{fmt.b64(rng.randbytes(48))}" crossorigin="anonymous"></script>\n'),
        ("toml", lambda: f"[[package]]\nname = \"serde\"\nversion = \"1.0.{rng.randint(100, 220)}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{sha(64)}\"\n"),
        ("log", lambda: f"{log_prefix()}cache hit key={sha(64)} size={rng.randint(1, 900)}KB"),
        ("log", lambda: f"{log_prefix()}ETag: \"{sha(32)}\" Content-Length: {rng.randint(100, 99999)}"),
        ("prose", lambda: C([f"the download checksum doesn't match, I get {sha(64)}", f"md5 of the file is {sha(32)}, same as on the website",
                             f"the host key fingerprint is SHA256:{fmt.b64(rng.randbytes(32)).rstrip('=')} - is that yours?",
                             f"sha1 {sha(40)} is listed twice in the release notes"])),
        ("markdown", lambda: f"| File | SHA-256 |\n|---|---|\n| sotto-{version().lstrip('v')}.dmg | `{sha(64)}` |\n| sotto-{version().lstrip('v')}.msi | `{sha(64)}` |\n"),
        ("env", lambda: f"ARTIFACT_SHA256={sha(64)}\nARTIFACT_URL=https://downloads.example.com/app.tar.gz\n"),
        ("url", lambda: f"https://downloads.example.com/blobs/sha256/{sha(64)}"),
    ])
    produce_neg("neg-uuid", 32, [
        ("prose", lambda: C([f"request id {uuid4()} if that helps", f"my workspace id is {uuid4()}", f"error ref: {uuid4()}",
                             f"the conversation {uuid4()} won't load", f"Trace ID {uuid4()} - happened twice today"])),
        ("log", lambda: f"{log_prefix()}request_id={uuid4()} path=/v1/sync status={C([200, 500, 504])} dur={rng.randint(3, 900)}ms"),
        ("log", lambda: f"{log_prefix()}traceparent: 00-{sha(32)}-{sha(16)}-01"),
        ("json", lambda: json.dumps({"id": uuid4(), "type": "conversation", "created": iso_ts()})),
        ("json", lambda: json.dumps({"tenant_id": uuid4(), "client_id": uuid4(), "redirect_uri": "https://app.example.com/callback"}, indent=2)),
        ("yaml", lambda: f"azure:\n  tenant_id: {uuid4()}\n  client_id: {uuid4()}\n  subscription_id: {uuid4()}\n"),
        ("url", lambda: f"https://app.example.com/orders/{uuid4()}/invoice.pdf"),
        ("code", lambda: f"let id = Uuid::parse_str(\"{uuid4()}\").unwrap();\n"),
        ("env", lambda: f"AZURE_TENANT_ID={uuid4()}\nAZURE_CLIENT_ID={uuid4()}\n"),
        ("markdown", lambda: f"| Workspace | ID |\n|---|---|\n| acme | `{uuid4()}` |\n| nordwind | `{uuid4()}` |\n"),
        ("shell", lambda: f"sotto conversation export {uuid4()} --format md"),
        ("toml", lambda: f"[workspace]\nid = \"{uuid4()}\"\nname = \"team-blue\"\n"),
    ])


def v4part():
    return f"{rng.randint(1, 20)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 250)}"


def neg_versions_dates():
    produce_neg("neg-version", 40, [
        ("prose", lambda: C([f"I'm on version {v4part()} and it still crashes", f"build {v4part()} fixed it for me", f"app version v{v4part()} (latest from the store)",
                             f"after updating to {version()} the sync stopped", f"Windows 10.0.{rng.randint(19041, 22631)}.{rng.randint(100, 4000)}, firmware {v4part()}",
                             f"version 10.0.0.{rng.randint(1, 9)} of the agent is installed on all machines", f"python {C(['3.11.7', '3.12.2', '3.9.18'])}, pip {C(['23.3.1', '24.0'])}"])),
        ("log", lambda: f"{log_prefix()}starting sotto version={v4part()} build={rng.randint(1000, 9999)} rustc=1.{rng.randint(70, 82)}.0"),
        ("log", lambda: f"{log_prefix()}agent upgraded from {v4part()} to {v4part()}"),
        ("json", lambda: json.dumps({"version": v4part(), "minSdk": rng.randint(21, 34), "build": f"{rng.randint(1, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 200)}"})),
        ("toml", lambda: f"[package]\nname = \"sotto\"\nversion = \"{version().lstrip('v')}\"\nrust-version = \"1.{rng.randint(70, 82)}\"\n"),
        ("yaml", lambda: f"appVersion: \"{v4part()}\"\nversion: {version().lstrip('v')}\n"),
        ("shell", lambda: f"$ sotto --version\nsotto {version().lstrip('v')} (build {v4part()})"),
        ("markdown", lambda: f"| Component | Version |\n|---|---|\n| agent | {v4part()} |\n| driver | {v4part()} |\n"),
        ("code", lambda: f"#define FILEVERSION {rng.randint(1, 9)},{rng.randint(0, 9)},{rng.randint(0, 9)},{rng.randint(0, 99)}\nconst VERSION = \"{v4part()}\";\n"),
        ("env", lambda: f"AGENT_VERSION={v4part()}\nCHANNEL=stable\n"),
        ("url", lambda: f"https://downloads.example.com/agent/{v4part()}/agent-setup.exe"),
    ])
    produce_neg("neg-oid", 14, [
        ("prose", lambda: C([f"the cert has OID 1.3.6.1.4.1.{rng.randint(100, 60000)}.{rng.randint(1, 20)}.{rng.randint(1, 9)} in the policy", "signature algorithm 1.2.840.113549.1.1.11 (sha256WithRSAEncryption)",
                             "extended key usage 1.3.6.1.5.5.7.3.1 is missing"])),
        ("shell", lambda: f"snmpget -v2c -c \"$SNMP_COMMUNITY\" localhost 1.3.6.1.2.1.{rng.randint(1, 9)}.{rng.randint(1, 9)}.0"),
        ("log", lambda: f"{log_prefix()}SNMP trap oid=1.3.6.1.6.3.1.1.5.{rng.randint(1, 5)} uptime={rng.randint(100, 99999)}"),
        ("yaml", lambda: f"metrics:\n  - oid: 1.3.6.1.2.1.2.2.1.{rng.randint(1, 20)}\n    name: ifInOctets\n"),
        ("json", lambda: json.dumps({"oid": f"2.5.4.{rng.randint(3, 11)}", "name": "commonName"})),
    ])

    def date():
        y, m, d = rng.randint(2019, 2026), rng.randint(1, 12), rng.randint(1, 28)
        return C([f"{y}-{m:02d}-{d:02d}", f"{d:02d}/{m:02d}/{y}", f"{m}/{d}/{y}", f"{MON[m - 1]} {d}, {y}", f"{d}. {['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'][m - 1]} {y}",
                  f"{d:02d}.{m:02d}.{y}", f"{y}{m:02d}{d:02d}", iso_ts(), f"{C(['Mon', 'Tue', 'Wed', 'Thu', 'Fri'])}, {d:02d} {MON[m - 1]} {y} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d} +0000",
                  f"{y}-W{rng.randint(1, 52):02d}", f"{d} {MON[m - 1]} {y}, {rng.randint(1, 12)}:{rng.randint(0, 59):02d} pm"])
    produce_neg("neg-date", 34, [
        ("prose", lambda: C([f"it worked until {date()}", f"my subscription renews on {date()} and I want to cancel before", f"the charge on {date()} at {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d} is wrong",
                             f"the outage started {date()} and lasted 01:{rng.randint(10, 59)}:{rng.randint(10, 59)}", f"timestamp {rng.randint(1_600_000_000, 1_760_000_000)} in the export, what date is that?"])),
        ("log", lambda: f"{log_prefix()}next run at {date()} (cron \"0 {rng.randint(0, 23)} * * 1-5\")"),
        ("json", lambda: json.dumps({"created_at": iso_ts(), "updated": rng.randint(1_600_000_000, 1_760_000_000), "due": date()})),
        ("yaml", lambda: f"schedule:\n  - cron: \"{rng.randint(0, 59)} {rng.randint(0, 23)} * * *\"\nexpires: {date()}\n"),
        ("markdown", lambda: f"| Date | Event |\n|---|---|\n| {date()} | release |\n| {date()} | freeze |\n"),
        ("shell", lambda: f"date -d @{rng.randint(1_600_000_000, 1_760_000_000)}\n{date()}"),
        ("code", lambda: f"let deadline = NaiveDate::from_ymd_opt({rng.randint(2020, 2026)}, {rng.randint(1, 12)}, {rng.randint(1, 28)});\n"),
        ("toml", lambda: f"[release]\ndate = {rng.randint(2020, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}\n"),
    ])


def rf_reference():
    ref = rand(DIG, rng.randint(8, 15))
    num = "".join(str(int(c, 36)) for c in ref + "RF00")
    return f"RF{98 - int(num) % 97:02d}{ref}"


def isbn13():
    body = "978" + rand(DIG, 9)
    s = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(body))
    d = body + str((10 - s % 10) % 10)
    return f"{d[:3]}-{d[3]}-{d[4:8]}-{d[8:12]}-{d[12]}"


def neg_numbers():
    def tracking():
        return C([f"1Z{rand(UP + DIG, 6)}{rand(DIG, 10)}", " ".join(fmt.wrap("9400" + rand(DIG, 18), 4)), f"JD{rand(DIG, 18)}",
                  no_luhn(rand(DIG, 11)), f"{C(UP)}{C(UP)}{rand(DIG, 9)}{C(['DE', 'GB', 'NL', 'FR'])}"])
    produce_neg("neg-order", 42, [
        ("prose", lambda: C([f"Order {order_no()} still hasn't arrived", f"invoice INV-{rng.randint(2022, 2025)}-{rng.randint(1, 99999):05d} shows the wrong VAT",
                             f"tracking number {tracking()} says delivered but nothing here", f"ticket {ticket_no()} was closed but the issue is back",
                             f"case {rng.randint(10 ** 7, 10 ** 8 - 1)}, please escalate", f"my customer number is KD-{rng.randint(100000, 999999)}",
                             f"the payment reference is {rf_reference()}", f"PO {rng.randint(4500000000, 4599999999)} needs the new bank details on the invoice"])),
        ("log", lambda: f"{log_prefix()}order={order_no()} invoice=INV-{rng.randint(10000, 99999)} shipment={tracking()} status=in_transit"),
        ("json", lambda: json.dumps({"order_id": rng.randint(10 ** 8, 10 ** 10), "invoice": f"INV-{rng.randint(10000, 99999)}", "tracking": tracking(), "items": rng.randint(1, 9)})),
        ("yaml", lambda: f"shipment:\n  carrier: ups\n  tracking: {tracking()}\n  order: \"{order_no()}\"\n"),
        ("markdown", lambda: f"| Order | Status |\n|---|---|\n| {order_no()} | shipped |\n| {order_no()} | refunded |\n"),
        ("url", lambda: C([f"https://track.example.com/?tracknum={tracking().replace(' ', '')}", f"https://shop.example.com/account/orders/{rng.randint(10 ** 8, 10 ** 10)}"])),
        ("shell", lambda: f"sotto tickets show {ticket_no().lstrip('#')} --comments"),
        ("code", lambda: f"assert_eq!(invoice.number, \"INV-{rng.randint(2020, 2025)}-{rng.randint(1, 99999):05d}\");\n"),
    ])
    produce_neg("neg-price", 24, [
        ("prose", lambda: C([f"the invoice for March says {money()} but I was charged {money()}", f"price went from {money()} to {money()} without notice",
                             f"we paid 1.234.567,{rng.randint(10, 99)} EUR in total last year", f"total: {rng.randint(1, 99)} {rng.randint(100, 999)},{rng.randint(10, 99)} kr",
                             f"¥{rng.randint(1, 999)},{rng.randint(100, 999)} for the yearly plan?", f"4 x 12.50 = 50.00, not {money()}"])),
        ("json", lambda: json.dumps({"amount": rng.randint(100, 999999), "currency": C(["EUR", "USD", "GBP"]), "tax": round(rng.random() * 100, 2)})),
        ("log", lambda: f"{log_prefix()}charge ok amount={rng.randint(1, 9999)}.{rng.randint(0, 99):02d} currency=EUR fee=0.{rng.randint(10, 99)}"),
        ("markdown", lambda: f"| Plan | Monthly | Yearly |\n|---|---|---|\n| Pro | {money()} | {money()} |\n| Team | {money()} | {money()} |\n"),
        ("yaml", lambda: f"pricing:\n  pro: {rng.randint(5, 50)}.99\n  team: {rng.randint(50, 500)}.00\n"),
    ])
    produce_neg("neg-isbn", 10, [
        ("prose", lambda: f"the book is ISBN {isbn13()}, can you check stock?"),
        ("markdown", lambda: f"- *Designing Data Systems*, ISBN {isbn13()}\n- *Practical Cryptography*, ISBN {isbn13()}\n"),
        ("json", lambda: json.dumps({"isbn": isbn13().replace("-", ""), "title": "Untitled"})),
    ])
    produce_neg("neg-colour", 12, [
        ("code", lambda: f".button {{ color: #{rand(HEX, 6)}; background: #{rand(HEX, 3)}; border-color: rgb({rng.randint(0, 255)}, {rng.randint(0, 255)}, {rng.randint(0, 255)}); }}\n"),
        ("prose", lambda: f"can the accent colour be #{rand(HEX, 6)} instead of #{rand(HEX, 6)}?"),
        ("json", lambda: json.dumps({"theme": {"primary": f"#{rand(HEX, 6)}", "surface": f"#{rand(HEX, 6).upper()}", "alpha": f"0x{rand(HEX, 8).upper()}"}})),
        ("toml", lambda: f"[theme]\naccent = \"#{rand(HEX, 6)}\"\nbackground = \"#{rand(HEX, 6)}\"\n"),
    ])
    produce_neg("neg-misc-number", 34, [
        ("prose", lambda: C([f"the serial number is SN {rand(UP + DIG, 12)}", f"EAN {no_luhn('40' + rand(DIG, 10))} on the box", f"postcode {C(['10115', 'SW1A 1AA', '75008', '1017 CE', '2000'])} is outside the delivery area?",
                             f"we're at {round(rng.uniform(-60, 60), 4)}, {round(rng.uniform(-170, 170), 4)} if the courier needs it", f"12 * 34 = 408 but the app shows 418",
                             f"it uses port {C([5432, 8080, 443, 6379, 51820])} and the firewall only allows 443", f"the screen is 1920x1080, scale 125%",
                             f"model {C(['XPS 13 9340', 'ThinkPad T14 Gen 4', 'MacBookPro18,3'])}, {rng.randint(8, 64)} GB RAM", f"part number {rand(DIG, 3)}-{rand(DIG, 4)}-{rand(DIG, 2)}",
                             f"IMEI {no_luhn('35' + rand(DIG, 12))} (from the box)", f"my licence key expired, product code {rand(UP, 5)}-{rand(UP + DIG, 5)}-{rand(UP + DIG, 5)}"])),
        ("yaml", lambda: f"server:\n  port: {C([8080, 3000, 8443])}\n  max_connections: {rng.randint(100, 5000)}\n  timeout_ms: {rng.randint(1000, 60000)}\n"),
        ("shell", lambda: C([f"ulimit -n {C([65536, 1048576])}", f"python -c 'print({rng.randint(100, 999)} * {rng.randint(100, 999)})'", f"ss -tlnp | grep :{rng.randint(1024, 65535)}",
                             f"seq 1 {rng.randint(100, 100000)} | wc -l"])),
        ("log", lambda: f"{log_prefix()}processed {rng.randint(1000, 99999999)} rows in {rng.randint(1, 999)}.{rng.randint(0, 999):03d}s ({rng.randint(100, 99999)} rows/s)"),
        ("json", lambda: json.dumps({"lat": round(rng.uniform(-60, 60), 6), "lon": round(rng.uniform(-170, 170), 6), "zoom": rng.randint(1, 18)})),
        ("code", lambda: f"const MAX_RETRIES: u32 = {rng.randint(1, 9)};\nconst TIMEOUT_MS: u64 = {rng.randint(1000, 99999)};\nconst PORT: u16 = {C([8080, 5432, 443])};\n"),
    ])


def neg_placeholders():
    ph = lambda: C(["<your-password>", "YOUR_API_KEY", "<token>", "${API_KEY}", "$TOKEN", "{{ secret }}", "{{ .Values.db.password }}", "xxxxxxxx", "********",  # noqa: E731
                    "aaaaaaaaaaaa", "...", "…", "REDACTED", "[REDACTED]", "<redacted>", "%(password)s", "${{ secrets.GITHUB_TOKEN }}", "YOUR_TOKEN_HERE", "<insert key>",
                    "${DB_PASSWORD}", "$(cat /run/secrets/db_password)", "***", "XXXXXXXXXXXXXXXXXXXX", "<API_KEY>", "your-secret-here", "%PASSWORD%", "{password}"])
    fld = lambda: C(["password", "api key", "token", "secret", "client secret", "db password", "access token", "passphrase"])  # noqa: E731
    produce_neg("neg-placeholder", 70, [
        ("env", lambda: f"{style(fld(), 'upper')}={ph()}\n"), ("yaml", lambda: f"{style(fld(), 'snake')}: \"{ph()}\"\n"),
        ("json", lambda: json.dumps({style(fld(), "snake"): ph(), "user": "app"})), ("toml", lambda: f"[auth]\n{style(fld(), 'snake')} = \"{ph()}\"\n"),
        ("prose", lambda: C([f"the docs say to set password={ph()} but what goes there?", f"I replaced my key with {ph()} before pasting, here's the config",
                             f"token: {ph()} (removed for privacy)", f"my api key is {ph()} obviously not the real one lol"])),
        ("shell", lambda: C([f"curl -H \"Authorization: Bearer $TOKEN\" https://api.example.com/v1/me", f"mysql -u root -p\"$MYSQL_PWD\" shop",
                             f"docker login -u deploy --password-stdin < /run/secrets/registry", f"./deploy.sh --token \"${{DEPLOY_TOKEN}}\"",
                             f"psql \"postgres://$DB_USER:$DB_PASS@db.internal.example.com/app\"", "read -rs PASSWORD && export PASSWORD",
                             f"export OPENAI_API_KEY={C(['<your-key>', 'sk-...', 'YOUR_KEY', '$(pass show openai)'])}", "backup --password-file /run/secrets/backup_pw"])),
        ("code", lambda: C(["password = os.environ[\"DB_PASSWORD\"]\n", "const apiKey = process.env.API_KEY;\n", "let token = std::env::var(\"TOKEN\")?;\n",
                            "secret := os.Getenv(\"CLIENT_SECRET\")\n", "String pw = System.getenv(\"DB_PASS\");\n", "password = getpass.getpass(\"Password: \")\n",
                            f"client = OpenAI(api_key=\"{C(['YOUR_API_KEY', '<key>', 'sk-...'])}\")\n", "cursor.execute(\"UPDATE users SET password = %(password)s\", params)\n"])),
        ("markdown", lambda: f"```bash\nexport {style(fld(), 'upper')}={ph()}\n```\n\nReplace the placeholder with your own value."),
        ("url", lambda: C([f"https://api.example.com/v1/data?api_key={C(['YOUR_API_KEY', '{api_key}', '<key>', 'xxxx'])}", "postgres://<user>:<password>@<host>:5432/<db>",
                           "mongodb://${MONGO_USER}:${MONGO_PASS}@mongo:27017/app", "https://USERNAME:PASSWORD@git.example.com/team/repo.git",
                           "redis://:${REDIS_PASSWORD}@cache:6379/0", "amqp://{user}:{password}@broker:5672/"])),
        ("log", lambda: f"{log_prefix()}login attempt user=bob password=[REDACTED] result=fail"),
        ("log", lambda: f"{log_prefix()}config: api_key=****{rand(ALNUM, 4)} (masked)"),
        ("yaml", lambda: f"env:\n  GITHUB_TOKEN: ${{{{ secrets.GITHUB_TOKEN }}}}\n  NPM_TOKEN: ${{{{ secrets.NPM_TOKEN }}}}\n"),
        ("prose", lambda: C(["keys look like ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX right? mine is different", "the example in the docs uses AKIAXXXXXXXXXXXXXXXX, what should it be",
                             "Authorization: Bearer <token> is what the guide says"])),
    ])
    produce_neg("neg-empty", 28, [
        ("env", lambda: f"{style(fld(), 'upper')}=\nAPP_ENV=dev\n"), ("json", lambda: json.dumps({style(fld(), "snake"): "", "user": "admin"})),
        ("yaml", lambda: style(fld(), "snake") + ": " + C(["", '""', "''", "null", "~"]) + "\nuser: app\n"), ("toml", lambda: f"{style(fld(), 'snake')} = \"\"\n"),
        ("shell", lambda: C(["./backup --password '' --target local", "redis-cli -a '' ping", "export API_KEY="])),
        ("code", lambda: C(["password = \"\"\n", "const token = '';\n", "let secret = String::new();\n", "apiKey := \"\"\n"])),
        ("prose", lambda: C(["the password field is empty in the config, is that why?", "I left api_key= blank like the guide said", "password: (none) - it's an open network"])),
    ])
    produce_neg("neg-secret-word", 45, [
        ("prose", lambda: C(["password must be at least 12 characters??", "I forgot my password and the reset link expired", "token expired at 14:02 and I had to log in again",
                             "the api key field is required but I don't have one", f"we rotate api keys every {C([30, 60, 90])} days", "how many tokens does a long conversation use?",
                             "is the secret santa feature back this year?", "password reset emails take 20 minutes to arrive", f"it says 'invalid token' after {rng.randint(2, 30)} minutes idle",
                             "where do I find my API key in the dashboard?", "can I use a passphrase instead of a password?", "my password manager doesn't autofill on the login page"])),
        ("yaml", lambda: f"auth:\n  password_min_length: {rng.randint(8, 16)}\n  token_ttl: {C([900, 3600, 86400])}\n  require_mfa: true\n"),
        ("env", lambda: f"PASSWORD_RESET_TIMEOUT={C([3600, 86400])}\nTOKEN_EXPIRY_MINUTES={rng.randint(5, 120)}\nSECRET_ROTATION_DAYS={C([30, 90])}\n"),
        ("json", lambda: json.dumps({"max_tokens": C([256, 1024, 4096]), "temperature": round(rng.random(), 1), "usage": {"prompt_tokens": rng.randint(10, 5000), "completion_tokens": rng.randint(10, 2000)}})),
        ("log", lambda: f"{log_prefix()}{C(['password changed for user', 'token refreshed for session', 'api key created for workspace', 'secret rotated for service'])} {rng.randint(1000, 99999)}"),
        ("log", lambda: f"{log_prefix()}tokens used: {rng.randint(100, 99999)}, remaining: {rng.randint(100, 99999)}"),
        ("toml", lambda: f"[security]\npassword_hash = \"argon2id\"\ntoken_length = {C([32, 64])}\n"),
        ("code", lambda: C([f"if password.len() < {rng.randint(8, 14)} {{ return Err(Error::WeakPassword); }}\n", "def verify_token(token: str) -> bool:\n    return hmac.compare_digest(token, expected)\n",
                            "const MAX_TOKENS = 4096;\n", "fn rotate_secret(&mut self) -> Result<()> {\n"])),
        ("markdown", lambda: "### Passwords\n\n- at least 12 characters\n- no reuse of the last 5\n- tokens expire after 1h\n"),
        ("shell", lambda: C(["passwd --expire bob", "sotto auth token list --expired", "gh auth refresh -s read:org"])),
    ])


def _pub_pem(label, n):
    return f"-----BEGIN {label}-----\n" + "\n".join(fmt.wrap(fmt.b64(rng.randbytes(n)), 64)) + f"\n-----END {label}-----"


def neg_keys():
    produce_neg("neg-pem", 32, [
        ("prose", lambda: C([f"my key file starts with -----BEGIN {C(['OPENSSH', 'RSA', 'EC'])} PRIVATE KEY----- but ssh says invalid format",
                             "does the file need the -----BEGIN PRIVATE KEY----- line or just the base64?", "here's the public part:\n" + _pub_pem("PUBLIC KEY", 294)])),
        ("markdown", lambda: "```\n" + _pub_pem(C(["CERTIFICATE", "PUBLIC KEY", "CERTIFICATE REQUEST"]), C([294, 600, 900])) + "\n```\n"),
        ("yaml", lambda: "tls:\n  cert: |\n    " + _pub_pem("CERTIFICATE", 700).replace("\n", "\n    ") + "\n"),
        ("json", lambda: json.dumps({"public_key": _pub_pem("PUBLIC KEY", 91)})),
        ("shell", lambda: C([f"$ cat ~/.ssh/id_ed25519.pub\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{fmt.b64(rng.randbytes(32))[:43]} deploy-key",
                             f"echo 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ{fmt.b64(rng.randbytes(256)).rstrip('=')} ci' >> ~/.ssh/authorized_keys",
                             "openssl genpkey -algorithm ed25519 -out ~/.ssh/new.key", "ssh-keygen -y -f ~/.ssh/id_ed25519"])),
        ("code", lambda: "const CA_CERT: &str = \"" + _pub_pem("CERTIFICATE", 500).replace("\n", "\\n") + "\";\n"),
        ("log", lambda: f"{log_prefix()}expected -----BEGIN PRIVATE KEY----- at line 1, found EOF"),
        ("prose", lambda: "-----BEGIN RSA PRIVATE KEY-----\n<snip>\n-----END RSA PRIVATE KEY-----\nI removed the middle, is this format right?"),
        ("prose", lambda: f"my age recipient is {fmt.bech32_encode('age', fmt.convertbits(rng.randbytes(32), 8, 5), fmt.BECH32_CONST)}, encrypt the file to that"),
        ("env", lambda: f"SOPS_AGE_RECIPIENTS={fmt.bech32_encode('age', fmt.convertbits(rng.randbytes(32), 8, 5), fmt.BECH32_CONST)}\nSOPS_AGE_KEY_FILE=~/.config/sops/age/keys.txt\n"),
        ("markdown", lambda: "```\n-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n" + "\n".join(fmt.wrap(fmt.b64(rng.randbytes(300)), 64)) + "\n=" + fmt.b64(rng.randbytes(3)) + "\n-----END PGP PUBLIC KEY BLOCK-----\n```\n"),
    ])
    wrong = lambda: C([  # noqa: E731
        "ghp_" + rand(ALNUM, 10), "AKIA" + rand(UP + "234567", 12), "xoxb-" + rand(DIG, 6), "sk_live_" + rand(ALNUM, 8), "AIza" + rand(B64URL, 20),
        "glpat-" + rand(ALNUM, 8), "hf_" + rand(LO, 10), "npm_" + rand(ALNUM, 20), "SG." + rand(B64URL, 10), "SK" + rand(HEX, 20), "github_pat_" + rand(ALNUM, 15),
        "sk-" + rand(LO, 6), "dop_v1_" + rand(HEX, 20), "shpat_" + rand(HEX, 12), "sk-ant-" + rand(LO, 5), "gho_" + rand(ALNUM, 12), "ASIA" + rand(UP, 8)])
    produce_neg("neg-key-shape", 40, [
        ("prose", lambda: C([f"is {wrong()} the full key? the dashboard only shows that much", f"the id shown is {wrong()}, not the secret",
                             "GitHub tokens start with ghp_ and are 40 chars, right?", "what's the difference between sk_live_ and rk_live_ keys?",
                             f"the key starts with {wrong()}… and then it's cut off", "do xoxb- tokens expire?"])),
        ("log", lambda: f"{log_prefix()}key prefix={wrong()} (truncated) owner={rng.randint(1000, 99999)}"),
        ("json", lambda: json.dumps({"key_prefix": wrong(), "last_used": iso_ts(), "scopes": ["read"]})),
        ("markdown", lambda: f"| Key | Prefix | Created |\n|---|---|---|\n| ci | `{wrong()}` | {iso_ts()[:10]} |\n"),
        ("yaml", lambda: f"redact_prefixes:\n  - ghp_\n  - glpat-\n  - xoxb-\n  - sk_live_\n  - AKIA\n"),
        ("code", lambda: C(["if token.starts_with(\"ghp_\") || token.starts_with(\"github_pat_\") {\n", "PREFIXES = (\"sk-\", \"sk-proj-\", \"sk-ant-\")\n",
                            f"const SAMPLE = \"{wrong()}\"; // truncated on purpose\n"])),
        ("shell", lambda: f"grep -rn '{C(['ghp_', 'AKIA', 'xox[bp]-', 'sk_live_'])}' src/ || echo 'no secrets found'"),
    ])
    produce_neg("neg-publishable", 16, [
        ("code", lambda: f"const stripe = Stripe('pk_{C(['live', 'test'])}_{rand(ALNUM, C([24, 99]))}');\n"),
        ("env", lambda: f"NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY=pk_{C(['live', 'test'])}_{rand(ALNUM, C([24, 99]))}\n"),
        ("json", lambda: json.dumps({"publishableKey": f"pk_{C(['live', 'test'])}_{rand(ALNUM, 99)}", "currency": "eur"})),
        ("prose", lambda: f"the publishable key pk_test_{rand(ALNUM, 24)} is in the page source, is that a problem?"),
        ("yaml", lambda: f"stripe:\n  publishable_key: pk_live_{rand(ALNUM, 99)}\n"),
    ])
    produce_neg("neg-jwt-part", 8, [
        ("prose", lambda: f"the header part decodes to {fmt.b64url(json.dumps({'alg': 'HS256', 'typ': 'JWT'}, separators=(',', ':')).encode())}, is alg none allowed?"),
        ("log", lambda: f"{log_prefix()}jwt header={fmt.b64url(json.dumps({'alg': C(['RS256', 'ES256']), 'kid': rand(HEX, 8)}, separators=(',', ':')).encode())} rejected: expired"),
    ])


def bad_iban():
    iban = iban_value()
    k = rng.randrange(3)
    if k == 0:
        chk = (int(iban[2:4]) + rng.randint(1, 9)) % 97 + 2
        bad = iban[:2] + f"{chk:02d}" + iban[4:]
    elif k == 1:
        i = rng.randint(4, len(iban) - 1)
        c = iban[i]
        bad = iban[:i] + (str((int(c) + rng.randint(1, 9)) % 10) if c.isdigit() else C(UP.replace(c, ""))) + iban[i + 1:]
    else:
        bad = iban[:-1]
    if fmt.iban_mod97(bad) == 1 and len(bad) == IBAN_LEN[bad[:2]]:
        return None
    return " ".join(fmt.wrap(bad, 4)) if chance(.6) else bad


def bad_card():
    d = card_digits(C(CARD_BRANDS))
    bad = no_luhn(d[:-1])
    return card_group(bad, C(["", " ", "-"]))


def _valid_in(text, region):
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(text, region))
    except phonenumbers.NumberParseException:
        return False


def bad_phone():
    for _ in range(200):
        cand = C([f"+1 ({C('01')}{rand(DIG, 2)}) {rand(DIG, 3)}-{rand(DIG, 4)}", f"+44 20 {rand(DIG, 4)}", f"+49 0{rand(DIG, 3)} {rand(DIG, 5)}",
                  f"+33 0{rand(DIG, 1)} {rand(DIG, 2)} {rand(DIG, 2)}", f"+1-555-{rand(DIG, 4)}", f"+61 0{rand(DIG, 1)} {rand(DIG, 4)}", f"+81 0{rand(DIG, 2)}",
                  f"+999 {rand(DIG, 3)} {rand(DIG, 4)}", f"+7 {rand(DIG, 3)}", f"+1 {rand(DIG, 3)} {rand(DIG, 4)}"])
        if any(_valid_in(cand, r) for r in [None] + sorted(phonenumbers.SUPPORTED_REGIONS)):
            continue
        return cand
    raise AssertionError


def neg_finance():
    produce_neg("neg-iban-checksum", 24, [
        ("prose", lambda: (lambda b: b and C([f"please refund to {b}", f"IBAN {b} (from the old invoice)", f"the form says {b} is invalid, it's the one from my bank app"]))(bad_iban())),
        ("json", lambda: (lambda b: b and json.dumps({"iban": b, "holder": C(COMPANIES)}))(bad_iban())),
        ("log", lambda: (lambda b: b and f"{log_prefix()}validate_iban(\"{b}\") -> checksum mismatch")(bad_iban())),
        ("yaml", lambda: (lambda b: b and f"payout:\n  iban: \"{b}\"\n")(bad_iban())),
        ("markdown", lambda: (lambda b: b and f"| Test case | Expected |\n|---|---|\n| `{b}` | rejected |\n")(bad_iban())),
    ])
    produce_neg("neg-bank-ref", 14, [
        ("prose", lambda: C([f"payment reference {rf_reference()}, please quote it", f"account no. {rand(DIG, 8)}, sort code {rand(DIG, 2)}-{rand(DIG, 2)}-{rand(DIG, 2)} is on the invoice, not my phone",
                             f"BSB {rand(DIG, 3)}-{rand(DIG, 3)} / account {rand(DIG, 4)} {rand(DIG, 4)}", f"Verwendungszweck: Kundennr. {rand(DIG, 6)} / Rechnung {rand(DIG, 8)}"])),
        ("json", lambda: json.dumps({"creditor_reference": rf_reference(), "amount": f"{rng.randint(10, 999)}.00"})),
        ("log", lambda: f"{log_prefix()}sepa credit ref={rf_reference()} end_to_end_id=E2E{rand(DIG, 12)}"),
    ])
    produce_neg("neg-luhn", 26, [
        ("prose", lambda: C([f"my card {bad_card()} doesn't work (I might have mistyped)", f"card number {bad_card()} gets 'invalid number'",
                             f"gift card code {no_luhn(rand(DIG, 18))}", f"the loyalty number {no_luhn('9' + rand(DIG, 15))} isn't recognised"])),
        ("json", lambda: json.dumps({"card_number": bad_card().replace(" ", ""), "valid": False})),
        ("log", lambda: f"{log_prefix()}card validation failed: luhn check pan={bad_card()}"),
        ("markdown", lambda: f"| Input | Result |\n|---|---|\n| `{bad_card()}` | invalid |\n| `{bad_card()}` | invalid |\n"),
        ("code", lambda: f"assert!(!is_valid_card(\"{bad_card()}\"));\n"),
        ("prose", lambda: f"IMEI {(lambda d: d[:2] + ' ' + d[2:8] + ' ' + d[8:14] + ' ' + d[14])(fmt.luhn_complete('35' + rand(DIG, 12)))} is on the sticker, phone is blocked"),
    ])
    produce_neg("neg-ssn-invalid", 26, [
        ("prose", lambda: C([f"my SSN is {'-'.join(ssn_parts(False))}", f"SSN: {'-'.join(ssn_parts(False))} is that format ok?", f"social security number {'-'.join(ssn_parts(False))}",
                             f"the test data uses {'-'.join(ssn_parts(False))} as ssn"])),
        ("json", lambda: json.dumps({"ssn": "-".join(ssn_parts(False)), "test": True})),
        ("log", lambda: f"{log_prefix()}validation error field=ssn value={'-'.join(ssn_parts(False))} reason=invalid_area"),
        ("yaml", lambda: f"fixtures:\n  ssn: \"{'-'.join(ssn_parts(False))}\"\n"),
        ("markdown", lambda: f"| SSN | Valid |\n|---|---|\n| {'-'.join(ssn_parts(False))} | no |\n"),
    ])
    produce_neg("neg-nine-digits", 14, [
        ("prose", lambda: C([f"order {rand(DIG, 9)} arrived damaged", f"ZIP {rand(DIG, 5)}-{rand(DIG, 4)}", f"routing number {rand(DIG, 9)} for the wire (bank's public number)",
                             f"the case number is {rand(DIG, 3)} {rand(DIG, 3)} {rand(DIG, 3)}"])),
        ("log", lambda: f"{log_prefix()}job {rand(DIG, 9)} finished in {rng.randint(1, 99)}s"),
        ("json", lambda: json.dumps({"zip": f"{rand(DIG, 5)}-{rand(DIG, 4)}", "customer_no": int(rand("123456789", 9))})),
    ])
    produce_neg("neg-phone-invalid", 28, [
        ("prose", lambda: C([f"call me on {bad_phone()}", f"the number {bad_phone()} on your website doesn't work", f"my number: {bad_phone()} (test account)"])),
        ("json", lambda: json.dumps({"phone": bad_phone(), "verified": False})),
        ("log", lambda: f"{log_prefix()}sms rejected to={bad_phone()} reason=invalid_number"),
        ("markdown", lambda: f"| Input | Parsed |\n|---|---|\n| `{bad_phone()}` | invalid |\n"),
        ("yaml", lambda: f"contact:\n  phone: \"{bad_phone()}\"\n"),
    ])


def neg_network():
    mac = lambda: C([":".join(rand(HEX, 2) for _ in range(6)), "-".join(rand(HEX.upper(), 2) for _ in range(6)), ".".join(rand(HEX, 4) for _ in range(3))])  # noqa: E731
    produce_neg("neg-mac", 16, [
        ("prose", lambda: f"the device MAC is {mac()}, can you register it?"),
        ("shell", lambda: f"$ ip link show eth0\n2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP\n    link/ether {mac()} brd ff:ff:ff:ff:ff:ff"),
        ("log", lambda: f"{log_prefix()}wifi: associated with bssid {mac()} rssi=-{rng.randint(40, 90)}"),
        ("json", lambda: json.dumps({"mac": mac(), "vendor": C(["Intel", "Apple", "Raspberry Pi"])})),
        ("yaml", lambda: f"devices:\n  - name: printer\n    mac: \"{mac()}\"\n"),
    ])
    produce_neg("neg-ip-like", 32, [
        ("prose", lambda: C([f"see section {rng.randint(1, 9)}.{rng.randint(1, 9)}.{rng.randint(1, 9)}.{rng.randint(1, 9)} of the manual", f"the value {rng.randint(256, 999)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)} isn't a valid address, right?",
                             f"it's {rng.randint(1, 12)}:{rng.randint(10, 59)}:{rng.randint(10, 59)} here", "aspect ratio 16:9 looks stretched", f"clause 4.{rng.randint(1, 9)}.{rng.randint(1, 9)}.{rng.randint(1, 9)}.{rng.randint(1, 9)} of the contract",
                             "the ::before element overlaps the icon", f"subnet {rng.randint(1, 254)}.{rng.randint(1, 254)}.{rng.randint(1, 254)} (three parts?) is what the form accepts"])),
        ("code", lambda: C(["use std::collections::HashMap;\nlet m: HashMap<String, u32> = HashMap::new();\n", "std::vector<int> v; v.push_back(1);\n", "Foo::bar()::baz();\n",
                            ".tooltip::after { content: ''; }\n", "let d = Duration::from_secs(3600);\n", "impl fmt::Display for Error {\n"])),
        ("log", lambda: f"{log_prefix()}parsed duration 00:{rng.randint(10, 59)}:{rng.randint(10, 59)}.{rng.randint(100, 999)} for job {rng.randint(10, 999)}"),
        ("json", lambda: json.dumps({"ratio": "16:9", "time": f"{rng.randint(10, 23)}:{rng.randint(10, 59)}:{rng.randint(10, 59)}", "section": f"{rng.randint(1, 9)}.{rng.randint(1, 9)}.{rng.randint(1, 9)}"})),
        ("markdown", lambda: f"See §{rng.randint(1, 9)}.{rng.randint(1, 9)}.{rng.randint(1, 9)}.{rng.randint(1, 9)} and `Vec::with_capacity`."),
        ("shell", lambda: C(["cargo doc --open -p serde::de", f"sleep {rng.randint(1, 9)}.{rng.randint(1, 9)}", "echo \"12:30:45\" | cut -d: -f1"])),
    ])
    produce_neg("neg-url-nocreds", 40, [
        ("url", lambda: C([f"https://{C(['alice', 'bob', 'deploy'])}@{C(HOSTS[1:])}/path", "postgres://localhost:5432/app", "redis://cache.example.com:6379/0",
                           "https://example.com:8443/login?next=/admin", "http://localhost:3000/api/users/42", "mongodb://mongo-0.mongo:27017,mongo-1.mongo:27017/?replicaSet=rs0",
                           "ftp://anonymous@ftp.example.org/pub/", "ssh://git@git.example.com:2222/team/app.git", "https://example.com/reset?email=&step=2",
                           "amqp://broker.internal.example.com:5672/%2F", "jdbc:postgresql://db.example.com:5432/inventory?sslmode=verify-full", "https://example.com/@username/posts"])),
        ("prose", lambda: C(["the file is in C:\\Users\\Public\\Documents\\report.xlsx", "my key is at ~/.ssh/id_ed25519 and has 600 permissions", "it reads ~/.aws/credentials, right?",
                             "/etc/ssl/private/server.key is owned by root", "the DATABASE_URL is postgres://localhost/app in dev", "clone with https://git.example.com/team/app.git",
                             "see https://docs.example.com/v2/auth#tokens for the token format"])),
        ("env", lambda: C(["DATABASE_URL=postgres://db.internal.example.com:5432/app\nPGSSLMODE=require\n", "REDIS_URL=redis://redis-master.default.svc:6379/1\n",
                           "HTTP_PROXY=http://proxy.corp.example.com:3128\nNO_PROXY=localhost,.internal\n"])),
        ("yaml", lambda: "database:\n  host: db.internal.example.com\n  port: 5432\n  user: app\n  password_file: /run/secrets/db_password\n"),
        ("shell", lambda: C(["git clone git@github.com:acme/app.git", "ssh -i ~/.ssh/id_ed25519 deploy@build.example.com", "scp report.pdf backup@files.example.net:/srv/",
                             "cat ~/.ssh/id_ed25519.pub", "chmod 600 ~/.ssh/id_rsa"])),
        ("log", lambda: f"{log_prefix()}GET https://api.example.com/v1/items?page={rng.randint(1, 9)}&limit=50 200 {rng.randint(10, 999)}ms"),
    ])


def neg_wallets_emails():
    def bad_b58():
        a = fmt.base58check(bytes([C([0, 5])]) + rng.randbytes(20))
        i = rng.randint(5, len(a) - 2)
        return a[:i] + C([c for c in fmt.B58 if c != a[i]]) + a[i + 1:]

    def bad_bech():
        a = fmt.segwit_address("bc", C([0, 1]), rng.randbytes(C([20, 32])))
        i = rng.randint(5, len(a) - 2)
        b = a[:i] + C([c for c in fmt.CHARSET if c != a[i]]) + a[i + 1:]
        return b if fmt.bech32_verify(b) is None else None

    def bad_eth():
        h = fmt.eip55(rand(HEX, 40))
        flips = [i for i, c in enumerate(h) if c.isalpha() and i > 1]
        if not flips:
            return None
        i = C(flips)
        return h[:i] + h[i].swapcase() + h[i + 1:]
    produce_neg("neg-wallet", 28, [
        ("prose", lambda: C([f"tx 0x{sha(64)} is stuck pending", f"txid {sha(64)} has 0 confirmations", f"is {bad_b58()} right? the wallet says invalid checksum",
                             f"I typed {(bad_bech() or 'bc1q')} and it was rejected", f"the contract returned 0x{sha(64)}"])),
        ("log", lambda: f"{log_prefix()}block {rng.randint(800000, 900000)} hash=0000000000000000000{sha(45)} txs={rng.randint(1000, 4000)}"),
        ("json", lambda: json.dumps({"txHash": "0x" + sha(64), "blockNumber": rng.randint(10 ** 7, 2 * 10 ** 7), "gasUsed": hex(rng.randint(21000, 900000))})),
        ("url", lambda: f"https://etherscan.io/tx/0x{sha(64)}"),
        ("markdown", lambda: f"| Input | Result |\n|---|---|\n| `{bad_eth() or '0x' + sha(39)}` | bad checksum |\n| `{bad_b58()}` | bad checksum |\n"),
        ("code", lambda: f"let h = H256::from_str(\"0x{sha(64)}\").unwrap();\n"),
    ])
    produce_neg("neg-email-like", 26, [
        ("prose", lambda: C([f"@{ascii_fold(C(FIRST)).lower()} can you look at this?", "ping @channel, deploy in 5", f"upgraded lodash@{rng.randint(3, 4)}.17.{rng.randint(10, 21)} and the build broke",
                             "the @Override annotation is missing", f"npm i @acme/ui@{version().lstrip('v')}", "my email is (none), I signed up with Apple",
                             "clone git@github.com:acme/app.git gives permission denied", f"the image is python@sha256:{sha(64)}"])),
        ("json", lambda: json.dumps({"dependencies": {"@types/node": f"^{rng.randint(18, 22)}.{rng.randint(0, 9)}.0", "@acme/sdk": f"~{version().lstrip('v')}"}}, indent=2)),
        ("code", lambda: C(["@Override\npublic String toString() {\n", "@dataclass(frozen=True)\nclass Config:\n", "@app.route(\"/login\", methods=[\"POST\"])\n", "#[derive(Debug)]\n@media (max-width: 600px) {}\n"])),
        ("shell", lambda: C([f"npx create-app@{rng.randint(1, 14)} my-app", "cargo install ripgrep@14.1.0", "docker pull node@sha256:" + sha(64), "git clone git@gitlab.example.com:team/api.git"])),
        ("log", lambda: f"{log_prefix()}resolved @acme/sdk@{version().lstrip('v')} from cache"),
        ("markdown", lambda: "cc @ops-team @backend\n\n- [ ] bump `serde@1.0.200`\n"),
    ])


def neg_base64():
    texts = ["Hello, world!", "Thanks for your order. It will ship tomorrow.", "{\"event\":\"page_view\",\"path\":\"/pricing\"}", "The quick brown fox jumps over the lazy dog",
             "meeting moved to Thursday", "version=2&lang=en", "PNG image placeholder"]
    produce_neg("neg-base64", 14, [
        ("prose", lambda: f"the field contains {fmt.b64(C(texts).encode())} - is that encoded?"),
        ("json", lambda: json.dumps({"data": fmt.b64(C(texts).encode()), "encoding": "base64"})),
        ("log", lambda: f"{log_prefix()}pubsub message data={fmt.b64(C(texts).encode())}"),
        ("code", lambda: f"<img src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA{fmt.b64(rng.randbytes(30)).rstrip('=')}\" alt=\"logo\">\n"),
        ("markdown", lambda: f"Decoded `{fmt.b64(C(texts).encode())}` and got plain text, so no secret here."),
    ])


def gen_negatives():
    neg_hashes()
    neg_versions_dates()
    neg_numbers()
    neg_placeholders()
    neg_keys()
    neg_finance()
    neg_network()
    neg_wallets_emails()
    neg_base64()


# --------------------------------------------------------------------------
# Split and write
# --------------------------------------------------------------------------
def is_holdout(text):
    """About one case in five, chosen by a hash of the case text."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % 5 == 0


GENERATORS = [gen_email, gen_phone, gen_card, gen_iban, gen_ssn, gen_ip, gen_urlcreds, gen_api_keys, gen_secret,
              gen_private_key, gen_wallet, gen_names_addresses, gen_multi, gen_negatives]


def main():
    for gen in GENERATORS:
        gen()
    if "--fresh" in sys.argv:
        write_fresh()
        return
    if "--dev" in sys.argv:
        at = sys.argv.index("--dev")
        write_dev(int(sys.argv[at + 1]), sys.argv[at + 2])
        return
    tune = open(os.path.join(HERE, "tune.jsonl"), "w", encoding="utf-8", newline="\n")
    hold = open(os.path.join(HERE, "holdout.jsonl"), "w", encoding="utf-8", newline="\n")
    counts = [0, 0]
    for c in CASES:
        h = is_holdout(c["text"])
        (hold if h else tune).write(json.dumps(c, ensure_ascii=False) + "\n")
        counts[h] += 1
    tune.close()
    hold.close()
    print(f"wrote {counts[0]} tune and {counts[1]} holdout cases", file=sys.stderr)


# Seed of the fresh held-out set, drawn once after the detectors were tuned.
FRESH_SEED = 20261204


def redraw(seed):
    """Replaces CASES with a corpus drawn from `seed`; returns the texts of
    the corpus drawn before, which the new one must not repeat."""
    main_texts = {c["text"] for c in CASES}
    CASES.clear()
    COUNTERS.clear()
    SEEN.clear()
    rng.seed(seed)
    for gen in GENERATORS:
        gen()
    return main_texts


def write_fresh():
    """fresh.jsonl: the held-out part of a corpus drawn from another seed,
    minus any text the main corpus has. Nobody reads its mistakes: the
    evaluation prints only its figures."""
    main_texts = redraw(FRESH_SEED)
    out = open(os.path.join(HERE, "fresh.jsonl"), "w", encoding="utf-8", newline="\n")
    n = 0
    for c in CASES:
        if is_holdout(c["text"]) and c["text"] not in main_texts:
            out.write(json.dumps(c, ensure_ascii=False) + "\n")
            n += 1
    out.close()
    print(f"wrote {n} fresh held-out cases", file=sys.stderr)


def write_dev(seed, path):
    """A development set at `path`: the tuning part (never the held-out
    part) of a corpus drawn from `seed`, minus any text the main corpus
    has. Its mistakes may be read and tuned on like tune.jsonl's; it is not
    committed."""
    main_texts = redraw(seed)
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for c in CASES:
            if not is_holdout(c["text"]) and c["text"] not in main_texts:
                out.write(json.dumps(c, ensure_ascii=False) + "\n")
                n += 1
    print(f"wrote {n} development cases to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
