using System.Diagnostics;
using System.Globalization;
using Ipw.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Ipw.Plugins.TorchSharp;

/// <summary>
/// The <c>torch</c> load: square matrix multiplies through libtorch, 2·n³ floating-point operations each, back to back. On
/// CUDA the device is synchronised before the clock is read, so the operations counted are the ones that finished.
/// Settings: <c>device</c> (cpu, cuda, cuda:N), <c>size</c> (n; default 1024 on the CPU, 8192 on CUDA), <c>dtype</c>
/// (float32, float16, bfloat16) and <c>threads</c> (libtorch's CPU threads; default every core).
/// </summary>
internal sealed class MatmulLoad : IComputeLoad
{
    private static readonly string[] Known = ["device", "size", "dtype", "threads"];
    private readonly IReadOnlyDictionary<string, string> _settings;
    private Tensor? _a;
    private Tensor? _b;
    private Device? _device;

    public MatmulLoad(IReadOnlyDictionary<string, string> settings) => _settings = settings;

    public ComputeLoadInfo Prepare(CancellationToken cancellationToken)
    {
        var options = new ClientOptions(null, null, _settings);
        options.RequireKnown(Known);
        int Positive(string key, int fallback) => options.GetInt(key, fallback) is > 0 and var v ? v
            : throw new PluginConfigurationException($"{key} must be a positive integer, got '{_settings[key]}'");
        TorchNatives.EnsureLoaded();
        var device = TorchSettings.ParseDevice(_settings.GetValueOrDefault("device", "cpu"));
        var dtype = TorchSettings.ParseDtype(_settings.GetValueOrDefault("dtype", "float32"));
        var threads = Positive("threads", Environment.ProcessorCount);
        set_num_threads(threads);
        var n = Positive("size", device.type == DeviceType.CUDA ? 8192 : 1024);
        _device = device;
        using (var generator = new Generator(42, device))
        {
            _a = rand([n, n], generator: generator, dtype: dtype, device: device).DetachFromDisposeScope();
            _b = rand([n, n], generator: generator, dtype: dtype, device: device).DetachFromDisposeScope();
        }
        for (var i = 0; i < 2; i++) _a.mm(_b).Dispose(); // warm-up: kernels chosen, pages touched
        TorchSettings.Sync(device);
        var where = device.type == DeviceType.CUDA ? device.ToString() : $"cpu, {threads} thread{(threads == 1 ? "" : "s")}";
        return new ComputeLoadInfo(device.ToString(), string.Create(CultureInfo.InvariantCulture,
            $"{dtype.ToString().ToLowerInvariant()} matrix multiply {n} x {n} x {n} (libtorch {TorchNatives.LibTorchVersion}, {where})"), 2.0 * n * n * n);
    }

    public ComputeLoadResult Run(TimeSpan duration, CancellationToken cancellationToken)
    {
        var a = _a ?? throw new InvalidOperationException("Prepare was not called");
        var clock = Stopwatch.StartNew();
        long operations = 0;
        while (clock.Elapsed < duration && !cancellationToken.IsCancellationRequested)
        {
            a.mm(_b!).Dispose();
            operations++;
            // On CUDA, operations are queued: synchronise every few so the count matches finished work.
            if (operations % 8 == 0) TorchSettings.Sync(_device!);
        }
        TorchSettings.Sync(_device!);
        return new ComputeLoadResult(operations, clock.Elapsed);
    }

    public void Dispose()
    {
        _a?.Dispose();
        _b?.Dispose();
    }
}
