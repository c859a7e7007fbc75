// Each test packs and builds with dotnet, which takes both cores: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
