using System.Text;
using Ipw.Abstractions;

namespace Ipw.Core.Records;

/// <summary>The per-query columns as a Markdown table, made from <see cref="RecordColumns"/>: docs/run-folder.md's table is this
/// text (a test holds them equal).</summary>
public static class ColumnTable
{
    public static string Markdown()
    {
        var s = new StringBuilder();
        s.Append("| column | type | unit | stage | meaning |\n|---|---|---|---|---|\n");
        foreach (var c in RecordColumns.All)
        {
            var type = c.Type switch
            {
                ColumnType.String => "string",
                ColumnType.Int64 => "int64",
                ColumnType.Float64 => "float64",
                ColumnType.Float64List => "list of float64",
                ColumnType.DeviceList => "list of {device: string, energy_j, active_energy_j, avg_power_w: float64}",
                _ => "bool"
            };
            s.Append("| `").Append(c.Name).Append("` | ").Append(type).Append(" | ").Append(c.Unit ?? "").Append(" | ")
             .Append(c.Stage.ToString().ToLowerInvariant()).Append(" | ").Append(c.Description.Replace("|", "\\|", StringComparison.Ordinal)).Append(" |\n");
        }
        return s.ToString();
    }
}
