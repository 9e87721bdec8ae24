-- The inbox: one row per accepted delivery, keyed by GitHub's delivery GUID.
-- The raw body is kept as bytea, exactly as signed: storing it costs no JSON parse on the
-- webhook path (see docs/architecture.md), and the few columns we filter on are extracted.
create table inbox (
  guid             text primary key,
  event            text not null,
  action           text,
  hook_id          bigint,
  installation_id  bigint,
  workflow_job_id  bigint,
  received_at      timestamptz not null,
  stored_at        timestamptz not null default now(),
  via_spool        boolean not null default false,
  payload          bytea not null,
  worker_seen_at   timestamptz,
  dispatch_attempts integer not null default 0,
  outcome          text,
  outcome_detail   text,
  settled_at       timestamptz
);
create index inbox_received_at_idx on inbox (received_at desc);
create index inbox_event_received_at_idx on inbox (event, received_at desc);
create index inbox_unsettled_idx on inbox (received_at) where settled_at is null;

-- db-scheduler's table (its documented PostgreSQL schema for 16.x). Intake inserts the dispatch
-- task row in the same transaction as the inbox row, so the two can never diverge.
create table scheduled_tasks (
  task_name            text not null,
  task_instance        text not null,
  task_data            bytea,
  execution_time       timestamptz not null,
  picked               boolean not null,
  picked_by            text,
  last_success         timestamptz,
  last_failure         timestamptz,
  consecutive_failures int,
  last_heartbeat       timestamptz,
  version              bigint not null,
  priority             smallint,
  primary key (task_name, task_instance)
);
create index execution_time_idx on scheduled_tasks (execution_time);
create index last_heartbeat_idx on scheduled_tasks (last_heartbeat);
create index priority_execution_time_idx on scheduled_tasks (priority desc, execution_time asc);
