-- One answer to "which claim holds this job" (issue 21): the claim's (job_id, run_attempt), and
-- only that. jobs.claim_id pointed the other way, and RunnerBinding kept the two in step by hand.
-- The claim owns the link because a claim exists before, during and after its job (a warm claim
-- holds none, a hand-over moves one), while a job only needs to know that it is held (its status
-- 'claimed'). docs/architecture.md has the reasoning.
--
-- A live claim (active or bound) that names a job is the job's holder, and at most one live claim
-- names a job attempt: the constraint below. It is checked at commit, since a hand-over moves two
-- claims in one transaction and passes through a moment where both name the same job.

-- A job claim names no job once another runner took its job; its lease then ends it (released).
-- Bound and completed claims still always name the job their runner took.
alter table claims drop constraint claims_job_or_warm;
alter table claims add constraint claims_job_or_warm
  check (warm or job_id is not null or status in ('active', 'released'));

-- Today an active claim can still name a job that no longer names it: its job was taken by a
-- runner that is not Runway's or by another claim's runner (RunnerBinding detached it on the job's
-- side only). Such a claim holds no place: it names no job now, as a warm claim that has none.
update claims cl set job_id = null, run_attempt = null
 where cl.status = 'active' and cl.job_id is not null
   and not exists (select 1 from jobs j where j.job_id = cl.job_id
                     and j.run_attempt = cl.run_attempt and j.claim_id = cl.id);

-- Two bound claims of one job attempt can only come from a replayed history; the one the job
-- named keeps it, any other ends.
update claims cl set status = 'completed', ended_at = coalesce(cl.ended_at, now()),
       end_reason = 'another claim holds its job'
 where cl.status = 'bound'
   and exists (select 1 from claims o where o.job_id = cl.job_id
                 and o.run_attempt = cl.run_attempt and o.status in ('active', 'bound')
                 and o.id <> cl.id)
   and not exists (select 1 from jobs j where j.job_id = cl.job_id
                     and j.run_attempt = cl.run_attempt and j.claim_id = cl.id);

alter table claims add constraint claims_one_holder_per_job
  exclude using btree (job_id with =, run_attempt with =) where (status in ('active', 'bound'))
  deferrable initially deferred;

-- The job's half of a claim no longer records the claim. p_claim stays in the signature so that
-- claims_claim (V34), which calls this with it, needs no copy here; the claim it names is the row
-- claims_claim writes with this job.
create or replace function jobs_mark_claimed(p_job bigint, p_attempt integer, p_claim bigint,
    p_now timestamptz, p_leased_until timestamptz)
returns setof jobs language sql as $$
  update jobs set status = 'claimed', claimed_at = p_now, lease_expires_at = p_leased_until,
      updated_at = p_now
    where job_id = p_job and run_attempt = p_attempt and status = 'queued'
  returning *
$$;

alter table jobs drop column claim_id;
