-- Accounts: who may run jobs on Runway's runners, and how many at once.
create table accounts (
  id                     bigserial primary key,
  login                  text not null,
  installation_id        bigint unique,
  installation_suspended boolean not null default false,
  runners_enabled        boolean not null default false,
  -- 0 means runners are disabled for the account, whatever runners_enabled says.
  max_concurrent         integer not null default 0 check (max_concurrent >= 0),
  created_at             timestamptz not null default now(),
  updated_at             timestamptz not null default now()
);
create unique index accounts_login_lower_idx on accounts (lower(login));

-- Jobs: one row per workflow job attempt. A re-run (new run_attempt) starts a new lifecycle.
-- status only moves forward: waiting < queued < claimed < in_progress < completed
-- (a stale claim is the one exception, and goes back to queued).
create table jobs (
  job_id             bigint not null,
  run_attempt        integer not null,
  run_id             bigint,
  repository         text,
  owner_login        text,
  owner_is_org       boolean not null default true,
  installation_id    bigint,
  account_id         bigint references accounts (id),
  name               text,
  workflow_name      text,
  labels             text[] not null default '{}',
  pool               text,
  status             text not null check (status in ('waiting','queued','claimed','in_progress','completed')),
  -- Why a queued job is not claimable (no_account, runners_disabled, no_matching_pool, no_pools,
  -- ambiguous_pool); null when it is claimable or past queued.
  outcome            text,
  outcome_detail     text,
  conclusion         text,
  runner_id          bigint,
  runner_name        text,
  created_at_github  timestamptz,
  received_at        timestamptz not null default now(),
  dispatched_at      timestamptz,
  claimed_at         timestamptz,
  claim_id           bigint,
  lease_expires_at   timestamptz,
  started_at         timestamptz,
  completed_at       timestamptz,
  updated_at         timestamptz not null default now(),
  primary key (job_id, run_attempt)
);
create index jobs_claimable_idx on jobs (pool, received_at) where status = 'queued' and outcome is null;
create index jobs_status_idx on jobs (status, updated_at);
create index jobs_outcome_idx on jobs (outcome) where outcome is not null;
create index jobs_account_active_idx on jobs (account_id) where status in ('claimed', 'in_progress');
