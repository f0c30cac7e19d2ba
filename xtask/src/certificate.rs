//! `cargo xtask verify-certificate FILE --keys KEYS`: checks a consent
//! certificate document offline, from the published public keys alone (a
//! `leadform-keys.json` file or its JSON text), with `leadform_verify`.
//! `cargo xtask keygen [--kid ID]`: prints fresh key settings for a rotation.
//!
//! Neither talks to a Worker or the network: a buyer or an auditor needs the
//! document and the issuer's public keys, nothing else. No verification
//! logic lives here (it is `leadform_verify`'s); this is argument handling
//! and printing.

use std::io::Read;
use std::path::Path;

use leadform_verify::{verify_document, KeySet, Verified, VerifyError};

use crate::{Result, XtaskError};

/// Reads the key set: `keys` is JSON text when it starts with `{`, else a path.
pub fn read_keys(keys: &str) -> Result<KeySet> {
    let text = if keys.trim_start().starts_with('{') {
        keys.to_owned()
    } else {
        std::fs::read_to_string(keys).map_err(|e| XtaskError::Io(format!("reading {keys}"), e))?
    };
    KeySet::from_jwks(text.as_bytes()).map_err(XtaskError::Certificate)
}

/// Verifies the document at `path` against `keys`.
pub fn verify_file(path: &Path, keys: &KeySet) -> Result<Verified> {
    let bytes = std::fs::read(path)
        .map_err(|e| XtaskError::Io(format!("reading {}", path.display()), e))?;
    verify_document(&bytes, keys).map_err(XtaskError::Certificate)
}

/// `verify-certificate FILE --keys KEYS`.
pub fn verify_command(args: &[String]) -> Result<()> {
    let usage = || {
        XtaskError::Usage(
            "usage: cargo xtask verify-certificate FILE --keys (leadform-keys.json | '{\"keys\":[...]}')".into(),
        )
    };
    let mut file = None;
    let mut keys = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--keys" => keys = Some(rest.next().ok_or_else(usage)?.clone()),
            other if file.is_none() && !other.starts_with("--") => file = Some(other.to_owned()),
            _ => return Err(usage()),
        }
    }
    let (Some(file), Some(keys)) = (file, keys) else {
        return Err(usage());
    };
    let keys = read_keys(&keys)?;
    let verified = verify_file(Path::new(&file), &keys)?;
    print!("{}", summary(&verified));
    Ok(())
}

/// What a verified certificate says, for a person reading the terminal.
pub fn summary(verified: &Verified) -> String {
    let c = &verified.certificate;
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "-".into(),
        other => other.to_string(),
    };
    format!(
        "OK: signature valid (Ed25519, key {kid})\n  certificate  {id}\n  lead         {lead}\n  form         {form}\n  consent      {consent} version {version}, checked: {checked}\n  covers       {covered}\n  received at  {received}\n  ip           {ip}\n  disclosure   {text_shown}\n",
        kid = verified.kid,
        id = text(&c["certificate_id"]),
        lead = text(&c["lead_id"]),
        form = text(&c["form_id"]),
        consent = text(&c["consent"]["consent_id"]),
        version = text(&c["consent"]["version"]),
        checked = text(&c["consent"]["checked"]),
        covered = text(&c["covered"]),
        received = text(&c["evidence"]["received_at"]),
        ip = text(&c["evidence"]["ip"]),
        text_shown = text(&c["consent"]["disclosure_text"]),
    )
}

/// `keygen [--kid ID]`: a seal key, an Ed25519 signing key (and the public
/// entry that keeps it published once retired) and a webhook secret, from
/// the operating system's randomness.
pub fn keygen_command(args: &[String]) -> Result<()> {
    let kid = match args {
        [] => "k1".to_owned(),
        [flag, kid] if flag == "--kid" && leadform_edge::seal::valid_kid(kid) => kid.clone(),
        _ => {
            return Err(XtaskError::Usage(
                "usage: cargo xtask keygen [--kid ID]  (ID: 1 to 64 of A-Z a-z 0-9 . _ -)".into(),
            ))
        }
    };
    let mut random = [0u8; 96];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut random))
        .map_err(|e| XtaskError::Io("reading /dev/urandom".into(), e))?;
    print!("{}", keygen_text(&kid, &random));
    Ok(())
}

/// The settings `keygen` prints for `random` (96 bytes).
fn keygen_text(kid: &str, random: &[u8; 96]) -> String {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&random[32..64]);
    let signer = leadform_edge::keys::CertificateSigner::new(kid, &seed);
    format!(
        "# Prepend to SEAL_KEYS (newest first; keep the older entries):\n{kid}:{seal}\n\n\
         # CERTIFICATE_SIGNING_KEY (secret):\n{kid}:{seed}\n\n\
         # Its public key, to add to CERTIFICATE_PUBLIC_KEYS once this key is retired:\n{public}\n\n\
         # A webhook secret (put it before the old one, space-separated, during the overlap):\nwhsec_{webhook}\n",
        seal = STANDARD.encode(&random[..32]),
        seed = STANDARD.encode(seed),
        public = signer.public_entry(),
        webhook = STANDARD.encode(&random[64..96]),
    )
}

/// For `XtaskError`'s Display.
pub fn describe(error: &VerifyError) -> String {
    format!("{}: {error}", error.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keygen_output_is_usable_configuration() {
        let text = keygen_text("2026-12", &[5; 96]);
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect();
        assert_eq!(lines.len(), 4, "{text}");
        let seal = leadform_edge::seal::SealKeys::from_config(Some(lines[0]), None).unwrap();
        assert_eq!(seal.sealing_kid(), "2026-12");
        let signer = leadform_edge::keys::CertificateSigner::from_config(lines[1]).unwrap();
        let keys = leadform_edge::keys::published_keys(None, Some(lines[2])).unwrap();
        assert_eq!(keys.get("2026-12"), Some(&signer.public_key()));
        assert_eq!(
            leadform_edge::webhook::decode_secrets(lines[3]).map(|k| k.len()),
            Ok(1)
        );
    }

    #[test]
    fn verifies_a_file_against_a_keys_file_or_json() {
        let dir = std::env::temp_dir().join(format!("xtask-certificate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let signer = leadform_edge::keys::CertificateSigner::new("e1", &[3; 32]);
        let certificate = r#"{"certificate_id":"cert_1","lead_id":"lead_1","consent":{"consent_id":"gdpr","version":"v1","checked":true}}"#;
        let doc = signer.sign(certificate).document(certificate);
        let doc_path = dir.join("cert_1.json");
        std::fs::write(&doc_path, &doc).unwrap();
        let jwks = leadform_edge::keys::published_keys(Some(&signer), None)
            .unwrap()
            .to_jwks()
            .to_string();
        let keys_path = dir.join("leadform-keys.json");
        std::fs::write(&keys_path, &jwks).unwrap();
        for keys in [keys_path.display().to_string(), jwks.clone()] {
            let verified = verify_file(&doc_path, &read_keys(&keys).unwrap()).unwrap();
            assert!(summary(&verified).starts_with("OK: signature valid (Ed25519, key e1)"));
        }
        std::fs::write(&doc_path, doc.replace("lead_1", "lead_2")).unwrap();
        match verify_file(&doc_path, &read_keys(&jwks).unwrap()) {
            Err(XtaskError::Certificate(error)) => assert_eq!(error.code(), "signature.invalid"),
            other => panic!("expected a bad signature, got {other:?}"),
        }
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(matches!(
            verify_command(&args(&["only-a-file"])),
            Err(XtaskError::Usage(_))
        ));
        assert!(matches!(
            verify_command(&args(&[
                doc_path.to_str().unwrap(),
                "--keys",
                "{\"keys\":1}"
            ])),
            Err(XtaskError::Certificate(VerifyError::KeysMalformed(_)))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
