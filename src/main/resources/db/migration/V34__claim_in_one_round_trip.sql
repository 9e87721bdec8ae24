-- The claim transaction in one round trip (issue 23: p50 <= 5 ms with 16 claimers at once).
-- Done from Java it was about thirteen statements, each a round trip with its own parse and plan,
-- and the fair-share ranking alone cost about 1 ms; sixteen claimers on two cores queued behind
-- that. These functions are the same transaction, decided inside the server, with the rule of
-- claims.FairShare (see its Javadoc) and the lock order of claims.ClaimLocks, unchanged.
--
-- Each function belongs to the feature whose table it writes, and is named for it: the jobs_
-- function is the jobs feature's claim intent (its only writer of a claimed job), the claims_
-- functions are the claims feature's (the only writer of claims). ArchitectureTest holds that.

-- The job's half of a claim: queued -> claimed by p_claim, with the claim's lease. Returns the row,
-- or nothing when the job was no longer queued (the caller holds its row lock, so that is a bug).
create function jobs_mark_claimed(p_job bigint, p_attempt integer, p_claim bigint,
    p_now timestamptz, p_leased_until timestamptz)
returns setof jobs language sql as $$
  update jobs set status = 'claimed', claim_id = p_claim, claimed_at = p_now,
      lease_expires_at = p_leased_until, updated_at = p_now
    where job_id = p_job and run_attempt = p_attempt and status = 'queued'
  returning *
$$;

-- An account's advisory-lock key: Java's Long.hashCode(id), as ClaimRepository computes it (the
-- id itself below 2^31, as GitHub's account ids are).
create function claims_account_key(p_id bigint) returns integer
language sql immutable as $$
  select (case when (($1 # ($1 >> 32)) & 2147483648) <> 0
               then (($1 # ($1 >> 32)) & 4294967295) - 4294967296
               else (($1 # ($1 >> 32)) & 4294967295) end)::integer
$$;

-- A repository's oldest claimable job of an account in a pool, its row locked; rows another
-- transaction holds are skipped. Shared by both passes of claims_fair_pick.
create function claims_lock_oldest(p_pool text, p_account bigint, p_repo text,
    out o_job_id bigint, out o_run_attempt integer)
language sql as $$
  select j.job_id, j.run_attempt from jobs j
   where j.status = 'queued' and j.outcome is null and j.pool = p_pool
     and j.account_id = p_account and coalesce(j.repository, '') = p_repo
   order by j.received_at, j.job_id limit 1
   for update of j skip locked
$$;

-- The fair-share pick of one account's job in a pool, the row locked (rows another transaction
-- holds are skipped). The rule: the oldest job of the repository with the lowest share (running
-- jobs across all pools / weight), ties to the oldest job, a repository at its own cap skipped.
-- A repository with nothing running has share 0, the lowest there is (weights are positive), so
-- while one has a claimable job the pick is the oldest such job. That is looked for first among
-- the account's 32 oldest claimable jobs (a few index entries, the common case), then, only when
-- there are more, over every repository with claimable jobs (one probe each). Only when no
-- repository with nothing running has a claimable job are the running ones ranked, and they are at
-- most the account's running jobs. Reading every claimable job of the account instead (about
-- 2,000 per account in the bench) cost 2 ms a claim once all its repositories ran something.
-- p_only_repo restricts the pick to one repository (a user's repository-level warm runner takes
-- only its own jobs). o_capped says whether a repository with claimable jobs was skipped at its
-- cap; it is exact only when no job was found, the one case the caller reads it.
create function claims_fair_pick(p_pool text, p_account bigint, p_only_repo text,
    out o_job_id bigint, out o_run_attempt integer, out o_capped boolean)
language plpgsql as $$
declare
  v_running text[];
  v_zero text[];
  v_window integer := 0;
  r record;
begin
  o_capped := false;
  select coalesce(array_agg(a.repo), '{}') into v_running
    from (select distinct coalesce(j.repository, '') as repo from jobs j
           where j.account_id = p_account and j.status in ('claimed', 'in_progress')) a;
  -- Repositories whose own cap is 0 are at their cap with nothing running.
  select coalesce(array_agg(s.repository_key), '{}') into v_zero
    from repository_settings s where s.max_concurrent = 0;

  -- Share 0, among the oldest jobs.
  for r in
    select f.job_id, f.run_attempt, f.repo from (
      select q.job_id, q.run_attempt, coalesce(q.repository, '') as repo, q.received_at
        from jobs q
       where q.status = 'queued' and q.outcome is null and q.pool = p_pool
         and q.account_id = p_account
       order by q.received_at, q.job_id limit 32) f
     order by f.received_at, f.job_id
  loop
    v_window := v_window + 1;
    if r.repo <> all (v_running) and lower(r.repo) <> all (v_zero)
       and (p_only_repo is null or lower(r.repo) = lower(p_only_repo)) then
      select j.job_id, j.run_attempt into o_job_id, o_run_attempt from jobs j
       where j.job_id = r.job_id and j.run_attempt = r.run_attempt
         and j.status = 'queued' and j.outcome is null
         for update skip locked;
      if found then
        return;
      end if;
    end if;
  end loop;

  -- Share 0, beyond them: the oldest job of each repository with nothing running.
  if v_window = 32 then
    for r in
      with recursive rr(repo) as (
        (select coalesce(q.repository, '') from jobs q
          where q.status = 'queued' and q.outcome is null and q.pool = p_pool
            and q.account_id = p_account
          order by coalesce(q.repository, '') limit 1)
        union all
        select (select coalesce(q.repository, '') from jobs q
                 where q.status = 'queued' and q.outcome is null and q.pool = p_pool
                   and q.account_id = p_account and coalesce(q.repository, '') > rr.repo
                 order by coalesce(q.repository, '') limit 1)
          from rr where rr.repo is not null)
      select rr.repo from rr
       cross join lateral (select q.received_at, q.job_id from jobs q
              where q.status = 'queued' and q.outcome is null and q.pool = p_pool
                and q.account_id = p_account and coalesce(q.repository, '') = rr.repo
              order by q.received_at, q.job_id limit 1) o
       where rr.repo is not null and rr.repo <> all (v_running) and lower(rr.repo) <> all (v_zero)
         and (p_only_repo is null or lower(rr.repo) = lower(p_only_repo))
       order by o.received_at, o.job_id
    loop
      select * into o_job_id, o_run_attempt from claims_lock_oldest(p_pool, p_account, r.repo);
      if o_job_id is not null then
        return;
      end if;
    end loop;
  end if;

  -- Every repository with claimable jobs runs something: the lowest share among them.
  for r in
    select a.repo, a.running, s.max_concurrent
      from (select coalesce(j.repository, '') as repo, count(*) as running from jobs j
             where j.account_id = p_account and j.status in ('claimed', 'in_progress')
             group by 1) a
      cross join lateral (select q.received_at, q.job_id from jobs q
             where q.status = 'queued' and q.outcome is null and q.pool = p_pool
               and q.account_id = p_account and coalesce(q.repository, '') = a.repo
             order by q.received_at, q.job_id limit 1) o
      left join repository_settings s on s.repository_key = lower(a.repo)
     where p_only_repo is null or lower(a.repo) = lower(p_only_repo)
     order by a.running / coalesce(s.weight, 1), o.received_at, o.job_id
  loop
    if r.max_concurrent is not null and r.running >= r.max_concurrent then
      o_capped := true;
      continue;
    end if;
    select * into o_job_id, o_run_attempt from claims_lock_oldest(p_pool, p_account, r.repo);
    if o_job_id is not null then
      return;
    end if;
  end loop;

  if not o_capped and cardinality(v_zero) > 0 then
    o_capped := exists (select 1 from jobs j
       where j.status = 'queued' and j.outcome is null and j.pool = p_pool
         and j.account_id = p_account and lower(coalesce(j.repository, '')) = any (v_zero)
         and (p_only_repo is null or lower(coalesce(j.repository, '')) = lower(p_only_repo)));
  end if;
end
$$;

-- The claim transaction (claims.Claims#reserve): one row per idle warm claim handed a job
-- (o_kind 'warm'), then one row that is either the claim (o_kind 'claimed', with its job) or why
-- there is none (o_kind the reason's label). The caller commits; until then the locks hold.
--   p_pool_space, p_account_space  ClaimRepository's advisory-lock key spaces
--   p_pool_key                     the pool's key (Java's String.hashCode of its name)
--   p_max_runners                  the pool's maxRunners, null for none
--   p_max_skipped                  how many accounts one claim steps past at most
create function claims_claim(p_pool text, p_pool_space integer, p_account_space integer,
    p_pool_key integer, p_max_runners integer, p_now timestamptz, p_leased_until timestamptz,
    p_max_skipped integer)
returns table (o_kind text, o_claim_id bigint, o_runner_name text, o_job_id bigint,
    o_run_attempt integer, o_run_id bigint, o_repository text, o_owner_login text,
    o_owner_is_org boolean, o_installation_id bigint, o_name text, o_workflow_name text,
    o_labels text[], o_received_at timestamptz, o_dispatched_at timestamptz)
language plpgsql as $$
declare
  v_highest integer;
  v_skipped bigint[] := '{}';
  v_account bigint;
  v_key integer;
  v_account_full boolean := false;
  v_repo_capped boolean := false;
  v_pick record;
  v_job jobs%rowtype;
  w record;
begin
  -- A runner is registered at GitHub under this claim's id once this commits: durable, whatever
  -- the pool's default (set for the transaction, so it still holds at the caller's commit).
  perform set_config('synchronous_commit', 'on', true);
  perform pg_advisory_xact_lock(p_pool_space, p_pool_key);

  -- Idle warm runners of the pool take claimable jobs first (Claims#handToWarm).
  for w in
    select c.id, c.account_id,
           case when c.runner_org then null else c.runner_owner || '/' || c.runner_repo end as repo
      from claims c
     where c.pool = p_pool and c.warm and c.status = 'active' and c.job_id is null
     order by c.id
       for update skip locked
  loop
    v_key := claims_account_key(w.account_id);
    if v_highest is null or v_key > v_highest then
      perform pg_advisory_xact_lock(p_account_space, v_key);
      v_highest := v_key;
    elsif not pg_try_advisory_xact_lock(p_account_space, v_key) then
      continue;
    end if;
    select * into v_pick from claims_fair_pick(p_pool, w.account_id, w.repo);
    if v_pick.o_job_id is null then
      continue;
    end if;
    select * into v_job
      from jobs_mark_claimed(v_pick.o_job_id, v_pick.o_run_attempt, w.id, p_now, p_leased_until);
    if not found then
      raise exception 'claimed job %/% is no longer queued', v_pick.o_job_id, v_pick.o_run_attempt;
    end if;
    update claims set job_id = v_pick.o_job_id, run_attempt = v_pick.o_run_attempt,
        leased_until = p_leased_until
     where id = w.id and warm and status = 'active' and job_id is null;
    if not found then
      raise exception 'warm claim % stopped being idle', w.id;
    end if;
    return query select 'warm'::text, w.id, null::text, v_pick.o_job_id, v_pick.o_run_attempt,
        null::bigint, null::text, null::text, null::boolean, null::bigint, null::text, null::text,
        null::text[], null::timestamptz, null::timestamptz;
  end loop;

  if p_max_runners is not null and
     (select count(*) from jobs j where j.pool = p_pool and j.status in ('claimed', 'in_progress'))
     + (select count(*) from claims c
         where c.pool = p_pool and c.warm and c.status = 'active' and c.job_id is null)
     >= p_max_runners then
    return query select 'over_pool_cap'::text, null::bigint, null::text, null::bigint,
        null::integer, null::bigint, null::text, null::text, null::boolean, null::bigint,
        null::text, null::text, null::text[], null::timestamptz, null::timestamptz;
    return;
  end if;

  -- Accounts in the order of their oldest claimable job; stepped past when at their cap, held by
  -- another claim (waiting could break the lock order), or with nothing the pick can take.
  while cardinality(v_skipped) < p_max_skipped loop
    select j.account_id into v_account from jobs j
     where j.status = 'queued' and j.outcome is null and j.pool = p_pool
       and j.account_id is not null and not (j.account_id = any (v_skipped))
     order by j.received_at, j.job_id limit 1;
    exit when not found;
    v_skipped := v_skipped || v_account;
    v_key := claims_account_key(v_account);
    if v_highest is null or v_key > v_highest then
      perform pg_advisory_xact_lock(p_account_space, v_key);
      v_highest := v_key;
    elsif not pg_try_advisory_xact_lock(p_account_space, v_key) then
      continue;
    end if;
    if not coalesce((select a.runners_enabled and not a.installation_suspended
                       and a.max_concurrent >
                           (select count(*) from jobs j
                             where j.account_id = a.id and j.status in ('claimed', 'in_progress'))
                         + (select count(*) from claims c
                             where c.account_id = a.id and c.warm and c.status = 'active'
                               and c.job_id is null)
                       from accounts a where a.id = v_account), false) then
      v_account_full := true;
      continue;
    end if;
    select * into v_pick from claims_fair_pick(p_pool, v_account, null);
    v_repo_capped := v_repo_capped or v_pick.o_capped;
    if v_pick.o_job_id is null then
      continue;
    end if;
    o_claim_id := nextval(pg_get_serial_sequence('claims', 'id'));
    o_runner_name := 'runway-' || p_pool || '-' || o_claim_id;
    insert into claims (id, job_id, run_attempt, pool, account_id, runner_name, status,
        leased_until, created_at)
      values (o_claim_id, v_pick.o_job_id, v_pick.o_run_attempt, p_pool, v_account,
        o_runner_name, 'active', p_leased_until, p_now);
    select * into v_job
      from jobs_mark_claimed(v_pick.o_job_id, v_pick.o_run_attempt, o_claim_id, p_now,
        p_leased_until);
    if not found then
      raise exception 'claimed job %/% is no longer queued', v_pick.o_job_id, v_pick.o_run_attempt;
    end if;
    return query select 'claimed'::text, o_claim_id, o_runner_name, v_job.job_id,
        v_job.run_attempt, v_job.run_id, v_job.repository, v_job.owner_login, v_job.owner_is_org,
        coalesce(v_job.installation_id,
            (select a.installation_id from accounts a where a.id = v_job.account_id)),
        v_job.name, v_job.workflow_name, v_job.labels, v_job.received_at, v_job.dispatched_at;
    return;
  end loop;

  return query select (case when v_account_full then 'over_account_cap'
                            when v_repo_capped then 'repository_cap' else 'empty' end)::text,
      null::bigint, null::text, null::bigint, null::integer, null::bigint, null::text, null::text,
      null::boolean, null::bigint, null::text, null::text, null::text[], null::timestamptz,
      null::timestamptz;
end
$$;

-- The share-0 pick reads an account's claimable jobs of a pool in age order; without this index
-- that was a sort of all of them (about 2,000 per account in the bench).
create index jobs_account_queue_idx on jobs (pool, account_id, received_at, job_id)
  where status = 'queued' and outcome is null;
