using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ipw.Cli;

/// <summary><c>ipw doctor</c>: this ipw and this machine in one short report: the version, runtime, machine, plugins,
/// energy backends, cache, and what a run here can measure.</summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "print the same as one JSON object" };
        var command = new Command("doctor", "Check this machine: ipw's version, the runtime, the plugins, each energy backend and why one is not available, the cache, and what a run here can measure") { json };
        command.SetAction(parse =>
        {
            var report = DoctorReport.Gather();
            Console.WriteLine(parse.GetValue(json)
                ? Json(report).ToJsonString(new JsonSerializerOptions { WriteIndented = true })
                : Text(report));
            return 0;
        });
        return command;
    }

    private static string Text(DoctorReport r)
    {
        var m = r.Machine;
        var c = CultureInfo.InvariantCulture;
        var lines = new List<string>();
        void Section(string title, IEnumerable<(string Key, string Value)> rows)
        {
            var list = rows.ToList();
            var width = list.Count == 0 ? 0 : list.Max(x => x.Key.Length);
            if (lines.Count > 0) lines.Add("");
            lines.Add(title);
            lines.AddRange(list.Select(x => $"  {x.Key.PadRight(width)}  {x.Value}".TrimEnd()));
        }
        Section("ipw", [("version", r.Commit is { } commit ? $"{r.Version} (commit {commit})" : r.Version), ("binary", r.Binary ?? "(unknown)")]);
        Section("runtime", [(".NET", r.Runtime), ("RID", r.Rid)]);
        Section("machine",
        [
            ("OS", $"{m.Os} ({m.Architecture})"),
            ("CPU", $"{m.CpuModel}, {m.LogicalCores} logical cores"),
            ("memory", m.MemoryTotalBytes is { } bytes ? string.Create(c, $"{bytes / 1073741824.0:F1} GiB") : "unknown (not read)"),
            ("GPUs", m.Gpus.Count > 0 ? string.Join(", ", m.Gpus) : "none found by the energy backends"),
        ]);
        Section("cache", [("folder", r.CacheFolder), ("from", r.CacheFrom), ("holds", r.CacheContents is { } held ? (held.Count > 0 ? string.Join(", ", held) : "nothing yet") : "not made yet")]);
        // Paths beside the manifest are given from its folder, which the heading names; others in full.
        var home = Path.GetDirectoryName(Path.GetFullPath(r.Manifest))!;
        string Where(string path)
        {
            var relative = Path.GetRelativePath(home, path);
            return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
        }
        Section($"plugins (from {r.Manifest})",
            r.Plugins.Select(p => (p.Name, $"{p.Version}  {Where(p.Path)}"))
                .Concat(r.PluginFailures.Select(f => (f.Name, $"FAILED to load: {f.Reason} ({Where(f.Path)})")))
                .Concat(r.DropInFolders.Select(f => ("drop-in folder", f))));
        Section("energy backends", r.Capabilities.Backends.Select(b => (b.Name,
            $"{(b.Available ? "yes" : "no ")}  {b.Verdict}{(b.OnlyWhenNamed ? $" (used only when named: --energy {b.Name})" : "")}")));
        // The reasons of backends that are unavailable are in the section above; here only what the working ones lack.
        var unavailable = r.Capabilities.Backends.Where(b => !b.Available && !b.OnlyWhenNamed).Select(b => b.Name).ToList();
        var elsewhere = unavailable.Count == 0 ? "" : $"{string.Join(", ", unavailable)}: unavailable, above";
        Section("what a run on this machine can measure", r.Capabilities.Measures.Select(x => (x.What,
            x.Measured ? $"yes  {string.Join(", ", x.Sources)}" : $"no   not measured ({string.Join("; ", x.Lacking.Append(elsewhere).Where(w => w.Length > 0))})")));
        return string.Join(Environment.NewLine, lines);
    }

    private static JsonObject Json(DoctorReport r) => new()
    {
        ["ipw"] = new JsonObject { ["version"] = r.Version, ["commit"] = r.Commit, ["binary"] = r.Binary },
        ["runtime"] = new JsonObject { ["framework"] = r.Runtime, ["rid"] = r.Rid },
        ["machine"] = new JsonObject
        {
            ["os"] = r.Machine.Os,
            ["architecture"] = r.Machine.Architecture,
            ["cpu"] = r.Machine.CpuModel,
            ["logical_cores"] = r.Machine.LogicalCores,
            ["memory_bytes"] = r.Machine.MemoryTotalBytes,
            ["gpus"] = Array(r.Machine.Gpus.Select(g => (JsonNode?)g)),
        },
        ["cache"] = new JsonObject { ["folder"] = r.CacheFolder, ["from"] = r.CacheFrom, ["exists"] = r.CacheContents is not null, ["holds"] = r.CacheContents is { } held ? Array(held.Select(h => (JsonNode?)h)) : null },
        ["plugins"] = new JsonObject
        {
            ["manifest"] = r.Manifest,
            ["drop_in_folders"] = Array(r.DropInFolders.Select(f => (JsonNode?)f)),
            ["loaded"] = Array(r.Plugins.Select(p => (JsonNode?)new JsonObject { ["name"] = p.Name, ["version"] = p.Version, ["path"] = p.Path })),
            ["failures"] = Array(r.PluginFailures.Select(f => (JsonNode?)new JsonObject { ["name"] = f.Name, ["path"] = f.Path, ["reason"] = f.Reason })),
        },
        ["energy_backends"] = Array(r.Capabilities.Backends.Select(b => (JsonNode?)new JsonObject
        {
            ["name"] = b.Name,
            ["plugin"] = b.Plugin,
            ["available"] = b.Available,
            ["reason"] = b.Reason,
            ["verdict"] = b.Verdict,
            ["only_when_named"] = b.OnlyWhenNamed,
            ["reads"] = Array(b.Reads.Select(k => (JsonNode?)k)),
            ["devices"] = Array(b.Devices.Select(d => (JsonNode?)new JsonObject { ["id"] = d.Id, ["kind"] = d.Kind, ["model"] = d.Model })),
        })),
        ["measures"] = Array(r.Capabilities.Measures.Select(x => (JsonNode?)new JsonObject
        {
            ["what"] = x.What,
            ["measured"] = x.Measured,
            ["sources"] = Array(x.Sources.Select(s => (JsonNode?)s)),
            ["reason"] = x.Reason,
            ["lacking"] = Array(x.Lacking.Select(l => (JsonNode?)l)),
        })),
    };

    private static JsonArray Array(IEnumerable<JsonNode?> items) => new(items.ToArray());
}
