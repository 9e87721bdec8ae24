-- The wait breakdown (issue 22 item 2). A job's stages are read from the timestamps it already has
-- (created_at_github, received_at, dispatched_at = claimable, claimed_at, completed_at) and these:
--   jobs.in_progress_at   when Runway moved the job to in_progress (its clock; GitHub's own
--                         started_at stays in started_at)
--   claims.running_at     when the claim's runner was first reported up (or bound by in_progress)
--   jobs.source           how Runway learnt of the job: a webhook, or the sweep of GitHub's queue
alter table jobs
  add column in_progress_at timestamptz,
  add column source text not null default 'webhook' check (source in ('webhook', 'sweep'));
alter table claims add column running_at timestamptz;
