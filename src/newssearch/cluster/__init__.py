"""Search an archive split into shards held by the workers of a Dask cluster.

Dask's `distributed` carries the cluster: the scheduler knows which workers are alive,
places each call on the worker holding the shard it names (a worker that holds shard
`reuters` has the resource `newssearch-shard:reuters`), moves the arguments and results,
and notices a worker that dies. newssearch adds what is its own:

* `shard` -- the worker side: a shard is an ordinary newssearch index opened by the
  worker that holds it (`newssearch shard NAME=INDEX ... --scheduler ADDRESS` starts
  such a worker; `open_shard` loads one into a running worker); `call` runs one of
  `Shard`'s methods there;
* `client` -- `ClusterIndex`, which answers like `NewsIndex`: it gathers the corpus
  statistics of every shard first (story counts, field lengths, word frequencies), so
  that each shard scores with the statistics of the whole archive and the scores are
  those one index over every story would give, then merges what the shards found;
* `merge` -- pure functions that merge the shards' pages, timelines and statistics.

Importing this package imports nothing of Dask; `client` and `shard` do.
"""
