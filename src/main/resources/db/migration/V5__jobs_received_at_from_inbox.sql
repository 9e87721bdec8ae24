-- jobs.received_at used to default to the dispatch time. It is now the receipt time of the
-- delivery that created the job (written by the dispatch worker). Existing rows are fixed from the
-- inbox where the inbox still holds that job's deliveries: the earliest workflow_job delivery of
-- the same job id and run attempt. Rows whose deliveries are gone keep their value.

-- The run attempt is only in the payload. A payload PostgreSQL cannot read as jsonb (Jackson
-- accepts a few things jsonb does not, such as \u0000) yields null and is skipped rather than
-- failing the migration.
create function pg_temp.runway_run_attempt(p bytea) returns int language plpgsql as $$
begin
  return coalesce((convert_from(p, 'UTF8')::jsonb #>> '{workflow_job,run_attempt}')::int, 1);
exception when others then
  return null;
end
$$;

update jobs j
set received_at = first.received_at
from (
  select i.workflow_job_id as job_id,
         pg_temp.runway_run_attempt(i.payload) as run_attempt,
         min(i.received_at) as received_at
  from inbox i
  where i.event = 'workflow_job' and i.workflow_job_id is not null
  group by 1, 2
) first
where first.job_id = j.job_id
  and first.run_attempt = j.run_attempt
  and first.received_at < j.received_at;
