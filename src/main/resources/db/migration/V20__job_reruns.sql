-- Rerun on runner loss (issue 22 item 4).
-- claims.lost_reason: Runway saw the claim's runner end abnormally while it had a job (evicted,
-- oom_killed, pod_deleted, node_lost, signal); null when it ended normally or still runs.
alter table claims add column lost_reason text;
-- Serves RerunRepository.candidates: lost runners whose decision is not taken yet.
create index claims_lost_idx on claims (id) where lost_reason is not null;

-- One decision per lost runner (claim_id is unique), taken once its job completed:
--   requesting  Runway is asking GitHub (a crash here never asks twice)
--   requested   GitHub answered 201 to POST .../actions/jobs/{job_id}/rerun
--   failed      GitHub refused (detail says how: 403 without actions: write, 422, ...)
--   over_budget the job was rerun rerunOnRunnerLoss times already
--   off         the pool's rerunOnRunnerLoss is 0, or the pool is gone
--   not_failed  the job succeeded (or was skipped) anyway: nothing to rerun
-- A job is identified across attempts by (repository, run_id, job_name): a rerun is a new attempt.
create table job_reruns (
  id           bigserial primary key,
  claim_id     bigint not null unique,
  job_id       bigint not null,
  run_attempt  integer not null,
  run_id       bigint,
  repository   text,
  job_name     text,
  pool         text not null,
  reason       text not null,
  conclusion   text,
  result       text not null
    check (result in ('requesting','requested','failed','over_budget','off','not_failed')),
  detail       text,
  decided_at   timestamptz not null
);
-- Serves RerunRepository.spent (the budget) and forJob (the job page).
create index job_reruns_run_idx on job_reruns (repository, run_id, job_name);
create index job_reruns_job_idx on job_reruns (job_id, run_attempt);
