// The end-to-end tests each run the real binary, which uses a whole core: run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
