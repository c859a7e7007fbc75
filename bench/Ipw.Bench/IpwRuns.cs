using System.Diagnostics;
using System.Text.Json;

/// <summary>What the whole-process benchmarks share: running the real binary to completion, and reading numbers out of a
/// run's summary.json.</summary>
internal static class IpwRuns
{
    /// <summary>Runs <c>ipw ARGS</c> (or another program) in <paramref name="work"/> to its end, draining both pipes, and
    /// returns its standard output; a non-zero exit throws with what it printed.</summary>
    public static string Run(string ipw, string work, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(ipw) { WorkingDirectory = work, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(ipw)} {string.Join(' ', args)} exited {p.ExitCode}: {stderr.Result}{stdout.Result}");
        return stdout.Result;
    }

    /// <summary>The number at <paramref name="path"/> below <paramref name="e"/>.</summary>
    public static double Get(JsonElement e, params string[] path)
    {
        foreach (var p in path) e = e.GetProperty(p);
        return e.GetDouble();
    }
}
