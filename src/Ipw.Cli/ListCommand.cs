using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ipw.Abstractions;
using Ipw.Core.Plugins;
using Ipw.Core.Scoring;

namespace Ipw.Cli;

/// <summary><c>ipw list</c>: what the registries hold, where each entry came from, and whether it works here.</summary>
internal static class ListCommand
{
    private static readonly string[] Kinds = ["clients", "datasets", "energy", "analyses", "visualizations", "loads", "graders", "agents", "all", "columns"];

    public static Command Create()
    {
        var kind = new Argument<string>("kind")
        {
            Description = "clients, datasets, energy, analyses, visualizations, loads, graders, agents, all, or columns (the per-query record columns)",
            DefaultValueFactory = _ => "all",
        };
        kind.AcceptOnlyFromAmong(Kinds);
        var json = new Option<bool>("--json") { Description = "print JSON for machines" };
        var command = new Command("list", "List registered clients, datasets, energy backends, analyses, visualizations, compute loads and graders") { kind, json };
        command.SetAction(parse =>
        {
            if (parse.GetValue(kind) == "columns")
            {
                Console.Write(Ipw.Core.Records.ColumnTable.Markdown());
                return 0;
            }
            var registries = PluginLoading.Load(warn: !parse.GetValue(json));
            var rows = Rows(registries, parse.GetValue(kind)!);
            if (parse.GetValue(json)) PrintJson(rows, registries);
            else PrintTable(rows, parse.GetValue(kind)!);
            return 0;
        });
        return command;
    }

    private sealed record Row(string Kind, string Name, string Description, string Plugin, bool Available, string? Reason);

    private static List<Row> Rows(PluginRegistries r, string kind)
    {
        var rows = new List<Row>();
        void Add<T>(string k, Registry<T> registry) where T : EntryDescriptor
        {
            if (kind != "all" && kind != k) return;
            foreach (var e in registry.Entries.OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                var a = e.Availability();
                rows.Add(new Row(k, e.Name, e.Descriptor.Description, e.Plugin.Name, a.IsAvailable, a.Reason));
            }
        }
        Add("clients", r.Clients);
        Add("datasets", r.Datasets);
        Add("energy", r.Telemetry);
        Add("analyses", r.Analyses);
        Add("visualizations", r.Visualizations);
        Add("loads", r.Loads);
        Add("graders", r.Graders);
        Add("agents", r.Agents);
        // The judge is the host's own grader (it runs from ipw score, after the run), listed with the plugins' graders.
        if (kind is "all" or "graders")
            rows.Add(new Row("graders", GraderSet.JudgeName, GraderSet.JudgeDescription, "Ipw.Core", true, null));
        return rows;
    }

    private static void PrintTable(List<Row> rows, string kind)
    {
        var kinds = kind == "all" ? Kinds[..^2] : [kind];
        foreach (var k in kinds)
        {
            Console.WriteLine($"{k}:");
            var group = rows.Where(r => r.Kind == k).ToList();
            if (group.Count == 0) Console.WriteLine("  (none registered)");
            var width = group.Count == 0 ? 0 : group.Max(r => r.Name.Length);
            foreach (var r in group)
            {
                Console.WriteLine($"  {r.Name.PadRight(width)}  {r.Description}");
                Console.WriteLine($"  {"".PadRight(width)}  from {r.Plugin}; {(r.Available ? "available" : "unavailable: " + r.Reason)}");
            }
            Console.WriteLine();
        }
    }

    private static void PrintJson(List<Row> rows, PluginRegistries registries)
    {
        var json = new JsonObject
        {
            ["entries"] = new JsonArray(rows.Select(r => (JsonNode?)new JsonObject
            {
                ["kind"] = r.Kind,
                ["name"] = r.Name,
                ["description"] = r.Description,
                ["plugin"] = r.Plugin,
                ["available"] = r.Available,
                ["reason"] = r.Reason,
            }).ToArray()),
            ["plugins"] = new JsonArray(registries.Loaded.Select(p => (JsonNode?)new JsonObject
            {
                ["name"] = p.Name,
                ["version"] = p.Version,
                ["path"] = p.Path,
            }).ToArray()),
            ["failures"] = new JsonArray(registries.Failures.Select(f => (JsonNode?)new JsonObject
            {
                ["name"] = f.Name,
                ["path"] = f.Path,
                ["reason"] = f.Reason,
            }).ToArray()),
        };
        Console.WriteLine(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
