using Ipw.Core.Scoring;

namespace Ipw.Core.Tests;

public class GraderTests
{
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
        Assert.Equal(correct, Graders.Apply("numeric", answer, reference).Correct);

    [Fact]
    public void Numeric_with_a_tolerance()
    {
        Assert.False(Graders.Apply("numeric:0.01", "3.16", "3.14").Correct);
        Assert.True(Graders.Apply("numeric:0.01", "3.145", "3.14").Correct);
        Assert.Contains("expected 3.14, got 3.2", Graders.Apply("numeric:0.01", "3.2", "3.14").Explanation);
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
        Assert.Equal(correct, Graders.Apply("choice", answer, reference).Correct);

    [Theory]
    [InlineData("Paris", "paris", true)]
    [InlineData("  \"Paris.\" ", "Paris", true)]
    [InlineData("**yes**", "yes", true)]
    [InlineData("Reasoning...\nyes", "yes", true)]
    [InlineData("Answer: INV-2231", "INV-2231", true)]
    [InlineData("no", "yes", false)]
    [InlineData("Paris, France", "Paris", false)]
    public void Exact(string answer, string reference, bool correct) =>
        Assert.Equal(correct, Graders.Apply("exact", answer, reference).Correct);

    [Fact]
    public void Contains_and_regex()
    {
        Assert.True(Graders.Apply("contains", "The capital of France is Paris.", "paris").Correct);
        Assert.False(Graders.Apply("contains", "Lyon", "Paris").Correct);
        Assert.True(Graders.Apply(@"regex:^\s*\d{4}-\d{2}-\d{2}\s*$", " 2026-11-28 ", null).Correct);
        Assert.False(Graders.Apply(@"regex:^\d+$", "twelve", null).Correct);
    }

    [Fact]
    public void Bad_graders_and_references_are_refused_with_the_reason()
    {
        Assert.Contains("unknown grader 'fuzzy'", Graders.Problem("fuzzy"));
        Assert.Contains("tolerance", Graders.Problem("numeric:x"));
        Assert.Contains("pattern", Graders.Problem("regex"));
        Assert.Null(Graders.Problem("numeric:0.5"));
        Assert.Throws<ArgumentException>(() => Graders.Apply("choice", "A", "7"));
        Assert.Throws<ArgumentException>(() => Graders.Apply("exact", "A", null));
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
