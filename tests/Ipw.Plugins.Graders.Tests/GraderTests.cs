using Ipw.Abstractions;

namespace Ipw.Plugins.Graders.Tests;

public class GraderTests
{
    /// <summary>The plugin's descriptors, as it registers them.</summary>
    private static readonly Dictionary<string, GraderDescriptor> Registered = Register();

    /// <summary>The grader an item naming <paramref name="spec"/> (<c>name</c> or <c>name:argument</c>) gets.</summary>
    private static IGrader Grader(string spec)
    {
        var colon = spec.IndexOf(':');
        return colon < 0 ? Registered[spec].Create(null) : Registered[spec[..colon]].Create(spec[(colon + 1)..]);
    }

    private static Grade Apply(string spec, string answer, string? reference) => Grader(spec).Grade(answer, reference);

    [Theory]
    [InlineData("42", "42", true)]
    [InlineData("The answer is 42.", "42", true)]
    [InlineData("Let me think.\n6 * 7 = 42\nAnswer: 42", "42", true)]
    [InlineData("1,234.5", "1234.5", true)]
    [InlineData("-3", "-3", true)]
    [InlineData("3/4", "0.75", true)]
    [InlineData("It is 41, not 42... final answer: 41", "42", false)]
    [InlineData("forty-two", "42", false)]
    [InlineData("", "42", false)]
    public void Numeric(string answer, string reference, bool correct) =>
        Assert.Equal(correct, Apply("numeric", answer, reference).Correct);

    [Fact]
    public void Numeric_with_a_tolerance()
    {
        Assert.False(Apply("numeric:0.01", "3.16", "3.14").Correct);
        Assert.True(Apply("numeric:0.01", "3.145", "3.14").Correct);
        Assert.Contains("expected 3.14, got 3.2", Apply("numeric:0.01", "3.2", "3.14").Explanation);
    }

    [Theory]
    [InlineData("B", "B", true)]
    [InlineData("b", "B", true)]
    [InlineData("(C)", "C", true)]
    [InlineData("D. Jupiter", "D", true)]
    [InlineData("The answer is (A) because...", "A", true)]
    [InlineData("Answer: C", "B", false)]
    [InlineData("I think it's B", "B", true)]
    [InlineData("I am not sure", "B", false)]
    public void Choice(string answer, string reference, bool correct) =>
        Assert.Equal(correct, Apply("choice", answer, reference).Correct);

    [Theory]
    [InlineData("Paris", "paris", true)]
    [InlineData("  \"Paris.\" ", "Paris", true)]
    [InlineData("**yes**", "yes", true)]
    [InlineData("Reasoning...\nyes", "yes", true)]
    [InlineData("Answer: INV-2231", "INV-2231", true)]
    [InlineData("no", "yes", false)]
    [InlineData("Paris, France", "Paris", false)]
    public void Exact(string answer, string reference, bool correct) =>
        Assert.Equal(correct, Apply("exact", answer, reference).Correct);

    [Fact]
    public void Contains_and_regex()
    {
        Assert.True(Apply("contains", "The capital of France is Paris.", "paris").Correct);
        Assert.False(Apply("contains", "Lyon", "Paris").Correct);
        Assert.True(Apply(@"regex:^\s*\d{4}-\d{2}-\d{2}\s*$", " 2026-11-28 ", null).Correct);
        Assert.False(Apply(@"regex:^\d+$", "twelve", null).Correct);
    }

    [Fact]
    public void Explanations_say_what_the_grader_saw()
    {
        Assert.Equal("matches 'Paris'", Apply("exact", "paris", "Paris").Explanation);
        Assert.Equal("expected 'yes', got 'no'", Apply("exact", "no", "yes").Explanation);
        Assert.Equal("42 equals 42", Apply("numeric", "42", "42").Explanation);
        Assert.Equal("no number in the answer (expected 42)", Apply("numeric", "none", "42").Explanation);
        Assert.Equal("expected B, picked C", Apply("choice", "Answer: C", "B").Explanation);
        Assert.Equal("no choice letter in the answer (expected B)", Apply("choice", "I am not sure", "B").Explanation);
        Assert.Equal("does not contain 'Paris'", Apply("contains", "Lyon", "Paris").Explanation);
        Assert.Equal(@"matches /^\d+$/", Apply(@"regex:^\d+$", "12", null).Explanation);
    }

    [Fact]
    public void Bad_arguments_are_refused_when_the_grader_is_created_with_the_reason()
    {
        Assert.Contains("tolerance", Assert.Throws<PluginConfigurationException>(() => Grader("numeric:x")).Message);
        Assert.Equal("grader 'numeric:-1': the tolerance must be a number of at least 0",
            Assert.Throws<PluginConfigurationException>(() => Grader("numeric:-1")).Message);
        Assert.Contains("pattern", Assert.Throws<PluginConfigurationException>(() => Grader("regex")).Message);
        Assert.Equal("grader 'regex' needs a pattern: regex:PATTERN", Assert.Throws<PluginConfigurationException>(() => Grader("regex:")).Message);
        Assert.StartsWith("grader 'regex:(': ", Assert.Throws<PluginConfigurationException>(() => Grader("regex:(")).Message);
        Assert.Equal(0.5, Assert.IsType<NumericGrader>(Grader("numeric:0.5")).Tolerance);
    }

    [Fact]
    public void References_the_grader_cannot_use_are_refused_with_the_reason()
    {
        Assert.Throws<ArgumentException>(() => Apply("choice", "A", "7"));
        Assert.Throws<ArgumentException>(() => Apply("exact", "A", null));
        Assert.Contains("is not a number", Assert.Throws<ArgumentException>(() => Apply("numeric", "4", "four")).Message);
    }

    [Fact]
    public void Only_regex_needs_no_reference()
    {
        Assert.Equal(new[] { "choice", "contains", "exact", "numeric", "regex" }, Registered.Keys.Order(StringComparer.Ordinal));
        Assert.All(new[] { "exact", "numeric", "choice", "contains" }, name => Assert.True(Grader(name).NeedsReference));
        Assert.False(Grader("regex:x").NeedsReference);
    }

    private static Dictionary<string, GraderDescriptor> Register()
    {
        var capture = new Capture();
        new GradersPlugin().Register(capture);
        return capture.Graders;
    }

    /// <summary>A registry that keeps the graders (the plugin registers nothing else).</summary>
    private sealed class Capture : IPluginRegistry
    {
        public Dictionary<string, GraderDescriptor> Graders { get; } = [];
        public void AddGrader(GraderDescriptor descriptor) => Graders.Add(descriptor.Name, descriptor);
        public void AddClient(ClientDescriptor descriptor) => throw new NotSupportedException();
        public void AddDataset(DatasetDescriptor descriptor) => throw new NotSupportedException();
        public void AddTelemetrySource(TelemetrySourceDescriptor descriptor) => throw new NotSupportedException();
        public void AddAnalysis(AnalysisDescriptor descriptor) => throw new NotSupportedException();
        public void AddVisualization(VisualizationDescriptor descriptor) => throw new NotSupportedException();
    }
}

public class AnswerTextTests
{
    [Theory]
    [InlineData("  \u201cParis.\u201d ", "paris")]
    [InlineData("**Yes**", "yes")]
    [InlineData("a   b\tc", "a b c")]
    public void Normalize(string text, string normalized) => Assert.Equal(normalized, AnswerText.Normalize(text));

    [Theory]
    [InlineData("it costs 1,234.50 dollars", 1234.5)]
    [InlineData("3 / 4", 0.75)]
    [InlineData("from -2 to +7", 7.0)]
    [InlineData("x/0 then 1/0", null)]
    [InlineData("no digits", null)]
    public void LastNumber(string text, double? number) => Assert.Equal(number, AnswerText.LastNumber(text));

    [Theory]
    [InlineData("The answer is (b).", 'B')]
    [InlineData("C) Venus", 'C')]
    [InlineData("Either A or B", null)]
    public void PickedLetter(string answer, char? letter) => Assert.Equal(letter, AnswerText.PickedLetter(answer));
}
