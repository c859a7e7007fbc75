using Ipw.Abstractions;
using Ipw.Core.Measurement;

namespace Ipw.Core.Records.Stages;

/// <summary>Maps the window's telemetry statistics onto the record: CPU, memory, power peaks and temperature.</summary>
internal sealed class TelemetryStage(TelemetryMap map) : IRecordStage
{
    private readonly int _cores = Environment.ProcessorCount;

    public RecordStage Stage => RecordStage.Telemetry;

    public void Fill(MeasuredQuery q, RecordBuilder r)
    {
        var w = q.Window;
        var busy = TelemetryMap.Value(w.Delta, map.SystemCpu);
        var seconds = w.Duration.TotalSeconds;
        r.Set(RecordColumns.ProcessCpuS, TelemetryMap.Value(w.Delta, map.ProcessCpu))
         .Set(RecordColumns.SystemCpuUtilization, busy is { } b && seconds > 0 ? Math.Clamp(b / (seconds * _cores), 0, 1) : null)
         .Set(RecordColumns.ProcessRssBytes, ToLong(TelemetryMap.Value(w.Max, map.ProcessRss)))
         .Set(RecordColumns.SystemMemoryUsedBytes, ToLong(TelemetryMap.Value(w.Max, map.SystemMemory)));
        if (map.GpuMemory.Count > 0) r.Set(RecordColumns.GpuMemoryUsedBytes, ToLong(TelemetryMap.Sum(w.Max, map.GpuMemory)));
        // The maximum can only come from samples: each device's highest reading, summed.
        if (map.Power.Count > 0) r.Set(RecordColumns.MaxPowerW, TelemetryMap.Sum(w.Max, map.Power));

        if (map.Temperature.Count > 0)
        {
            double? hottest = null;
            for (var k = 0; k < map.Temperature.Count; k++)
                if (w.Max[map.Temperature[k]] is var t && !double.IsNaN(t)) hottest = Math.Max(hottest ?? double.MinValue, t);
            r.Set(RecordColumns.TemperatureC, hottest)
             .Set(RecordColumns.TemperatureMissingReason, hottest is null ? "no temperature sample inside this query's window" : null);
        }
        else r.Set(RecordColumns.TemperatureMissingReason, map.TemperatureMissingReason);
    }

    private static long? ToLong(double? value) => value is { } v ? (long)Math.Round(v) : null;
}
