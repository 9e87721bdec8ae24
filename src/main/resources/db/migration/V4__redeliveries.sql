-- Where each background reconciler got to, one row per reconciler. The redelivery reconciler keeps
-- the newest delivery it has seen in GitHub's list (GitHub's own timestamps, so no clock skew
-- between us and GitHub enters the window), and only after a cycle that handled everything.
create table reconciler_checkpoints (
  name          text primary key,
  delivered_at  timestamptz not null,
  delivery_id   bigint not null,
  updated_at    timestamptz not null default now()
);

-- What the redelivery reconciler asked GitHub to redeliver, one row per event (GUID).
-- attempts counts redelivery requests GitHub answered (accepted or refused); once it reaches
-- RUNWAY_REDELIVERY_MAX_ATTEMPTS the GUID is given up and left for an operator.
create table redeliveries (
  guid             text primary key,
  delivery_id      bigint not null,
  event            text not null,
  action           text,
  attempts         integer not null default 0 check (attempts >= 0),
  -- redelivered (GitHub answered 202) or failed (GitHub refused or did not answer).
  last_result      text not null check (last_result in ('redelivered', 'failed')),
  last_detail      text,
  first_attempt_at timestamptz not null default now(),
  last_attempt_at  timestamptz not null default now(),
  given_up         boolean not null default false,
  given_up_at      timestamptz
);
create index redeliveries_last_attempt_at_idx on redeliveries (last_attempt_at);
create index redeliveries_given_up_idx on redeliveries (given_up_at) where given_up;
