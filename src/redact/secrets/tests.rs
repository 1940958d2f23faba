use super::*;

fn found(text: &str) -> Vec<String> {
    let mut values: Vec<String> = crate::redact::found_by(detect, text)
        .into_iter()
        .map(|(_, value)| value)
        .collect();
    values.dedup();
    values
}

#[test]
fn names_that_end_in_a_secret_word_are_secret_names() {
    for name in [
        "password",
        "POSTGRES_PASSWORD",
        "sessionSecret",
        "auth_token",
        "X-API-Key",
        "SMTP_PASS",
        "secret_access_key",
        "client_secret",
        "gpgPassphrase",
        "Pwd",
    ] {
        assert!(is_secret_name(name), "{name}");
    }
    for name in [
        "password_min_length",
        "TOKEN_EXPIRY_MINUTES",
        "password_hash",
        "max_tokens",
        "key_prefix",
        "password-file",
        "bypass",
        "key",
    ] {
        assert!(!is_secret_name(name), "{name}");
    }
}

#[test]
fn values_named_by_their_context_are_found_whatever_their_shape() {
    for (text, value) in [
        ("password=falcon8203 result=fail", "falcon8203"),
        ("  POSTGRES_PASSWORD: v#$fQ1Xl5ngkG&NZ\n", "v#$fQ1Xl5ngkG&NZ"),
        (r#"{"auth_token": "c824fd14-a458-416e"}"#, "c824fd14-a458-416e"),
        ("User ID=app;Password=HdOTvXOq0D;Encrypt=True", "HdOTvXOq0D"),
        ("https://x/feed?apikey=mvlcn/HrFI&format=rss", "mvlcn/HrFI"),
        ("pin: 818612", "818612"),
        ("passphrase: 1234", "1234"),
        (r#"builder.sessionSecret("j$N&O&Fiu$4I").build()"#, "j$N&O&Fiu$4I"),
        ("./deploy.sh --token 29dad3d24c67 --env prod", "29dad3d24c67"),
        ("mysql -u root -pS3cr3t! shop", "S3cr3t!"),
        ("docker login -u deploy -p a2bf98f0 registry", "a2bf98f0"),
        ("my password is changeme", "changeme"),
        ("the passphrase for the key is Pa55word.", "Pa55word"),
        ("username is frontdesk, password 'test123' (sorry)", "test123"),
        ("try logging in with admin / password 914970 lmk", "914970"),
        ("password pw was rejected as 'too weak'", "pw"),
        ("the database password pw doesn't work from the new server", "pw"),
        (
            "i can't remember if it's bramble6946 or something else, my password i mean",
            "bramble6946",
        ),
        ("hunter2! is my password", "hunter2!"),
        (
            "const SIGNING_SECRET: &str = \"qtWhbm7qV8oJjumlS\";",
            "qtWhbm7qV8oJjumlS",
        ),
        (
            "assert_eq!(cfg.twilio_auth_token, \"f7799f62f5a3dd5d426966a08ef906de\");",
            "f7799f62f5a3dd5d426966a08ef906de",
        ),
        (
            "aws configure set aws_secret_access_key oRI/ZabHYEhsuGB02PSOHj1ilbFXbuxTCzuzOwSj",
            "oRI/ZabHYEhsuGB02PSOHj1ilbFXbuxTCzuzOwSj",
        ),
        ("npm config set //registry.npmjs.org/:_authToken npm_Zr0x8", "npm_Zr0x8"),
        ("htpasswd -b -c .htpasswd admin violet2876", "violet2876"),
        ("htpasswd -nb admin violet2876", "violet2876"),
        ("gh secret set DEPLOY_KEY --body \"kP9x2mQ7\"", "kP9x2mQ7"),
        ("POSTGRES_PASSWORD: secret", "secret"),
    ] {
        assert_eq!(found(text), [value], "{text}");
    }
}

#[test]
fn settings_empty_values_and_references_are_not_secrets() {
    for text in [
        "password_min_length: 9\ntoken_ttl: 86400",
        "PASSWORD_RESET_TIMEOUT=3600",
        r#"{"secret": "", "user": "admin"}"#,
        "db_password: ${API_KEY}",
        r#"password = os.environ["DB_PASSWORD"]"#,
        "const apiKey = process.env.API_KEY;",
        "backup --password-file /run/secrets/backup_pw",
        "the password field is empty in the config",
        "where do I find my API key in the dashboard?",
        "tokens used: 30953, remaining: 40732",
        "secret := os.Getenv(\"CLIENT_SECRET\")",
        r#"{"secret": "$TOKEN", "user": "app"}"#,
        r#"{"password": "\u2026", "user": "app"}"#,
        "passwd --expire bob",
        "card=5419 5375 9423 3475 token=tok_cvkw0Mf5xwo0TR",
        "log.warn(password, \"Enter your password again\")",
        "the password complexity is not met",
        "htpasswd -c .htpasswd admin",
    ] {
        assert_eq!(found(text), Vec::<String>::new(), "{text}");
    }
}

#[test]
fn a_password_column_of_a_markdown_table_is_withheld() {
    let table = "| host | user | Password |\n|---|:---|---:|\n| nas | app | EA8uXaIQcn8s= |\n";
    assert_eq!(found(table), ["EA8uXaIQcn8s="]);
}
