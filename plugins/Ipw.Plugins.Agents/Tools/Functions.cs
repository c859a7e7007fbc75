namespace Ipw.Plugins.Agents.Tools;

/// <summary>The functions of <see cref="Expression"/>: arithmetic ones for both tools, list ones and <c>if</c> for evaluate.</summary>
internal static class Functions
{
    public static object Call(string name, List<object> args, bool lists)
    {
        switch (name)
        {
            case "sqrt": return One(name, args) is var x && x < 0 ? throw new ToolError("sqrt of a negative number") : Math.Sqrt(x);
            case "abs": return Math.Abs(One(name, args));
            case "floor": return Math.Floor(One(name, args));
            case "ceil": return Math.Ceiling(One(name, args));
            case "ln": return One(name, args) is var l && l <= 0 ? throw new ToolError("ln needs a positive number") : Math.Log(l);
            case "log10": return One(name, args) is var g && g <= 0 ? throw new ToolError("log10 needs a positive number") : Math.Log10(g);
            case "exp": return Math.Exp(One(name, args));
            case "round": return Round(args);
            case "min": return Values(name, args, lists).Min();
            case "max": return Values(name, args, lists).Max();
        }
        if (!lists) throw new ToolError($"unknown function '{name}' (calculator: sqrt, abs, round, floor, ceil, min, max, ln, log10, exp)");
        switch (name)
        {
            case "sum": return Values(name, args, lists).Sum();
            case "count": return (double)Values(name, args, lists, allowEmpty: true).Count;
            case "mean": return Values(name, args, lists).Average();
            case "median": return Median(Values(name, args, lists));
            case "stdev": return Stdev(Values(name, args, lists));
            case "if":
                if (args.Count != 3) throw new ToolError("if needs three arguments: if(cond, a, b)");
                return Scalar(args[0], "if") != 0 ? args[1] : args[2];
            default:
                throw new ToolError($"unknown function '{name}' (evaluate: the calculator's, and sum, mean, median, count, stdev, if)");
        }
    }

    private static double One(string name, List<object> args) =>
        args.Count == 1 ? Scalar(args[0], name) : throw new ToolError($"{name} takes one number");

    private static double Scalar(object value, string name) =>
        value as double? ?? throw new ToolError($"{name} takes a number here, not a list");

    private static double Round(List<object> args)
    {
        if (args.Count is < 1 or > 2) throw new ToolError("round takes a number and, optionally, its decimals: round(x, 2)");
        var digits = args.Count == 2 ? Scalar(args[1], "round") : 0;
        if (digits != Math.Floor(digits) || digits is < 0 or > 15) throw new ToolError("round's decimals must be a whole number from 0 to 15");
        return Math.Round(Scalar(args[0], "round"), (int)digits, MidpointRounding.AwayFromZero);
    }

    /// <summary>One list, or several numbers (min and max take either).</summary>
    private static List<double> Values(string name, List<object> args, bool lists, bool allowEmpty = false)
    {
        var values = args is [List<double> list] ? list
            : args.All(a => a is double) ? args.Cast<double>().ToList()
            : throw new ToolError($"{name} takes one list or several numbers");
        if (values.Count == 0 && !allowEmpty) throw new ToolError($"{name} of no values");
        if (!lists && args is [List<double>]) throw new ToolError("lists are for the evaluate tool");
        return values;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static double Stdev(List<double> values)
    {
        if (values.Count < 2) throw new ToolError("stdev needs at least two values");
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }
}
