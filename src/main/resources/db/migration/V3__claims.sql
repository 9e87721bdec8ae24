-- Bearer tokens of runner agents, one pool each. Only the SHA-256 of a token is kept: the token
-- itself is printed once by `runway pools token create` and never stored.
create table pool_tokens (
  id          bigserial primary key,
  pool        text not null,
  token_hash  bytea not null unique,
  created_at  timestamptz not null default now(),
  revoked_at  timestamptz
);
create index pool_tokens_pool_idx on pool_tokens (pool) where revoked_at is null;

-- Claims: one row per just-in-time runner Runway asked GitHub for. A claim follows its runner,
-- not the job it was created for:
--   active    the runner is starting; job_id is the claimed job that holds its place in the caps
--   bound     an in_progress event named the runner; job_id is the job it really took
--   released  its lease ran out before any in_progress, or GitHub refused the runner
--   completed the job it took (or held) completed
create table claims (
  id              bigserial primary key,
  job_id          bigint not null,
  run_attempt     integer not null,
  pool            text not null,
  account_id      bigint references accounts (id),
  runner_name     text not null unique,
  status          text not null check (status in ('active','bound','released','completed')),
  leased_until    timestamptz not null,
  created_at      timestamptz not null,
  bound_at        timestamptz,
  ended_at        timestamptz,
  end_reason      text
);
create index claims_active_lease_idx on claims (leased_until) where status = 'active';
create index claims_job_idx on claims (job_id, run_attempt);

-- When the stale-job reconciler last asked GitHub about a job, so a long job is not asked about on
-- every round.
alter table jobs add column checked_at timestamptz;
create index jobs_pool_status_idx on jobs (pool, status) where status in ('claimed', 'in_progress');
