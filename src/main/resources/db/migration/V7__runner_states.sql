-- The per-claim runner state machine (issue 10). `status` (V3) says what the claim holds in the
-- caps (active, bound, released, completed); `state` says where its runner is:
--   claimed    Runway registered a just-in-time runner; nothing started it yet
--   launching  an agent (or provisioner) is starting the runner
--   running    the runner process is up (or an in_progress event named it)
--   done       the runner exited after running a job (or the job it took completed)
--   failed     the runner never ran a job; state_reason says why
-- Every change is a conditional update on the expected previous states (RunnerStates).
alter table claims
  add column state            text not null default 'claimed'
    check (state in ('claimed','launching','running','done','failed')),
  add column state_reason     text,
  add column state_changed_at timestamptz,
  add column exit_code        integer,
  add column job_started      boolean;
-- Claims that predate the state machine: those that ended are done or failed.
update claims set state = case when status = 'released' then 'failed' else 'done' end,
                  state_reason = case when status = 'released' then end_reason end
 where status in ('released', 'completed');
update claims set state = 'running' where status = 'bound';
create index claims_live_state_idx on claims (pool, state)
  where state in ('claimed','launching','running');
