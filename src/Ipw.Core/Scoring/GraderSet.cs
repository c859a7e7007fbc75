using System.Collections.Concurrent;
using Ipw.Abstractions;
using Ipw.Core.Plugins;

namespace Ipw.Core.Scoring;

/// <summary>What a record's grading columns say: a grade, or null values with the reason it was not graded.</summary>
public sealed record Verdict(bool? Correct, double? Score, string Explanation);

/// <summary>
/// The graders a run can use: those the plugins registered (<see cref="PluginRegistries.Graders"/>; the built-in
/// Graders plugin gives <c>exact</c>, <c>numeric[:tolerance]</c>, <c>choice</c>, <c>contains</c> and
/// <c>regex:PATTERN</c>), plus <c>judge</c>, the host's LLM judge (<see cref="Judge"/>), which runs from
/// <c>ipw score</c> after the run (<see cref="RunScorer"/>) and is never applied when a query completes.
/// A dataset item names its grader as <c>name</c> or <c>name:argument</c>; each distinct name and argument is resolved
/// and created once, then reused. Safe to use from several threads.
/// </summary>
public sealed class GraderSet
{
    /// <summary>The deferred grader: an LLM judge, run by <c>ipw score</c>.</summary>
    public const string JudgeName = "judge";

    /// <summary>What <c>judge</c> does, in <c>ipw list graders</c>.</summary>
    public const string JudgeDescription =
        "an LLM judges the answer after the run, through any registered client (ipw score --judge-client CLIENT --judge-model MODEL, or the same options on ipw profile)";

    private readonly Registry<GraderDescriptor> _registry;
    private readonly ConcurrentDictionary<string, Resolved> _resolved = new(StringComparer.Ordinal);

    /// <summary>The graders of a registry (plus <c>judge</c>).</summary>
    public GraderSet(Registry<GraderDescriptor> registry) => _registry = registry;

    /// <summary>The graders the plugins registered (plus <c>judge</c>).</summary>
    public GraderSet(PluginRegistries registries) : this(registries.Graders) { }

    /// <summary>Every grader name an item may give: the registered ones in name order, then <c>judge</c>.</summary>
    public IReadOnlyList<string> Names =>
        [.. _registry.Entries.Select(e => e.Name).Order(StringComparer.Ordinal), JudgeName];

    /// <summary>Null when <paramref name="grader"/> (<c>name</c> or <c>name:argument</c>) names a grader that can run
    /// (its argument is checked too, by creating the grader); otherwise why not, in one line.</summary>
    public string? Problem(string grader) => Resolve(grader).Problem;

    /// <summary>Grades <paramref name="answer"/> against <paramref name="reference"/> with the grader
    /// <paramref name="grader"/> names (<c>name</c> or <c>name:argument</c>).</summary>
    /// <exception cref="ArgumentException">An unknown grader, a bad argument (see <see cref="Problem"/>), <c>judge</c>
    /// (it grades after the run), a missing reference, or one the grader cannot use.</exception>
    public Grade Apply(string grader, string answer, string? reference)
    {
        var resolved = Resolve(grader);
        if (resolved.Problem is { } problem) throw new ArgumentException(problem, nameof(grader));
        if (resolved.Grader is not { } instance)
            throw new ArgumentException("the judge grades after the run: ipw score RUN --judge-client CLIENT --judge-model MODEL", nameof(grader));
        if (instance.NeedsReference && reference is null)
            throw new ArgumentException($"grader '{resolved.Name}' needs a reference answer", nameof(reference));
        return instance.Grade(answer, reference);
    }

    /// <summary>Grades one answer. A failed query with a grader is wrong (it gave no answer); an item without one, or
    /// whose grader cannot run, is left ungraded with the reason. Used when a query completes and by <c>ipw score</c>.</summary>
    /// <param name="grader">The item's grader (<c>name</c> or <c>name:argument</c>); null when it names none.</param>
    /// <param name="reference">The item's reference answer; null when it has none.</param>
    /// <param name="response">The model's answer.</param>
    /// <param name="status">The query's status: "ok", or its error class.</param>
    public Verdict Grade(string? grader, string? reference, string response, string status)
    {
        if (grader is null)
            return new Verdict(null, null, reference is null ? "not graded: open-ended (no reference)" : "not graded: the item names no grader");
        if (status != "ok") return new Verdict(false, 0, $"no answer: the query failed ({status})");
        try
        {
            var grade = Apply(grader, response, reference);
            return new Verdict(grade.Correct, grade.Score, $"{grader}: {grade.Explanation}");
        }
        catch (ArgumentException e)
        {
            return new Verdict(null, null, $"not graded: {e.Message}");
        }
    }

    /// <summary>A spec's grader (null for the judge) or the problem that stops it, made once per distinct spec.</summary>
    private sealed record Resolved(string Name, IGrader? Grader, string? Problem);

    private Resolved Resolve(string spec) => _resolved.GetOrAdd(spec, Create);

    private Resolved Create(string spec)
    {
        var (name, argument) = Split(spec);
        if (name == JudgeName) return new Resolved(name, null, null);
        if (!_registry.TryGet(name, out var entry))
            return new Resolved(name, null, $"unknown grader '{name}' (known: {string.Join(", ", Names)})");
        var availability = entry.Availability();
        if (!availability.IsAvailable) return new Resolved(name, null, $"grader '{name}' is not available here: {availability.Reason}");
        try
        {
            return new Resolved(name, entry.Descriptor.Create(argument), null);
        }
        catch (PluginConfigurationException e)
        {
            return new Resolved(name, null, e.Message);
        }
    }

    private static (string Name, string? Argument) Split(string spec)
    {
        var colon = spec.IndexOf(':');
        return colon < 0 ? (spec.Trim().ToLowerInvariant(), null) : (spec[..colon].Trim().ToLowerInvariant(), spec[(colon + 1)..]);
    }
}
