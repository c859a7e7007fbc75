using System.Diagnostics;
using System.Text;

/// <summary>
/// Scripting start-up, whole process as a user meets it: <c>ipw run</c> on a trivial script with the compile cache
/// off (Roslyn compiles every time) and on (after one run fills it), and <c>ipw repl</c>'s time to its prompt, to the
/// first result when typed at once, and when typed 2.5 s later (the compiler warms up in the background meanwhile).
/// </summary>
internal static class ScriptBench
{
    public static void Run(string ipw, int runs = 7)
    {
        var work = Directory.CreateTempSubdirectory("ipw-bench-script-").FullName;
        try
        {
            var script = Path.Combine(work, "trivial.csx");
            File.WriteAllText(script, "Console.WriteLine(Args.Count);\n");
            var cache = Path.Combine(work, "cache");
            var cold = Times(runs, () => Exec(ipw, work, ["run", script], new() { ["IPW_SCRIPT_CACHE"] = "0", ["IPW_CACHE_DIR"] = cache }));
            Exec(ipw, work, ["run", script], new() { ["IPW_CACHE_DIR"] = cache });
            var cached = Times(runs, () => Exec(ipw, work, ["run", script], new() { ["IPW_CACHE_DIR"] = cache }));
            Console.WriteLine($"script: 'ipw run trivial.csx' compiled each time: {Summary(cold)}; from the compile cache: {Summary(cached)}");

            var prompt = new List<double>();
            var immediate = new List<double>();
            var typedLater = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                var (p, first) = Repl(ipw, work, TimeSpan.Zero);
                prompt.Add(p);
                immediate.Add(first);
                typedLater.Add(Repl(ipw, work, TimeSpan.FromSeconds(2.5)).FirstResult);
            }
            Console.WriteLine($"script: 'ipw repl' to its prompt {Summary(prompt)}; first result typed at once {Summary(immediate)} after start; "
                + $"typed 2.5 s after the prompt {Summary(typedLater)} after Enter");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static List<double> Times(int n, Action action)
    {
        var times = new List<double>();
        for (var i = 0; i < n; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        return times;
    }

    private static string Summary(List<double> ms)
    {
        var s = ms.Order().ToList();
        return $"median {s[s.Count / 2]:F0} ms (min {s[0]:F0}, max {s[^1]:F0}, n={s.Count})";
    }

    private static void Exec(string ipw, string work, string[] args, Dictionary<string, string> env)
    {
        var psi = new ProcessStartInfo(ipw) { WorkingDirectory = work, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"ipw {string.Join(' ', args)} exited {p.ExitCode}: {p.StandardError.ReadToEnd()}");
    }

    /// <summary>Milliseconds from start to the prompt, and to the first result (from start when typed at once, from
    /// Enter when typed after <paramref name="wait"/>).</summary>
    private static (double Prompt, double FirstResult) Repl(string ipw, string work, TimeSpan wait)
    {
        var psi = new ProcessStartInfo(ipw) { WorkingDirectory = work, RedirectStandardOutput = true, RedirectStandardInput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("repl");
        psi.ArgumentList.Add("--history");
        psi.ArgumentList.Add(Path.Combine(work, "history"));
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var seen = new StringBuilder();
        var buffer = new char[4096];
        void ReadUntil(string text)
        {
            while (!seen.ToString().Contains(text, StringComparison.Ordinal))
            {
                var n = p.StandardOutput.Read(buffer, 0, buffer.Length);
                if (n <= 0) throw new InvalidOperationException($"the REPL ended before '{text}': {seen}");
                seen.Append(buffer, 0, n);
            }
        }
        ReadUntil("ipw> ");
        var prompt = sw.Elapsed.TotalMilliseconds;
        Thread.Sleep(wait);
        var typed = sw.Elapsed.TotalMilliseconds;
        p.StandardInput.WriteLine("6 * 7");
        p.StandardInput.Flush();
        ReadUntil("42\n");
        var first = sw.Elapsed.TotalMilliseconds - (wait > TimeSpan.Zero ? typed : 0);
        p.StandardInput.Close();
        p.WaitForExit();
        return (prompt, first);
    }
}
