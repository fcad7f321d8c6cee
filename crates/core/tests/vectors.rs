//! Published test vectors.
//!
//! - RFC 8037 Appendix A (A.1 private key, A.2 public JWK, A.4 signing, A.5 validation):
//!   the `EdDSA` JWS example, reproduced through [`StrictEd25519`], our key handling and
//!   the [`Verifier`].
//! - RFC 8032 §7.1 (TEST 1, TEST 2, TEST 3, TEST 1024, TEST SHA(abc)): Ed25519 keys and
//!   signatures, byte for byte, plus the RFC 8037 JWK encoding of each public key.

mod common;

use common::{b64, hex, unb64};
use ed25519_dalek::Signer as _;
use jwt_compact::Algorithm as _;
use tollgate_core::{
    ClaimsError, Jwk, Jwks, Policy, SigningKey, StrictEd25519, Verifier, VerifyError,
};

/// RFC 8037 A.1: the private key `d`.
const RFC8037_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
/// RFC 8037 A.1 / A.2: the public key `x`.
const RFC8037_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
/// RFC 8037 A.1: the private JWK.
const RFC8037_PRIVATE_JWK: &str = r#"{"kty":"OKP","crv":"Ed25519",
   "d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
   "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
/// RFC 8037 A.2: the public JWK, as printed.
const RFC8037_PUBLIC_JWK: &str = r#"{"kty":"OKP","crv":"Ed25519",
   "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
/// RFC 8037 A.4: the protected header and the payload.
const RFC8037_HEADER: &str = r#"{"alg":"EdDSA"}"#;
const RFC8037_PAYLOAD: &str = "Example of Ed25519 signing";
/// RFC 8037 A.4: the JWS Signing Input.
const RFC8037_SIGNING_INPUT: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
/// RFC 8037 A.4: the signature.
const RFC8037_SIGNATURE: &str =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
/// RFC 8037 A.4: the compact serialization.
const RFC8037_JWS: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.\
hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

fn rfc8037_seed() -> [u8; 32] {
    unb64(RFC8037_D)
        .try_into()
        .expect("RFC 8037 A.1 d is 32 bytes")
}

#[test]
fn rfc8037_a1_private_key_gives_the_published_x() {
    let key = SigningKey::from_seed("rfc8037", &rfc8037_seed());
    let jwk = key.public_jwk().to_value();
    assert_eq!(jwk["x"], RFC8037_X);
    assert_eq!(jwk["kty"], "OKP");
    assert_eq!(jwk["crv"], "Ed25519");
    assert_eq!(jwk["alg"], "EdDSA");
}

#[test]
fn rfc8037_a2_public_jwk_is_read() {
    let jwk = Jwk::from_json(RFC8037_PUBLIC_JWK).expect("RFC 8037 A.2 is a valid public JWK");
    assert_eq!(jwk.kid(), None);
    assert_eq!(jwk.verifying_key().as_bytes().as_slice(), unb64(RFC8037_X));
    let derived = SigningKey::from_seed("", &rfc8037_seed()).public_jwk();
    assert_eq!(jwk.verifying_key(), derived.verifying_key());
    // Written back, the JWK carries the same `x`.
    assert_eq!(jwk.to_value()["x"], RFC8037_X);
}

#[test]
fn rfc8037_a3_thumbprint_of_the_public_jwk() {
    // RFC 8037 A.3 (computing the RFC 7638 thumbprint of the A.2 key).
    let jwk = Jwk::from_json(RFC8037_PUBLIC_JWK).expect("RFC 8037 A.2 is a valid public JWK");
    assert_eq!(
        jwk.thumbprint(),
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    );
}

#[test]
fn rfc8037_a1_private_jwk_is_refused_in_a_public_set() {
    let err = Jwk::from_json(RFC8037_PRIVATE_JWK).expect_err("A.1 carries d");
    assert_eq!(err.code(), "jwk_private");
    let set = format!(r#"{{"keys":[{RFC8037_PRIVATE_JWK}]}}"#);
    let err = Jwks::from_json(&set).expect_err("A.1 carries d");
    assert_eq!(err.code(), "jwk_private");
}

#[test]
fn rfc8037_a4_signing_reproduces_the_published_jws() {
    let signing_input = format!(
        "{}.{}",
        b64(RFC8037_HEADER.as_bytes()),
        b64(RFC8037_PAYLOAD.as_bytes())
    );
    assert_eq!(signing_input, RFC8037_SIGNING_INPUT);
    let key = ed25519_dalek::SigningKey::from_bytes(&rfc8037_seed());
    let signature = StrictEd25519.sign(&key, signing_input.as_bytes());
    assert_eq!(b64(&signature.to_bytes()), RFC8037_SIGNATURE);
    assert_eq!(format!("{signing_input}.{RFC8037_SIGNATURE}"), RFC8037_JWS);
}

#[test]
fn rfc8037_a5_validation_with_strict_ed25519() {
    let jwk = Jwk::from_json(RFC8037_PUBLIC_JWK).expect("RFC 8037 A.2");
    let bytes: [u8; 64] = unb64(RFC8037_SIGNATURE)
        .try_into()
        .expect("64-byte signature");
    let signature = ed25519_dalek::Signature::from_bytes(&bytes);
    let input = RFC8037_SIGNING_INPUT.as_bytes();
    assert!(StrictEd25519.verify_signature(&signature, jwk.verifying_key(), input));
    // One changed byte of the signing input no longer verifies.
    let mut tampered = input.to_vec();
    tampered[0] ^= 1;
    assert!(!StrictEd25519.verify_signature(&signature, jwk.verifying_key(), &tampered));
}

#[test]
fn rfc8037_a5_validation_through_the_verifier() {
    // A set holding only the A.2 key: a token without `kid` selects it.
    let jwks = Jwks::from_json(&format!(r#"{{"keys":[{RFC8037_PUBLIC_JWK}]}}"#))
        .expect("RFC 8037 A.2 in a set");
    let verifier = Verifier::new(jwks, Policy::default().token_type(None));
    assert!(verifier.parse(RFC8037_JWS).is_ok());
    // The signature verifies; only then is the payload read, and the RFC's payload
    // ("Example of Ed25519 signing") is not a claims object.
    let err = verifier
        .verify(RFC8037_JWS, 0)
        .expect_err("payload is not JSON claims");
    assert_eq!(err, VerifyError::Claims(ClaimsError::Malformed));
    // With the last signature character changed, the signature itself fails.
    let forged = format!("{}A", &RFC8037_JWS[..RFC8037_JWS.len() - 1]);
    let err = verifier.verify(&forged, 0).expect_err("tampered signature");
    assert_eq!(err.code(), "invalid_signature");
}

/// One RFC 8032 §7.1 test: secret key (seed), public key, message, signature.
struct Rfc8032 {
    name: &'static str,
    secret: &'static str,
    public: &'static str,
    message: &'static str,
    signature: &'static str,
}

const RFC8032_TEST_1024_MESSAGE: &str = concat!(
    "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98",
    "fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8",
    "79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d",
    "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc",
    "1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4fe",
    "ba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e",
    "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbef",
    "efd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7",
    "aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1",
    "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2",
    "d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24",
    "554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270",
    "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc",
    "2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07",
    "07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba",
    "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a",
    "ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429e",
    "c96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7",
    "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c",
    "42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8",
    "ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df",
    "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08",
    "d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649",
    "de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4",
    "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a3",
    "2ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e",
    "6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f",
    "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5",
    "0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1",
    "369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d",
    "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c",
    "0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0",
);

const RFC8032: [Rfc8032; 5] = [
    Rfc8032 {
        name: "RFC 8032 §7.1 TEST 1",
        secret: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        public: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        message: "",
        signature: concat!(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155",
            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        ),
    },
    Rfc8032 {
        name: "RFC 8032 §7.1 TEST 2",
        secret: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        public: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        message: "72",
        signature: concat!(
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da",
            "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        ),
    },
    Rfc8032 {
        name: "RFC 8032 §7.1 TEST 3",
        secret: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        public: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        message: "af82",
        signature: concat!(
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac",
            "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
        ),
    },
    Rfc8032 {
        name: "RFC 8032 §7.1 TEST 1024",
        secret: "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
        public: "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
        message: RFC8032_TEST_1024_MESSAGE,
        signature: concat!(
            "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350",
            "aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03",
        ),
    },
    Rfc8032 {
        name: "RFC 8032 §7.1 TEST SHA(abc)",
        secret: "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
        public: "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        // SHA-512("abc").
        message: concat!(
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a",
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
        signature: concat!(
            "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589",
            "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
        ),
    },
];

#[test]
fn rfc8032_message_lengths_are_as_published() {
    let lengths: Vec<usize> = RFC8032.iter().map(|v| hex(v.message).len()).collect();
    assert_eq!(lengths, [0, 1, 2, 1023, 64]);
}

#[test]
fn rfc8032_7_1_public_keys_from_seeds() {
    for v in &RFC8032 {
        let seed: [u8; 32] = hex(v.secret).try_into().expect("32-byte seed");
        let jwk = SigningKey::from_seed("rfc8032", &seed).public_jwk();
        assert_eq!(
            jwk.verifying_key().as_bytes().as_slice(),
            hex(v.public),
            "{}",
            v.name
        );
        // RFC 8037 §2: `x` is the base64url of the RFC 8032 public key.
        assert_eq!(jwk.to_value()["x"], b64(&hex(v.public)), "{}", v.name);
    }
}

#[test]
fn rfc8032_7_1_signatures_are_byte_exact() {
    for v in &RFC8032 {
        let seed: [u8; 32] = hex(v.secret).try_into().expect("32-byte seed");
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let message = hex(v.message);
        let signature = key.sign(&message);
        assert_eq!(
            signature.to_bytes().as_slice(),
            hex(v.signature),
            "{}",
            v.name
        );
        // Our algorithm produces the same bytes and verifies them strictly.
        let ours = StrictEd25519.sign(&key, &message);
        assert_eq!(ours, signature, "{}", v.name);
        let public = SigningKey::from_seed("", &seed).public_jwk();
        assert!(
            StrictEd25519.verify_signature(&signature, public.verifying_key(), &message),
            "{}",
            v.name
        );
        let mut other = message.clone();
        other.push(0);
        assert!(
            !StrictEd25519.verify_signature(&signature, public.verifying_key(), &other),
            "{}: an extra byte must not verify",
            v.name
        );
    }
}

#[test]
fn rfc8032_7_1_public_keys_round_trip_as_a_jwks() {
    let keys: Vec<Jwk> = RFC8032
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let seed: [u8; 32] = hex(v.secret).try_into().expect("32-byte seed");
            SigningKey::from_seed(format!("test-{i}"), &seed).public_jwk()
        })
        .collect();
    let jwks = Jwks::new(keys).expect("five distinct kids");
    let read = Jwks::from_json(&jwks.to_json()).expect("our own output reads back");
    assert_eq!(read, jwks);
    for (jwk, v) in read.keys().iter().zip(&RFC8032) {
        assert_eq!(
            jwk.verifying_key().as_bytes().as_slice(),
            hex(v.public),
            "{}",
            v.name
        );
    }
}

#[test]
fn rfc8032_test_1_is_the_rfc8037_example_key() {
    // RFC 8037 A.1 reuses RFC 8032 §7.1 TEST 1: same secret, same public key.
    assert_eq!(rfc8037_seed().as_slice(), hex(RFC8032[0].secret));
    assert_eq!(unb64(RFC8037_X), hex(RFC8032[0].public));
}
