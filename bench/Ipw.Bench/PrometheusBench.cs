using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

/// <summary>
/// The cluster-energy path's own cost: <c>ipw energy serve</c>'s CPU while scraped every second (after a 10 s
/// warm-up), and, with Debian's Prometheus scraping it, the <c>prometheus</c> backend's instant queries: their latency
/// and the reading process's CPU per second of sampling (the difference between a 30 s and a 90 s self-test, so
/// start-up drops out).
/// </summary>
internal static class PrometheusBench
{
    public static void Run(string ipw)
    {
        var work = Directory.CreateTempSubdirectory("ipw-bench-prom-").FullName;
        var processes = new List<Process>();
        try
        {
            var port = FreePort();
            var serve = Start(ipw, ["energy", "serve", "--listen", $"127.0.0.1:{port}", "--node", "bench"], processes);
            serve.StandardOutput.ReadLine();
            using var http = new HttpClient();
            var url = $"http://127.0.0.1:{port}/metrics";
            // Warm-up: enough scrapes for the JIT's second tier to settle.
            for (var i = 0; i < 100; i++) { http.GetStringAsync(url).GetAwaiter().GetResult(); Thread.Sleep(100); }
            var before = CpuSeconds(serve.Id);
            var scrape = new List<double>();
            for (var i = 0; i < 60; i++)
            {
                var sw = Stopwatch.StartNew();
                http.GetStringAsync(url).GetAwaiter().GetResult();
                scrape.Add(sw.Elapsed.TotalMilliseconds);
                Thread.Sleep(TimeSpan.FromMilliseconds(Math.Max(0, 1000 - sw.Elapsed.TotalMilliseconds)));
            }
            var cpu = CpuSeconds(serve.Id) - before;
            scrape.Sort();
            Console.WriteLine($"prometheus: 'ipw energy serve' scraped every 1 s for 60 s: {cpu / 60 * 100:F2} % of a core; scrape p50 {scrape[30]:F1} ms, max {scrape[^1]:F1} ms");

            if (!File.Exists("/usr/bin/prometheus"))
            {
                Console.WriteLine("prometheus: the backend's query cost needs Debian's prometheus package (apt install prometheus)");
                return;
            }
            var promPort = FreePort();
            File.WriteAllText(Path.Combine(work, "prometheus.yml"), $"global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: ipw\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n");
            var prom = new ProcessStartInfo("/usr/bin/prometheus") { RedirectStandardError = true, RedirectStandardOutput = true };
            prom.ArgumentList.Add($"--config.file={Path.Combine(work, "prometheus.yml")}");
            prom.ArgumentList.Add($"--web.listen-address=127.0.0.1:{promPort}");
            prom.ArgumentList.Add($"--storage.tsdb.path={Path.Combine(work, "tsdb")}");
            var p = Process.Start(prom)!;
            processes.Add(p);
            p.BeginErrorReadLine();
            p.BeginOutputReadLine();
            Thread.Sleep(5000);
            var promUrl = $"http://127.0.0.1:{promPort}";
            double Test(int seconds)
            {
                // The self-test's user and system CPU, as /usr/bin/time reports them.
                var psi = new ProcessStartInfo("/usr/bin/time") { RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (var a in new[] { "-f", "%U %S", ipw, "energy", "test", "--backend", "prometheus", "--prometheus-url", promUrl,
                    "--interval", seconds.ToString(CultureInfo.InvariantCulture), "--duration", seconds.ToString(CultureInfo.InvariantCulture) })
                    psi.ArgumentList.Add(a);
                using var t = Process.Start(psi)!;
                t.StandardOutput.ReadToEnd();
                var times = t.StandardError.ReadToEnd().Trim().Split('\n')[^1].Split(' ');
                t.WaitForExit();
                return double.Parse(times[0], CultureInfo.InvariantCulture) + double.Parse(times[1], CultureInfo.InvariantCulture);
            }
            var shortRun = Test(30);
            var longRun = Test(90);
            var query = new List<double>();
            var q = Uri.EscapeDataString("{__name__=~\"ipw_energy_joules_total|ipw_power_watts|ipw_memory_bytes|ipw_temperature_celsius\"}");
            var bytes = 0;
            for (var i = 0; i < 300; i++)
            {
                var sw = Stopwatch.StartNew();
                bytes = http.GetStringAsync($"{promUrl}/api/v1/query?query={q}").GetAwaiter().GetResult().Length;
                query.Add(sw.Elapsed.TotalMilliseconds);
            }
            query.Sort();
            var perSecond = (longRun - shortRun) / 60;
            Console.WriteLine($"prometheus: backend reading every 200 ms (1 s scrapes): {perSecond * 100:F2} % of a core; instant query p50 {query[150]:F2} ms, "
                + $"p99 {query[297]:F2} ms, {bytes} bytes; a 1-hour run: 18,000 queries, about {perSecond * 3600:F0} s of CPU");
        }
        finally
        {
            foreach (var p in processes)
            {
                try { p.Kill(entireProcessTree: true); p.WaitForExit(5000); } catch (InvalidOperationException) { }
            }
            Directory.Delete(work, recursive: true);
        }
    }

    private static Process Start(string ipw, string[] args, List<Process> processes)
    {
        var psi = new ProcessStartInfo(ipw) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        processes.Add(p);
        return p;
    }

    private static double CpuSeconds(int pid)
    {
        using var p = Process.GetProcessById(pid);
        return p.TotalProcessorTime.TotalSeconds;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
