using System.Diagnostics;
using Ipw.Plugins.Energy;

namespace Ipw.Plugins.Energy.Tests;

/// <summary>The stand-in behaves as NVML does where ipw's readings depend on it: initialisation counted, a counter
/// that has been running since the driver loaded, publications off the step grid.</summary>
public sealed class NvmlStandinTests : NvmlStandinTest
{
    [Fact]
    public void Each_init_needs_its_shutdown_and_calls_after_the_last_are_uninitialized()
    {
        Script("devices=3");
        NvmlNative.EnsureResolver();
        Assert.Equal(NvmlReturn.Success, NvmlNative.nvmlInit_v2());
        Assert.Equal(NvmlReturn.Success, NvmlNative.nvmlInit_v2());
        Assert.Equal(NvmlReturn.Success, NvmlNative.nvmlShutdown());
        Assert.Equal(NvmlReturn.Success, NvmlNative.nvmlDeviceGetCount_v2(out var count)); // one init still holds
        Assert.Equal(3u, count);
        Assert.Equal(NvmlReturn.Success, NvmlNative.nvmlShutdown());
        Assert.Equal(NvmlReturn.Uninitialized, NvmlNative.nvmlDeviceGetCount_v2(out _));
        Assert.Equal(NvmlReturn.Uninitialized, NvmlNative.nvmlShutdown());
    }

    [Fact]
    public void The_counter_runs_on_from_before_the_process_started()
    {
        Script("power_low_mw=200000", "power_high_mw=200000", "energy_step_ms=10");
        Assert.InRange(FirstReading(), 25e9, 25e9 + 200 * 1000); // the default: 25 MJ, days of uptime
        Script("power_low_mw=200000", "power_high_mw=200000", "energy_step_ms=10", "energy_start_mj=7000000");
        Assert.InRange(FirstReading(), 7e6, 7e6 + 200 * 1000);
    }

    private static double FirstReading()
    {
        NvmlNative.EnsureResolver();
        Assert.Equal(NvmlReturn.Success, NvmlNative.nvmlInit_v2());
        try
        {
            Assert.Equal(NvmlReturn.Success, NvmlNative.nvmlDeviceGetHandleByIndex_v2(0, out var device));
            Assert.Equal(NvmlReturn.Success, NvmlNative.nvmlDeviceGetTotalEnergyConsumption(device, out var mj));
            return mj;
        }
        finally
        {
            NvmlNative.nvmlShutdown();
        }
    }

    [Fact]
    public void Publications_jitter_off_the_step_grid_and_carry_the_exact_energy_of_their_moment()
    {
        // At a constant 200 W from a known start, each published value tells when it was published: (mJ - start) / 200.
        Script("power_low_mw=200000", "power_high_mw=200000", "energy_step_ms=100", "energy_jitter_ms=10", "energy_start_mj=1000000");
        NvmlNative.EnsureResolver();
        Assert.Equal(NvmlReturn.Success, NvmlNative.nvmlInit_v2());
        var published = new SortedSet<ulong>();
        try
        {
            Assert.Equal(NvmlReturn.Success, NvmlNative.nvmlDeviceGetHandleByIndex_v2(0, out var device));
            var clock = Stopwatch.StartNew();
            while (clock.ElapsedMilliseconds < 1300)
            {
                Assert.Equal(NvmlReturn.Success, NvmlNative.nvmlDeviceGetTotalEnergyConsumption(device, out var mj));
                published.Add(mj);
                Thread.Sleep(2);
            }
        }
        finally
        {
            NvmlNative.nvmlShutdown();
        }
        var offsets = published.Select(mj => (mj - 1e6) / 200.0).Where(ms => ms > 50).Select(ms => ms - Math.Round(ms / 100) * 100).ToList();
        Assert.True(offsets.Count >= 10, $"{offsets.Count} publications seen");
        Assert.All(offsets, o => Assert.InRange(o, -10.01, 10.01)); // within the scripted jitter of the grid, to the mJ
        Assert.True(offsets.Max() - offsets.Min() > 4, "the publications should be off the grid, not on it");
    }
}
