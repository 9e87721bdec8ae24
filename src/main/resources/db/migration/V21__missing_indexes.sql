-- Indexes the queries below lacked (issue 20): each was a scan of its whole table, which
-- retention lets grow to its full retention period.

-- InboxRepository.forWorkflowJob: "where workflow_job_id = ? order by received_at, guid" (the
-- deliveries of one job: runway jobs show, GET /api/v1/deliveries?job=, the UI's job page).
create index inbox_workflow_job_idx on inbox (workflow_job_id, received_at)
  where workflow_job_id is not null;

-- ClaimStateRepository.scopesSince (OrphanedRunners, every cycle): "where cl.created_at >= ?", the
-- places where claims of the last lookback registered runners.
create index claims_created_at_idx on claims (created_at);

-- UiQueries.claimableLatency (the UI's received → claimable chart, every page load):
-- "where dispatched_at >= ? and pool is not null and outcome is null".
create index jobs_dispatched_at_idx on jobs (dispatched_at)
  where dispatched_at is not null and pool is not null and outcome is null;
