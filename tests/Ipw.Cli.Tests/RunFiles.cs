using System.Diagnostics;

namespace Ipw.Cli.Tests;

/// <summary>A run folder watched from outside, as a user's tools would.</summary>
public static class RunFiles
{
    /// <summary>Waits until the run under <paramref name="runs"/> has at least <paramref name="count"/> records on disk,
    /// counted by an independent reader (apache-arrow); returns its data file and the rows seen.</summary>
    public static (string Data, int Seen) WaitForRecords(string runs, int count)
    {
        var deadline = Stopwatch.StartNew();
        string? data = null;
        var seen = 0;
        while (deadline.Elapsed < TimeSpan.FromMinutes(2) && seen < count)
        {
            Thread.Sleep(250);
            data ??= Directory.Exists(runs)
                ? Directory.GetFiles(runs, "data-00000-of-00001.arrow", SearchOption.AllDirectories).FirstOrDefault()
                : null;
            if (data is not null && File.Exists(data) && new FileInfo(data).Length > 0) seen = ArrowJs.Read(data).GetProperty("numRows").GetInt32();
        }
        Assert.True(seen >= count, $"the run never wrote {count} records");
        return (data!, seen);
    }
}
