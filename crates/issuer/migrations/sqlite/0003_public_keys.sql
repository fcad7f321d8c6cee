-- The public half of each Ed25519 signing key (32 bytes), in clear beside the seed that
-- may be sealed: commands that show only public data (`tollgate jwks`, `keys list`) need
-- no master key. Keys stored before this column are filled in by the next start that
-- can open their seed (the master key, or a plaintext store); until then a public-only
-- command derives a plaintext key's half itself and refuses a sealed one.
ALTER TABLE signing_keys ADD COLUMN public_key BLOB;
