using System.Diagnostics;
using System.Globalization;
using System.Xml.Linq;
using Ipw.Abstractions;

namespace Ipw.Plugins.Energy;

/// <summary>
/// Apple Silicon power from <c>powermetrics --samplers cpu_power,gpu_power,ane_power --format plist</c>:
/// CPU, GPU and ANE power (mW, Apple's model-based estimates) per sample, integrated over each sample's
/// own elapsed time into energy. powermetrics needs root. <c>IPW_POWERMETRICS</c> names another executable.
/// </summary>
internal sealed class PowermetricsSource : ITelemetrySource
{
    public const string ExecutableVariable = "IPW_POWERMETRICS";
    private static readonly string[] Domains = ["cpu", "gpu", "ane"];
    private readonly string _executable;
    private readonly bool _requireMacOs;
    private readonly int _intervalMs;
    private readonly Lock _sync = new();
    private readonly double[] _energyJ = new double[3];
    private readonly double[] _powerW = [double.NaN, double.NaN, double.NaN];
    private readonly List<int> _active = [];
    private Process? _process;
    private Thread? _reader;

    public PowermetricsSource() : this(Environment.GetEnvironmentVariable(ExecutableVariable) ?? "powermetrics", requireMacOs: Environment.GetEnvironmentVariable(ExecutableVariable) is null, intervalMs: 100) { }

    internal PowermetricsSource(string executable, bool requireMacOs, int intervalMs)
    {
        _executable = executable;
        _requireMacOs = requireMacOs;
        _intervalMs = intervalMs;
    }

    /// <summary>Samples parsed so far.</summary>
    public long Samples { get; private set; }

    public static Availability QuickCheck()
    {
        if (Environment.GetEnvironmentVariable(ExecutableVariable) is null)
        {
            if (!OperatingSystem.IsMacOS()) return Availability.No("powermetrics exists on macOS only");
            if (Environment.UserName != "root") return Availability.No("powermetrics needs root: run ipw with sudo (it reads the SoC's power model)");
        }
        return Availability.Yes;
    }

    public TelemetryProbe Probe()
    {
        var check = _requireMacOs ? QuickCheck() : Availability.Yes;
        if (!check.IsAvailable) return new TelemetryProbe(false, check.Reason, [], [], "powermetrics");
        var psi = new ProcessStartInfo(_executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--samplers", "cpu_power,gpu_power,ane_power", "-i", _intervalMs.ToString(CultureInfo.InvariantCulture), "--format", "plist" })
            psi.ArgumentList.Add(a);
        try
        {
            _process = Process.Start(psi);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new TelemetryProbe(false, $"cannot run {_executable}: {e.Message}", [], [], "powermetrics");
        }
        if (_process is null) return new TelemetryProbe(false, $"cannot run {_executable}", [], [], "powermetrics");
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        _reader = new Thread(ReadDocuments) { IsBackground = true, Name = "ipw-powermetrics" };
        _reader.Start();

        // The first document shows which domains this machine reports.
        var wait = Stopwatch.StartNew();
        while (Samples == 0 && wait.Elapsed < TimeSpan.FromMilliseconds(_intervalMs * 5 + 2000) && !_process.HasExited) Thread.Sleep(10);
        if (Samples == 0)
        {
            var why = _process.HasExited ? $"{_executable} exited with code {_process.ExitCode} (it needs root: sudo)" : $"{_executable} produced no sample";
            Dispose();
            return new TelemetryProbe(false, why, [], [], "powermetrics");
        }
        var metrics = new List<MetricInfo>();
        var missing = new List<MissingMetric>();
        lock (_sync)
        {
            for (var d = 0; d < Domains.Length; d++)
            {
                if (double.IsNaN(_powerW[d]))
                {
                    missing.Add(new MissingMetric(MetricKind.Power, $"powermetrics reports no {Domains[d]} power here"));
                    continue;
                }
                _active.Add(d);
                metrics.Add(new MetricInfo($"{Domains[d]}_energy_j", Domains[d], MetricKind.Energy, "J"));
                metrics.Add(new MetricInfo($"{Domains[d]}_power_w", Domains[d], MetricKind.Power, "W"));
            }
        }
        missing.Add(new MissingMetric(MetricKind.Energy, "no hardware energy counter: energy is powermetrics' model-based power integrated over its samples"));
        return new TelemetryProbe(true, null, metrics, missing, "integrated power (powermetrics model estimates)")
        {
            Details = new Dictionary<string, string> { ["interval_ms"] = _intervalMs.ToString(CultureInfo.InvariantCulture) },
        };
    }

    private void ReadDocuments()
    {
        var stdout = _process!.StandardOutput.BaseStream;
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int n;
        try
        {
            while ((n = stdout.Read(chunk, 0, chunk.Length)) > 0)
            {
                for (var i = 0; i < n; i++)
                {
                    // powermetrics separates plist documents with a NUL byte.
                    if (chunk[i] == 0) { Consume(buffer); continue; }
                    buffer.WriteByte(chunk[i]);
                }
            }
            Consume(buffer);
        }
        catch (IOException)
        {
            // The process ended.
        }
    }

    private void Consume(MemoryStream buffer)
    {
        if (buffer.Length == 0) return;
        var text = System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length).Trim();
        buffer.SetLength(0);
        if (text.Length == 0) return;
        if (Parse(text) is not { } sample) return;
        lock (_sync)
        {
            for (var d = 0; d < Domains.Length; d++)
            {
                if (sample.PowerMw[d] is not { } mw) continue;
                _powerW[d] = mw / 1000.0;
                _energyJ[d] += mw / 1000.0 * sample.ElapsedSeconds;
            }
            Samples++;
        }
    }

    internal sealed record PlistSample(double ElapsedSeconds, double?[] PowerMw);

    /// <summary>Reads one plist document: <c>elapsed_ns</c> and <c>processor</c>'s cpu/gpu/ane_power (mW).</summary>
    internal static PlistSample? Parse(string plist)
    {
        XDocument doc;
        try { doc = XDocument.Parse(plist); }
        catch (System.Xml.XmlException) { return null; }
        var root = doc.Root?.Element("dict");
        if (root is null) return null;
        var top = Dict(root);
        var elapsed = top.TryGetValue("elapsed_ns", out var e) ? Number(e) / 1e9 : null;
        var processor = top.TryGetValue("processor", out var p) && p.Name == "dict" ? Dict(p) : [];
        var gpu = top.TryGetValue("gpu", out var g) && g.Name == "dict" ? Dict(g) : [];
        double? Power(string key) =>
            processor.TryGetValue(key, out var v) ? Number(v) : gpu.TryGetValue(key, out var w) ? Number(w) : null;
        return elapsed is null ? null : new PlistSample(elapsed.Value, [Power("cpu_power"), Power("gpu_power"), Power("ane_power")]);
    }

    private static Dictionary<string, XElement> Dict(XElement dict)
    {
        var result = new Dictionary<string, XElement>(StringComparer.Ordinal);
        string? key = null;
        foreach (var element in dict.Elements())
        {
            if (element.Name == "key") key = element.Value;
            else if (key is not null) { result[key] = element; key = null; }
        }
        return result;
    }

    private static double? Number(XElement e) =>
        (e.Name.LocalName is "integer" or "real") && double.TryParse(e.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;

    public void Read(Span<double> values)
    {
        lock (_sync)
        {
            var i = 0;
            foreach (var d in _active)
            {
                values[i++] = _energyJ[d];
                values[i++] = _powerW[d];
            }
        }
    }

    public void Dispose()
    {
        try
        {
            if (_process is { HasExited: false }) _process.Kill();
        }
        catch (InvalidOperationException) { }
        _reader?.Join(TimeSpan.FromSeconds(2));
        _process?.Dispose();
        _process = null;
    }
}
