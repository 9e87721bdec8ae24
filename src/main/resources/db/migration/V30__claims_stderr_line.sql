-- Agent launch failures (issue 25 item 8). The agent's `exited` event now carries the last line
-- its runner wrote to stderr (bounded to 300 characters by the agent and again by Runway, never the
-- JIT config), kept beside exit_code so the pool page can say why the runner fails to start.
alter table claims add column stderr_line text;
-- Serves PoolStartHealth's query (ClaimStateRepository.startFailures): per pool, the runners that
-- ended or came up in the last day, newest first, to count starts in a row that ended before a job.
create index claims_pool_state_changed_idx on claims (pool, state_changed_at)
  where state in ('running', 'done', 'failed');
