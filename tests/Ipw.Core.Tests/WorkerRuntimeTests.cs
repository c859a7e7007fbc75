using Ipw.Core.Workers;

namespace Ipw.Core.Tests;

/// <summary>The collector a worker process is started with.</summary>
public sealed class WorkerRuntimeTests
{
    [Fact]
    public void A_worker_gets_server_GC_with_one_fixed_heap_unless_the_environment_chose_a_collector()
    {
        var environment = new Dictionary<string, string?> { ["PATH"] = "/usr/bin" };
        WorkerProcess.ServerCollector(environment);
        Assert.Equal("1", environment["DOTNET_gcServer"]);
        Assert.Equal("0", environment["DOTNET_GCDynamicAdaptationMode"]);
        Assert.Equal("1", environment["DOTNET_GCHeapCount"]);
        Assert.Equal("1", environment["DOTNET_GCNoAffinitize"]);

        foreach (var chosen in new[] { "DOTNET_gcServer", "COMPlus_gcServer", "DOTNET_GCSERVER" })
        {
            var own = new Dictionary<string, string?> { [chosen] = "0" };
            WorkerProcess.ServerCollector(own);
            Assert.Equal(new Dictionary<string, string?> { [chosen] = "0" }, own);
        }
    }
}
