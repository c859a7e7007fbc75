using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ipw.Cli.Tests;

/// <summary><c>ipw energy serve</c> under what a network sends it: garbage, a thousand idle connections, slow clients,
/// thousands of scrapes. It keeps serving, its memory stays bounded, and it binds loopback unless told otherwise.</summary>
public sealed class EnergyServeAbuseTests : IDisposable
{
    private readonly TempDir _work = new();
    private readonly Process _serve;
    private readonly int _port;

    public EnergyServeAbuseTests()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        _port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _serve = IpwProcess.Start(_work.Path, ["energy", "serve", "--listen", _port.ToString(), "--node", "n1", "--energy", "system"]);
        var first = _serve.StandardOutput.ReadLine();
        Assert.True(first?.StartsWith($"ipw energy serve: http://127.0.0.1:{_port}/metrics", StringComparison.Ordinal) == true,
            $"a port alone must bind loopback: {first}");
        _ = _serve.StandardOutput.ReadToEndAsync();
    }

    private string Scrape(TimeSpan? timeout = null)
    {
        using var http = new HttpClient { Timeout = timeout ?? TimeSpan.FromSeconds(10) };
        return http.GetStringAsync($"http://127.0.0.1:{_port}/metrics").Result;
    }

    private long RssKiB() =>
        long.Parse(File.ReadLines($"/proc/{_serve.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);

    private string Raw(byte[] request)
    {
        using var client = new TcpClient("127.0.0.1", _port) { ReceiveTimeout = 5000 };
        var stream = client.GetStream();
        stream.Write(request);
        var buffer = new byte[256];
        var n = stream.Read(buffer);
        return Encoding.ASCII.GetString(buffer, 0, n);
    }

    [Fact]
    public void Garbage_idle_connections_and_thousands_of_scrapes_leave_it_serving_with_bounded_memory()
    {
        Assert.Contains("ipw_cpu_seconds_total{node=\"n1\"", Scrape());

        // Garbage and oversized requests get an HTTP error, not a crash.
        Assert.StartsWith("HTTP/1.1 400", Raw([0, 0xFF, .. "garbage\r\n\r\n"u8]));
        Assert.StartsWith("HTTP/1.1 4", Raw(Encoding.ASCII.GetBytes($"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:{_port}\r\nX-Big: {new string('a', 200_000)}\r\n\r\n")));
        Assert.StartsWith("HTTP/1.1 404", Raw(Encoding.ASCII.GetBytes($"GET /../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1:{_port}\r\n\r\n")));

        // A thousand connections holding half a request (slow clients): a real scrape still answers at once.
        var held = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 1000; i++)
            {
                var c = new TcpClient("127.0.0.1", _port);
                c.GetStream().Write("GET /metr"u8);
                held.Add(c);
            }
            var started = Stopwatch.StartNew();
            Assert.Contains("ipw_cpu_seconds_total", Scrape(TimeSpan.FromSeconds(5)));
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(2), $"a scrape took {started.Elapsed.TotalSeconds:F2} s behind 1000 idle connections");
        }
        finally
        {
            foreach (var c in held) c.Dispose();
        }

        // Thousands of scrapes, 50 at a time: memory levels off (the first round warms up; the second adds little).
        void Round() => Parallel.For(0, 1500, new ParallelOptions { MaxDegreeOfParallelism = 50 }, _ => Assert.Contains("ipw_memory_bytes", Scrape()));
        Round();
        var before = RssKiB();
        Round();
        var growth = RssKiB() - before;
        Assert.True(growth < 20 * 1024, $"RSS grew {growth} KiB over 1500 more scrapes");
        Assert.False(_serve.HasExited);
    }

    public void Dispose()
    {
        if (!_serve.HasExited)
        {
            IpwProcess.RunTool("kill", _work.Path, "-TERM", _serve.Id.ToString());
            _serve.WaitForExit(10_000);
        }
        _serve.Dispose();
        _work.Dispose();
    }
}
