-- The runway_jobs and runway_jobs_oldest_age_seconds gauges read the open jobs by pool and status
-- every 5 s. Without an index that was a scan of the whole jobs table, which retention lets grow to
-- 30 days of jobs: 18 ms at 60,000 rows in the drain benchmark, and linear in the table's size.
-- Open jobs are few at any time; this index holds only them.
create index jobs_open_idx on jobs (pool, status, received_at)
  where status in ('waiting', 'queued', 'claimed', 'in_progress');
