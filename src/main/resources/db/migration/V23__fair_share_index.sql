-- The fair-share claim (claims.FairShare.RANK) walks an account's repositories that have claimable
-- jobs in a pool (a loose index scan: one probe per repository, not a read of every queued job),
-- then takes each repository's oldest job. This index serves both, in the claim's order within a
-- repository (received_at, job_id). See docs/benchmarks.md (issue 23) for the plan it gives.
create index jobs_fair_idx on jobs (pool, account_id, (coalesce(repository, '')), received_at, job_id)
  where status = 'queued' and outcome is null;
-- The running count per repository: claimed and in-progress jobs of an account, by repository.
create index jobs_repository_active_idx on jobs (account_id, (coalesce(repository, '')))
  where status in ('claimed', 'in_progress');
