-- Fair share inside an account (issue 23): a repository's own settings, set with
-- runway repos set|unset and the UI's accounts page; one writer, repos.RepositorySettings.
--   repository      OWNER/REPO as the operator typed it (shown back)
--   repository_key  lower(repository): GitHub compares names case-insensitively, and the claim
--                   joins jobs.repository on it
--   max_concurrent  the repository's own cap on claimed and in-progress jobs, across all pools;
--                   null means no cap of its own (the account's still applies)
--   weight          its share is running jobs / weight; a claim goes to the lowest share
create table repository_settings (
  repository_key  text primary key,
  repository      text not null,
  max_concurrent  integer check (max_concurrent is null or max_concurrent >= 0),
  weight          double precision not null default 1 check (weight > 0),
  updated_at      timestamptz not null
);
