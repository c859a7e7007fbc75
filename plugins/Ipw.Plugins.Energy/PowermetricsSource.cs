using System.Diagnostics;
using System.Globalization;
using System.Xml.Linq;
using Ipw.Abstractions;

namespace Ipw.Plugins.Energy;

/// <summary>
/// Apple Silicon power from <c>powermetrics --samplers cpu_power,gpu_power,ane_power --format plist</c>:
/// CPU, GPU and ANE power (mW, Apple's model-based estimates) per sample, integrated over each sample's
/// own elapsed time into energy. powermetrics needs root. <c>IPW_POWERMETRICS</c> names another executable.
/// <para>The energy is known only at the end of each sample, so its update period is the sampling interval
/// (<c>-i</c>). A sample that cannot be read (a broken document, or one without a domain it had before) leaves that
/// domain's energy over it unknown: the energy is missing (NaN) from the next read until a good sample has come, and
/// noted, never counted as 0; so is everything while no sample has come for <see cref="StaleAfter"/> (powermetrics
/// stopped or stalls).</para>
/// </summary>
internal sealed class PowermetricsSource : ITelemetrySource, ITelemetryNotes
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
    private readonly bool[] _seen = new bool[3];
    // A dropped sample not yet shown to a read, and no good sample since it: either keeps the domain's energy missing.
    private readonly bool[] _dropUnread = new bool[3], _dropUnhealed = new bool[3];
    private readonly List<string> _notes = [];
    private long _lastSampleAt, _dropped;
    private bool _stale;
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

    /// <summary>Documents received so far, readable or not.</summary>
    internal long Documents { get; private set; }

    /// <summary>How long without a sample before everything is missing: five intervals, at least a second (powermetrics
    /// samples late when the machine is busy, and then covers the delay in its next sample).</summary>
    private TimeSpan StaleAfter => TimeSpan.FromMilliseconds(Math.Max(5 * _intervalMs, 1000));

    public IReadOnlyList<string> Notes
    {
        get { lock (_sync) return [.. _notes]; }
    }

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
                metrics.Add(new MetricInfo($"{Domains[d]}_energy_j", Domains[d], MetricKind.Energy, "J") { UpdatePeriod = TimeSpan.FromMilliseconds(_intervalMs) });
                metrics.Add(new MetricInfo($"{Domains[d]}_power_w", Domains[d], MetricKind.Power, "W"));
            }
        }
        missing.Add(new MissingMetric(MetricKind.Energy, "no hardware energy counter: energy is powermetrics' model-based power integrated over its samples"));
        return new TelemetryProbe(true, null, metrics, missing, "integrated power (powermetrics model estimates)")
        {
            Details = new Dictionary<string, string>
            {
                ["interval_ms"] = _intervalMs.ToString(CultureInfo.InvariantCulture),
                ["energy"] = "known at the end of each sample: the interval is its update period; a dropped sample leaves it missing",
            },
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
        var sample = Parse(text);
        lock (_sync)
        {
            Documents++;
            if (sample is null)
            {
                Drop([0, 1, 2], "a document that is not a readable sample");
                return;
            }
            var lost = new List<int>();
            for (var d = 0; d < Domains.Length; d++)
            {
                if (sample.PowerMw[d] is not { } mw)
                {
                    if (_seen[d]) lost.Add(d);
                    continue;
                }
                _seen[d] = true;
                _dropUnhealed[d] = false;
                _powerW[d] = mw / 1000.0;
                _energyJ[d] += mw / 1000.0 * sample.ElapsedSeconds;
            }
            if (lost.Count > 0) Drop(lost, $"a sample without {string.Join(", ", lost.Select(d => Domains[d] + "_power"))}");
            _lastSampleAt = Stopwatch.GetTimestamp();
            Samples++;
        }
    }

    /// <summary>A sample whose energy is lost for <paramref name="domains"/>: missing, never 0 (under the lock).</summary>
    private void Drop(IEnumerable<int> domains, string what)
    {
        foreach (var d in domains)
        {
            _dropUnread[d] = _dropUnhealed[d] = true;
            _powerW[d] = double.NaN;
        }
        if (++_dropped <= 10 || _dropped is 100 or 1000 or 10000)
            Note($"powermetrics sent {what}: the energy over it is unknown, and missing until the next good sample ({_dropped} such samples so far)");
    }

    private void Note(string note)
    {
        if (_notes.Count < 100) _notes.Add(note);
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
            var silent = Stopwatch.GetElapsedTime(_lastSampleAt);
            if (silent > StaleAfter != _stale)
            {
                _stale = !_stale;
                if (_stale) Note($"no sample from powermetrics for {silent.TotalSeconds:0.#} s (it stopped or stalls): energy and power are missing until one comes");
            }
            var i = 0;
            foreach (var d in _active)
            {
                var unknown = _stale || _dropUnread[d] || _dropUnhealed[d];
                _dropUnread[d] = false;
                values[i++] = unknown ? double.NaN : _energyJ[d];
                values[i++] = _stale ? double.NaN : _powerW[d];
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
