-- The id GitHub gave the claim's just-in-time runner (issue 20 item 5d). "Runner gone at GitHub"
-- is decided only by GET .../actions/runners/{runner_id} answering 404, never by the runner's
-- absence from a page of the list; null for claims from before this column (and for a claim whose
-- id could not be written), which are looked up by name and never concluded gone.
alter table claims add column runner_id bigint;
