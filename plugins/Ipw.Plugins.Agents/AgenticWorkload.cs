using System.Globalization;
using System.Text.Json;
using Ipw.Plugins.Agents.Tools;

namespace Ipw.Plugins.Agents;

/// <summary>One step of a task's reference solution: a tool and its input (and, for a search, the entry it must find).</summary>
public sealed record PlanStep(string Tool, string Input, string? ExpectKey);

/// <summary>One ipw-agentic task: the question, its answer and how it is graded, and a reference solution.</summary>
public sealed record AgenticTask(string Id, string Subject, string Prompt, string Answer, string Grader, double? Tolerance, IReadOnlyList<PlanStep> Plan);

/// <summary>
/// The ipw-agentic workload, bundled in this assembly (Agentic/ in the source; Agentic/README.md says how it was made):
/// tasks that take 2 to 6 tool calls each over invented facts, the corpus <c>search</c> looks in, and the files
/// <c>read_file</c> may read. Loaded once.
/// </summary>
public static class AgenticWorkload
{
    public const string Version = "1";

    private static readonly Lazy<IReadOnlyList<AgenticTask>> LazyTasks = new(LoadTasks);
    private static readonly Lazy<CorpusSearch> LazyCorpus = new(() => CorpusSearch.Load(Open("agentic/corpus.jsonl")));
    private static readonly Lazy<IReadOnlyDictionary<string, string>> LazyFiles = new(LoadFiles);

    public static IReadOnlyList<AgenticTask> Tasks => LazyTasks.Value;
    public static CorpusSearch Corpus => LazyCorpus.Value;
    public static IReadOnlyDictionary<string, string> Files => LazyFiles.Value;

    /// <summary>The tools the workload's tasks are written for.</summary>
    public static IReadOnlyList<AgentTool> Tools() => ToolSet.Offline(Corpus, new SandboxFiles(Files));

    private static StreamReader Open(string name) =>
        new(typeof(AgenticWorkload).Assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"resource {name} missing"));

    private static List<AgenticTask> LoadTasks()
    {
        using var reader = Open("agentic/tasks.jsonl");
        var tasks = new List<AgenticTask>();
        while (reader.ReadLine() is { } line)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            var plan = r.GetProperty("plan").EnumerateArray()
                .Select(s => new PlanStep(s.GetProperty("tool").GetString()!, s.GetProperty("input").GetString()!,
                    s.TryGetProperty("expect_key", out var k) ? k.GetString() : null)).ToList();
            tasks.Add(new AgenticTask(r.GetProperty("id").GetString()!, r.GetProperty("subject").GetString()!, r.GetProperty("prompt").GetString()!,
                r.GetProperty("answer").GetString()!, r.GetProperty("grader").GetString()!,
                r.TryGetProperty("tolerance", out var t) ? t.GetDouble() : null, plan));
        }
        return tasks;
    }

    private static Dictionary<string, string> LoadFiles()
    {
        const string Prefix = "agentic/files/";
        var assembly = typeof(AgenticWorkload).Assembly;
        return assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal))
            .ToDictionary(n => n[Prefix.Length..], n =>
            {
                using var reader = Open(n);
                return reader.ReadToEnd();
            }, StringComparer.Ordinal);
    }

    /// <summary>A task's grader as ipw's graders name it: <c>numeric:TOLERANCE</c> or <c>exact</c>.</summary>
    public static string GraderSpec(AgenticTask task) =>
        task.Grader == "numeric" && task.Tolerance is { } tol ? $"numeric:{tol.ToString("R", CultureInfo.InvariantCulture)}" : task.Grader;
}
