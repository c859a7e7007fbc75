using Ipw.Abstractions;
using Ipw.Core.Plugins;
using Ipw.Core.Scoring;
using Ipw.Plugins.Graders;

namespace Ipw.Core.Tests;

/// <summary>The grader set: specs resolved through the registry (the built-in graders are a plugin, tested on their own
/// in Ipw.Plugins.Graders.Tests), judge deferred, and the verdicts written into records.</summary>
public class GraderTests
{
    private static GraderSet Graders(params IIpwPlugin[] more)
    {
        var registries = new PluginRegistries();
        Assert.Empty(registries.RegisterInProcess(new GradersPlugin()));
        foreach (var plugin in more) Assert.Empty(registries.RegisterInProcess(plugin));
        return new GraderSet(registries);
    }

    [Fact]
    public void Specs_resolve_through_the_registry_with_their_argument()
    {
        var graders = Graders();
        Assert.Equal(new[] { "choice", "contains", "exact", "numeric", "regex", "judge" }, graders.Names);
        Assert.True(graders.Apply("numeric", "The answer is 42.", "42").Correct);
        Assert.False(graders.Apply("numeric:0.01", "3.16", "3.14").Correct);
        Assert.True(graders.Apply(" Numeric :0.01", "3.145", "3.14").Correct);
        Assert.True(graders.Apply(@"regex:^\d+$", "12", null).Correct);
        Assert.Equal(new Verdict(true, 1, "choice: picked B"), graders.Grade("choice", "B", "Answer: B", "ok"));
    }

    [Fact]
    public void An_unknown_grader_is_refused_naming_the_known_ones()
    {
        var graders = Graders();
        Assert.Equal("unknown grader 'fuzzy' (known: choice, contains, exact, numeric, regex, judge)", graders.Problem("fuzzy"));
        Assert.Equal("unknown grader 'fuzzy' (known: judge)", new GraderSet(new PluginRegistries()).Problem("fuzzy:1"));
        Assert.Equal("not graded: unknown grader 'fuzzy' (known: choice, contains, exact, numeric, regex, judge) (Parameter 'grader')",
            graders.Grade("fuzzy", "x", "x", "ok").Explanation);
    }

    [Fact]
    public void A_bad_argument_is_refused_with_the_plugins_message()
    {
        var graders = Graders();
        Assert.Equal("grader 'numeric:x': the tolerance must be a number of at least 0", graders.Problem("numeric:x"));
        Assert.Equal("grader 'regex' needs a pattern: regex:PATTERN", graders.Problem("regex"));
        Assert.Null(graders.Problem("numeric:0.5"));
        var verdict = graders.Grade("numeric:x", "1", "1", "ok");
        Assert.Null(verdict.Correct);
        Assert.StartsWith("not graded: grader 'numeric:x': the tolerance", verdict.Explanation);
    }

    [Fact]
    public void Judge_is_known_but_deferred_to_ipw_score()
    {
        var graders = Graders();
        Assert.Null(graders.Problem("judge"));
        var verdict = graders.Grade("judge", "Paris", "Paris", "ok");
        Assert.Null(verdict.Correct);
        Assert.Null(verdict.Score);
        Assert.StartsWith("not graded: the judge grades after the run: ipw score RUN --judge-client", verdict.Explanation);
        // A plugin cannot take the judge's name.
        var registries = new PluginRegistries();
        Assert.Contains("the host's", Assert.Single(registries.RegisterInProcess(new OneGrader("Judge"))));
        Assert.Empty(registries.Graders.Entries);
    }

    [Fact]
    public void A_failed_query_with_a_grader_is_wrong()
    {
        var graders = Graders();
        Assert.Equal(new Verdict(false, 0, "no answer: the query failed (timeout)"), graders.Grade("exact", "Paris", "", "timeout"));
        Assert.False(graders.Grade("judge", "Paris", "", "server_error").Correct);
    }

    [Fact]
    public void An_item_without_a_grader_or_a_usable_reference_is_not_graded_with_the_reason()
    {
        var graders = Graders();
        Assert.Equal(new Verdict(null, null, "not graded: open-ended (no reference)"), graders.Grade(null, null, "hello", "ok"));
        Assert.Equal(new Verdict(null, null, "not graded: the item names no grader"), graders.Grade(null, "Paris", "Paris", "ok"));
        Assert.Equal("not graded: grader 'exact' needs a reference answer (Parameter 'reference')", graders.Grade("exact", null, "Paris", "ok").Explanation);
        Assert.Equal("not graded: the reference '7' is not a letter (Parameter 'reference')", graders.Grade("choice", "7", "A", "ok").Explanation);
        Assert.Throws<ArgumentException>(() => graders.Apply("choice", "A", "7"));
        Assert.Throws<ArgumentException>(() => graders.Apply("exact", "A", null));
    }

    [Fact]
    public void A_third_party_grader_is_created_once_per_spec_and_given_a_reference_when_it_needs_one()
    {
        var plugin = new OneGrader("length");
        var graders = Graders(plugin);
        Assert.True(graders.Apply("length:5", "Paris", "x").Correct);
        Assert.False(graders.Apply("length:5", "Rome", "x").Correct);
        Assert.True(graders.Apply("length:4", "Rome", "x").Correct);
        Assert.Equal(2, plugin.Created);
        Assert.Equal("not graded: grader 'length' needs a reference answer (Parameter 'reference')", graders.Grade("length:4", null, "Rome", "ok").Explanation);
        Assert.Equal("length:4: 4 characters", graders.Grade("length:4", "x", "Rome", "ok").Explanation);
        Assert.Contains("length", graders.Names);
    }

    /// <summary>A plugin with one grader: the answer has the length given as the argument (it needs a reference, to
    /// show the host checks that).</summary>
    private sealed class OneGrader(string name) : IIpwPlugin
    {
        public int Created { get; private set; }

        public void Register(IPluginRegistry registry) => registry.AddGrader(new GraderDescriptor(name, "the answer's length", argument =>
        {
            Created++;
            return new Length(int.Parse(argument ?? "0", System.Globalization.CultureInfo.InvariantCulture));
        }));

        private sealed class Length(int length) : IGrader
        {
            public bool NeedsReference => true;

            public Grade Grade(string answer, string? reference) =>
                new(answer.Length == length, answer.Length == length ? 1 : 0, $"{answer.Length} characters");
        }
    }

    [Theory]
    [InlineData(0, 10, 0.0, 0.2775)]
    [InlineData(10, 10, 0.7225, 1.0)]
    [InlineData(5, 10, 0.2366, 0.7634)]
    [InlineData(81, 263, 0.2553, 0.3662)]
    public void Wilson_interval_matches_published_values(int correct, int n, double low, double high)
    {
        var (lo, hi) = Ipw.Abstractions.Statistics.Wilson(correct, n);
        Assert.Equal(low, lo, 0.0005);
        Assert.Equal(high, hi, 0.0005);
    }
}
