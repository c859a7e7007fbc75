// The energy-monitor self-test as a script: which telemetry can this machine collect? Run it before a long benchmark.
//
//   ipw run scripts/energy_monitor.csx -- --interval 2.0 --duration 10
//
// Prints each counter's power and each gauge's value every --interval seconds, then a verdict per backend.
// Exit code 0 when some backend measures energy or power, 3 when none does (profiles here would have no energy).

var interval = double.Parse(Arg("--interval", "2.0"), CultureInfo.InvariantCulture);
var duration = double.Parse(Arg("--duration", "10"), CultureInfo.InvariantCulture);
Console.WriteLine($"reading every backend every {interval} s for {duration} s");

var measured = new SortedSet<string>(); // backends that read energy or power during the test
var verdicts = EnergyTest(interval, duration, (t, readings) =>
{
    foreach (var r in readings)
        if (r.Metric.Info.Kind is MetricKind.Energy or MetricKind.Power && !double.IsNaN(r.Value)) measured.Add(r.Metric.Source);
    var parts = readings.Select(r => r.Metric.Info.Kind switch
    {
        _ when double.IsNaN(r.Value) => $"{r.Metric.Info.Name}=n/a",
        MetricKind.Energy => $"{r.Metric.Info.Name}={r.Rate:F1}W",
        MetricKind.Power => $"{r.Metric.Info.Name}={r.Value:F1}W",
        MetricKind.Temperature => $"{r.Metric.Info.Name}={r.Value:F0}C",
        MetricKind.Memory => $"{r.Metric.Info.Name}={r.Value / 1048576:F0}MiB",
        _ => null,
    }).OfType<string>();
    Console.WriteLine($"  t={t.TotalSeconds,5:F1}s {string.Join(" ", parts)}");
});

Console.WriteLine("verdicts:");
foreach (var v in verdicts) Console.WriteLine($"  {v.Name,-13} {v.Verdict}");
Console.WriteLine(measured.Count > 0 ? $"energy: measurable here with {string.Join(", ", measured)}"
    : "energy: no backend read energy or power here; profiles will record why");
return measured.Count > 0 ? 0 : 3;
