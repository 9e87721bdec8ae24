-- Every claim moves a job from queued to claimed, and such an update is never HOT (status is
-- indexed), so it adds an entry to each index of jobs whose predicate the claimed row meets: each
-- one is WAL the claim's durable commit must flush, with the pool's lock held (docs/benchmarks.md,
-- issue 23). These two say nothing the later indexes do not:
--   jobs_account_active_idx (account_id) where claimed/in_progress: a prefix of
--     jobs_repository_active_idx (account_id, coalesce(repository, '')), same predicate (V23),
--     which the account cap's count uses;
--   jobs_pool_status_idx (pool, status) where claimed/in_progress: a prefix of jobs_open_idx
--     (pool, status, received_at), whose predicate holds those statuses too (V18), which the pool
--     cap's count uses.
drop index jobs_account_active_idx;
drop index jobs_pool_status_idx;
