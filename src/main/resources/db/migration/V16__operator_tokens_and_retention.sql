-- Issue 16 (production hardening). Numbered after the issue rather than next in line, so that it
-- cannot collide with migrations other branches of the same wave add.

-- Bearer tokens of operators for the management listener's /api/v1 (and later /ui). Like
-- pool_tokens, only the SHA-256 of a token is kept; the token is printed once at creation.
create table operator_tokens (
  id            bigserial primary key,
  name          text not null,
  token_hash    bytea not null unique,
  created_at    timestamptz not null default now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);

-- Retention: a settled delivery's payload bytes are dropped after RUNWAY_RETENTION_PAYLOADS (the
-- row, with its extracted columns and outcome, stays until RUNWAY_RETENTION_DELIVERIES).
alter table inbox add column payload_pruned_at timestamptz;

-- Ended claims are deleted after RUNWAY_RETENTION_JOBS; this finds them without a scan.
create index claims_ended_at_idx on claims (ended_at) where ended_at is not null;
