-- Warm claims (minIdle of a provisioned pool, issue 11 item 6): a claim created for a runner that
-- waits for work before any job exists. It has no job until the claim transaction hands it a
-- claimable job of its account, or an in_progress event names its runner; job_id and run_attempt
-- are null until then. While it lives it holds one place in its pool's maxRunners and its
-- account's max_concurrent, like a job claim (ClaimRepository counts it).
--   warm           created for minIdle, not for a job
--   runner_owner   where its JIT runner is registered: the organisation, or the owner of
--   runner_repo    runner_repo for a user-owned account (repository-level runner); null for an org
--   runner_org     whether runner_owner is an organisation
-- account_id (V3) is the account the runner is registered for.
alter table claims
  alter column job_id drop not null,
  alter column run_attempt drop not null,
  add column warm         boolean not null default false,
  add column runner_owner text,
  add column runner_repo  text,
  add column runner_org   boolean;
alter table claims add constraint claims_job_or_warm check (warm or job_id is not null);
create index claims_warm_live_idx on claims (pool, account_id) where warm and status = 'active';
