using Ipw.Plugins.Agents.Tools;

namespace Ipw.Plugins.Agents.Tests;

public sealed class ToolTests
{
    [Theory]
    [InlineData("1 + 2 * 3", "7")]
    [InlineData("(1 + 2) * 3", "9")]
    [InlineData("2 ^ 3 ^ 2", "512")] // right-associative
    [InlineData("-2 ^ 2", "-4")] // unary minus binds looser than ^
    [InlineData("2 ^ -1", "0.5")]
    [InlineData("round(2.345, 2)", "2.35")] // half away from zero
    [InlineData("round(-2.5)", "-3")]
    [InlineData("618e-9 * 1e9", "618")]
    [InlineData("sqrt(16) + abs(-3) + floor(2.7) + ceil(2.1)", "12")]
    [InlineData("min(4, 2, 8) + max(1, 5)", "7")]
    [InlineData("round(pi, 4)", "3.1416")]
    [InlineData("ln(e) + log10(1000) + exp(0)", "5")]
    [InlineData("10 / 4", "2.5")]
    [InlineData("1 / 3", "0.3333333333")]
    public void The_calculator_evaluates_arithmetic(string expression, string result) =>
        Assert.Equal(result, Run("calculator", expression));

    [Theory]
    [InlineData("sum([1, 2, 3.5])", "6.5")]
    [InlineData("mean([2, 4, 9])", "5")]
    [InlineData("median([5, 1, 4, 2])", "3")]
    [InlineData("count([7, 7, 7])", "3")]
    [InlineData("round(stdev([2, 4, 4, 4, 5, 5, 7, 9]), 4)", "2.1381")] // the sample's (n-1)
    [InlineData("max([3, -1, 8]) - min([3, -1, 8])", "9")]
    [InlineData("if(3 > 2, 10, 20)", "10")]
    [InlineData("(2 <= 2) + (2 == 3) + (1 != 2)", "2")]
    [InlineData("sum([-1.5, 2]) * 2", "1")]
    public void Evaluate_adds_lists_comparisons_and_if(string expression, string result) =>
        Assert.Equal(result, Run("evaluate", expression));

    [Theory]
    [InlineData("calculator", "1 / 0", "division by zero")]
    [InlineData("calculator", "sum([1, 2])", "lists are for the evaluate tool")]
    [InlineData("calculator", "2 > 1", "'>' is for the evaluate tool")]
    [InlineData("calculator", "2 +", "the expression ends too soon")]
    [InlineData("calculator", "foo(2)", "unknown function 'foo'")]
    [InlineData("calculator", "2 $ 3", "unexpected '$' at position 3")]
    [InlineData("evaluate", "mean([])", "mean of no values")]
    [InlineData("evaluate", "stdev([1])", "stdev needs at least two values")]
    [InlineData("evaluate", "[1, 2]", "the result is a list")]
    [InlineData("calculator", "round(2.5, 1.5)", "round's decimals must be a whole number")]
    public void A_bad_expression_is_answered_with_what_is_wrong(string tool, string expression, string message)
    {
        var (output, failed) = ToolSet.Call(Tools(), tool, expression);
        Assert.True(failed);
        Assert.StartsWith("error: ", output);
        Assert.Contains(message, output);
    }

    [Fact]
    public void Search_ranks_by_distinct_query_words_ties_to_the_earlier_entry_and_drops_stopwords()
    {
        var corpus = new CorpusSearch(
        [
            new("alpha-price", "The Alpha widget costs 12.50 crowns."),
            new("beta-price", "The Beta widget costs 9 crowns."),
            new("alpha-weight", "The Alpha widget weighs 3 kg."),
            new("gamma", "Unrelated."),
        ]);
        // price, alpha, widget: alpha-price holds 3; beta-price and alpha-weight 2 each, the earlier first.
        Assert.Equal(["alpha-price", "beta-price", "alpha-weight"], corpus.Find("What is the price of the Alpha widget?").Select(e => e.Key));
        Assert.Equal(["alpha-weight", "alpha-price"], corpus.Find("alpha weighs").Select(e => e.Key));
        Assert.Empty(corpus.Find("what is the of"));
        Assert.Equal("nothing matches 'zebra'", corpus.Run("zebra"));
        Assert.Equal("beta-price: The Beta widget costs 9 crowns.", corpus.Run("beta price").Split('\n')[0]);
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../secrets.txt")]
    [InlineData("warehouse/../../x")]
    [InlineData("warehouse\\stock.csv")]
    [InlineData("./warehouse/stock.csv")]
    [InlineData("C:/x")]
    [InlineData("")]
    public void The_file_reader_refuses_any_path_that_could_leave_its_folder(string path)
    {
        var dir = Directory.CreateTempSubdirectory("ipw-sandbox-");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.FullName, "warehouse"));
            File.WriteAllText(Path.Combine(dir.FullName, "warehouse", "stock.csv"), "sku,qty\nA,3\n");
            var files = new SandboxFiles(dir.FullName);
            Assert.Equal("sku,qty\nA,3\n", files.Run("warehouse/stock.csv"));
            Assert.Throws<ToolError>(() => files.Run(path));
            Assert.Throws<ToolError>(() => new SandboxFiles(new Dictionary<string, string> { ["a.txt"] = "x" }).Run(path));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_link_inside_the_folder_to_a_file_outside_it_is_refused()
    {
        var dir = Directory.CreateTempSubdirectory("ipw-sandbox-");
        var outside = Path.GetTempFileName();
        try
        {
            File.WriteAllText(outside, "secret");
            File.CreateSymbolicLink(Path.Combine(dir.FullName, "link.txt"), outside);
            var error = Assert.Throws<ToolError>(() => new SandboxFiles(dir.FullName).Run("link.txt"));
            Assert.Contains("outside the files", error.Message);
        }
        finally
        {
            dir.Delete(recursive: true);
            File.Delete(outside);
        }
    }

    [Fact]
    public void An_unknown_tool_is_answered_with_the_tools_there_are()
    {
        var (output, failed) = ToolSet.Call(Tools(), "browse", "x");
        Assert.True(failed);
        Assert.Equal("error: there is no tool 'browse' (tools: calculator, evaluate, search, read_file)", output);
    }

    private static IReadOnlyList<AgentTool> Tools() => ToolSet.Offline(new CorpusSearch([]), new SandboxFiles(new Dictionary<string, string>()));

    private static string Run(string tool, string input)
    {
        var (output, failed) = ToolSet.Call(Tools(), tool, input);
        Assert.False(failed, output);
        return output;
    }
}
