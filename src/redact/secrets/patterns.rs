//! The patterns that find where a secret's name meets its value: an
//! assignment, a call, a flag, a tool's own option, a sentence. Each match
//! only says where to look; the name and the value are judged elsewhere.

use std::sync::LazyLock;

use regex::Regex;

/// A name, then an assignment; the value starts at the end of the match.
pub(super) static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"[A-Za-z_][A-Za-z0-9_.\-]{0,63}["'`]?\]?[ \t]*(?::=|=>|=|:)[ \t]*"#)
        .expect("the assignment pattern is valid (checked by tests)")
});

/// A type annotation between a name and its value: `&str = `,
/// `&'static str = `, `Option<String> = `.
pub(super) static TYPE_ANNOTATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^&?(?:'static[ \t]+)?[A-Za-z_][A-Za-z0-9_:<>]{0,40}[ \t]*=[ \t]*")
        .expect("the type annotation pattern is valid (checked by tests)")
});

/// A name, then a call or an argument list with the value quoted after it:
/// `sessionSecret("…")`, `Setenv("AWS_SECRET_ACCESS_KEY", "…")`,
/// `assert_eq!(config.auth_token, "…")`.
pub(super) static CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"([A-Za-z_][A-Za-z0-9_.\-]{0,63})(?:\(\s*|["']?\s*,\s*)["']"#)
        .expect("the call pattern is valid (checked by tests)")
});

/// `--password X`, `--token=X`: the flag's name is group 1.
pub(super) static LONG_FLAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|\s)--([a-z][a-z0-9\-]{1,40})(?:=|\s+)").expect("the flag pattern is valid (checked by tests)")
});

/// Short flags and forms of common tools whose argument is a password: the
/// value is group 1.
pub(super) static TOOL_FLAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?x)
          \b(?:mysql|mariadb|mysqldump|mysqladmin)\b[^\n]*?\s-p([^\s'"-][^\s'"]*)          # mysql -pSECRET
        | \b(?:(?:docker|podman|nerdctl|oras)\s+login|helm\s+(?:registry\s+)?login|sshpass|sqlcmd)\b[^\n]*?\s-[pP]\s+['"]?([^\s'"]+)  # docker login -p SECRET
        | \bredis-cli\b[^\n]*?\s-a\s+['"]?([^\s'"]+)                                  # redis-cli -a SECRET
        | \b(?:curl|wget|http)\b[^\n]*?\s(?:-u|--user)\s+['"]?[^\s:'"]+:([^\s'"@]+)  # curl -u user:SECRET
        | \s-pass(?:in|out)?\s+pass:([^\s'"]+)                                        # openssl -passout pass:SECRET
        | /user:\S+\s+([^\s/]+)                                                       # net use … /user:DOMAIN\me SECRET
        | \bgh\s+secret\s+set\s+\S+\s+(?:--body|-b)[=\s]\s*['"]?([^\s'"]+)               # gh secret set NAME --body SECRET
        "#,
    )
    .expect("the tool flag pattern is valid (checked by tests)")
});

/// `aws configure set aws_secret_access_key …`, `npm config set
/// //registry/:_authToken …`: the setting's name is group 1, its value
/// group 2.
pub(super) static CONFIG_SET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?-u:\b)config(?:ure)?[ \t]+set[ \t]+([^\s='"]+)[ \t]+['"]?([^\s'"]+)"#)
        .expect("the config-set pattern is valid (checked by tests)")
});

/// `htpasswd` with its flags and arguments: with `-b` the password is the
/// last argument.
pub(super) static HTPASSWD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)htpasswd((?:[ \t]+-[A-Za-z]+)+)((?:[ \t]+[^\s\-][^\s]*){2,3})")
        .expect("the htpasswd pattern is valid (checked by tests)")
});

/// A secret word in prose, then a few words, then the value: the value
/// starts at the end of the match.
pub(super) static PROSE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?ix)
        \b(?:password|passwort|kennwort|mot\ de\ passe|contrase[ñn]a|senha|wachtwoord|passwd|passphrase|passcode|pwd|pw|pass|pin|secret|token|api[\ _\-]?key|access[\ _\-]key|secret[\ _\-]key|client[\ _\-]secret|credentials?)
        (?P<for>\ (?:for|of|on)\ (?:[a-z0-9.\-]+\ ){0,2}[a-z0-9.\-]+)?         # the password for the radius server
        (?P<who>\ (?:they|we|you|i|he|she|it)\ [a-z]+(?:\ [a-z]+)?)?              # the key they gave us
        (?:\ (?:is|was|=|:|->|lautet|ist|est|es|é|now\ is|is\ now|should\ be|would\ be|will\ be|became|to))?
        \ +["'`]?"#,
    )
    .expect("the prose pattern is valid (checked by tests)")
});

/// A password named after its value: "hunter2 is my password", "it's
/// bramble6946 or something else, my password i mean".
pub(super) static NAMED_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:password|passphrase|passcode|pin)(?-u:\b)")
        .expect("the named-after pattern is valid (checked by tests)")
});

/// A secret's *name* in prose, then "is": `aws_secret_access_key is …`.
pub(super) static NAME_IS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"([A-Za-z_][A-Za-z0-9_.\-]{2,63})\ (?:is|was|lautet|est)\ +["'`]?"#)
        .expect("the name-is pattern is valid (checked by tests)")
});
