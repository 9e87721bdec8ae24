-- The claim's commit no longer holds its locks while the disk flushes (issue 23). claims_claim
-- (V34) makes its transaction durable with set_config('synchronous_commit', 'on', true), so the
-- pool's and the accounts' advisory locks were held until the commit's WAL flush ended, and the
-- claims of one pool queued one flush each (docs/benchmarks.md: 286 claims/s on one pool, 674/s
-- on sixteen). With a SET clause on the function, that setting lasts only until the function
-- returns (a SET LOCAL inside a function with a SET clause for the same variable is undone at its
-- exit), so the commit takes the caller's setting: the main pool's, asynchronous. The commit then
-- returns, and the locks go, as soon as its record is written. The flush is awaited after it,
-- outside every lock, by ClaimRepository#awaitDurable, before anyone is told of the claim: a runner
-- is still registered at GitHub only under a claim that is on disk.
alter function claims_claim(text, integer, integer, integer, integer, timestamptz, timestamptz,
    integer) set synchronous_commit = off;
