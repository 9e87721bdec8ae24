-- Provider pools (issue 24): one machine per claim, started by a GARM-compatible external provider
-- executable. A row is written before CreateInstance runs, so a leader that dies mid-call leaves a
-- row the next leader finds (and deletes the instance by name, as GARM does), never an instance
-- nobody knows. After a restart, the rows are what is adopted: nothing is created twice for a claim.
create table provider_instances (
  claim_id         bigint primary key references claims (id) on delete cascade,
  pool             text not null,
  name             text not null unique,
  provider_id      text,
  -- creating: CreateInstance not yet answered; created: it answered; deleting: DeleteInstance due.
  phase            text not null check (phase in ('creating', 'created', 'deleting')),
  -- What the bootstrap script last reported (installing, idle, failed), and its message.
  boot_status      text,
  boot_message     text,
  -- The instance's token, as SHA-256 only; the token itself went to the provider in stdin.
  token_hash       bytea not null,
  token_expires_at timestamptz not null,
  -- The runner's just-in-time config, until the instance fetched it or was deleted; the metadata
  -- endpoints of every replica serve it from here, as a Pod reads its Secret.
  jit_config       text,
  created_at       timestamptz not null,
  boot_deadline    timestamptz not null,
  updated_at       timestamptz not null
);
create index provider_instances_pool_idx on provider_instances (pool);

-- The GARM_CONTROLLER_ID of this Runway installation: providers tag what they create with it.
create table provider_controller (
  only_one boolean primary key default true check (only_one),
  id       uuid not null default gen_random_uuid()
);
insert into provider_controller default values;
