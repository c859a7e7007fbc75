namespace Ipw.Plugins.Agents.Tools;

/// <summary>A tool an agent may call: its name, what it does (as the model is told), its one text argument, and the call.</summary>
public sealed record AgentTool(string Name, string Description, string Argument, string ArgumentDescription, Func<string, string> Run);

/// <summary>The offline tools, none of which reaches the network: calculator, evaluate, search (over a corpus) and
/// read_file (in a sandbox).</summary>
public static class ToolSet
{
    public static IReadOnlyList<AgentTool> Offline(CorpusSearch corpus, SandboxFiles files) =>
    [
        new("calculator", "Evaluates an arithmetic expression: + - * / ^ ( ), sqrt, abs, round(x, n), floor, ceil, min, max, ln, log10, exp, pi, e.",
            "expression", "the expression, e.g. round(42.8 * 18500000 / 1e6, 1)", text => Expression.Format(Expression.Evaluate(text, lists: false))),
        new("evaluate", "Evaluates an expression over numbers and lists: the calculator's, plus [1, 2, 3] lists, sum, mean, median, count, stdev, " +
            "comparisons (< <= > >= == != give 1 or 0) and if(cond, a, b).",
            "expression", "the expression, e.g. mean([12, 15.5, 9])", text => Expression.Format(Expression.Evaluate(text, lists: true))),
        new("search", "Searches the reference records (companies, places, products, measurements) and returns the three best matches, one per line.",
            "query", "words to look for, e.g. Brannock Tools stock price", corpus.Run),
        new("read_file", "Reads a text file from the shared files folder.",
            "path", "the file's relative path, e.g. warehouse/stock_q3.csv", files.Run),
    ];

    /// <summary>Runs a tool by name; a tool's refusal comes back as its answer (the model reads it and may try again).</summary>
    public static (string Output, bool Failed) Call(IReadOnlyList<AgentTool> tools, string name, string argument)
    {
        var tool = tools.FirstOrDefault(t => t.Name == name);
        if (tool is null) return ($"error: there is no tool '{name}' (tools: {string.Join(", ", tools.Select(t => t.Name))})", true);
        try
        {
            return (tool.Run(argument), false);
        }
        catch (ToolError e)
        {
            return ("error: " + e.Message, true);
        }
    }
}
