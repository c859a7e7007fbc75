using System.Globalization;

namespace Ipw.Plugins.Agents.Tools;

/// <summary>A tool's input it cannot act on, said in words the model can correct from.</summary>
public sealed class ToolError(string message) : Exception(message);

/// <summary>
/// The expressions of the <c>calculator</c> and <c>evaluate</c> tools, evaluated without any scripting runtime.
/// calculator: numbers (<c>618e-9</c>), <c>+ - * /</c>, <c>^</c> (power, right-associative; unary minus binds looser, so
/// <c>-2^2</c> is -4 and <c>2^-1</c> is 0.5), parentheses, <c>sqrt abs round(x[, n]) floor ceil min max ln log10 exp</c>,
/// <c>pi</c>, <c>e</c>; <c>round</c> rounds half away from zero. evaluate adds list literals <c>[3, 4.5, 7]</c>,
/// <c>sum mean median count min max stdev</c> over a list (stdev: the sample's, n−1), comparisons
/// <c>&lt; &lt;= &gt; &gt;= == !=</c> (1 or 0), and <c>if(cond, a, b)</c>.
/// Written here rather than taken from a library (NCalc, DynamicExpresso): this grammar is the contract the ipw-agentic
/// tasks were written against (NCalc reads <c>^</c> as XOR, has no list literals and rounds half to even), and a
/// scripting evaluator would run more than arithmetic.
/// </summary>
public sealed class Expression
{
    private readonly string _text;
    private readonly bool _lists;
    private int _at;

    private Expression(string text, bool lists)
    {
        _text = text;
        _lists = lists;
    }

    /// <summary>Evaluates <paramref name="text"/>; <paramref name="lists"/>: the evaluate tool's language.</summary>
    public static double Evaluate(string text, bool lists)
    {
        var parser = new Expression(text, lists);
        var value = parser.Comparison();
        parser.Skip();
        if (parser._at < text.Length) throw parser.Error($"unexpected '{text[parser._at]}'");
        return value switch
        {
            double d when double.IsFinite(d) => d,
            double => throw new ToolError("the result is not a finite number"),
            _ => throw new ToolError("the result is a list, not a number (sum, mean, ... turn a list into a number)"),
        };
    }

    /// <summary>A number as the tools print it: whole numbers without decimals, others with 10 significant digits.</summary>
    public static string Format(double value) =>
        Math.Abs(value) < 1e15 && value == Math.Round(value)
            ? value.ToString("0", CultureInfo.InvariantCulture)
            : value.ToString("G10", CultureInfo.InvariantCulture);

    private object Comparison()
    {
        var left = Additive();
        Skip();
        foreach (var op in new[] { "<=", ">=", "==", "!=", "<", ">" })
        {
            if (!_text.AsSpan(_at).StartsWith(op, StringComparison.Ordinal)) continue;
            if (!_lists) throw Error($"'{op}' is for the evaluate tool");
            _at += op.Length;
            var (a, b) = (Number(left, op), Number(Additive(), op));
            return (op switch
            {
                "<=" => a <= b,
                ">=" => a >= b,
                "==" => a == b,
                "!=" => a != b,
                "<" => a < b,
                _ => a > b,
            }) ? 1.0 : 0.0;
        }
        return left;
    }

    private object Additive()
    {
        var value = Term();
        while (Peek() is '+' or '-')
        {
            var op = _text[_at++];
            var right = Number(Term(), op.ToString());
            value = op == '+' ? Number(value, "+") + right : Number(value, "-") - right;
        }
        return value;
    }

    private object Term()
    {
        var value = Unary();
        while (Peek() is '*' or '/')
        {
            var op = _text[_at++];
            var right = Number(Unary(), op.ToString());
            if (op == '/' && right == 0) throw new ToolError("division by zero");
            value = op == '*' ? Number(value, "*") * right : Number(value, "/") / right;
        }
        return value;
    }

    private object Unary()
    {
        if (Peek() is '-' or '+')
        {
            var minus = _text[_at++] == '-';
            var operand = Number(Unary(), "unary minus");
            return minus ? -operand : operand;
        }
        return Power();
    }

    private object Power()
    {
        var value = Primary();
        if (Peek() != '^') return value;
        _at++;
        return Math.Pow(Number(value, "^"), Number(Unary(), "^"));
    }

    private object Primary()
    {
        var c = Peek();
        if (c == '(')
        {
            _at++;
            var inner = Comparison();
            Expect(')');
            return inner;
        }
        if (c == '[')
        {
            if (!_lists) throw Error("lists are for the evaluate tool");
            _at++;
            var items = new List<double>();
            if (Peek() != ']')
                do items.Add(Number(Comparison(), "a list")); while (Accept(','));
            Expect(']');
            return items;
        }
        if (char.IsAsciiDigit(c) || c == '.') return Literal();
        if (char.IsAsciiLetter(c)) return Name();
        throw Error(c == '\0' ? "the expression ends too soon" : $"unexpected '{c}'");
    }

    private double Literal()
    {
        var start = _at;
        while (_at < _text.Length && (char.IsAsciiDigit(_text[_at]) || _text[_at] == '.')) _at++;
        if (_at < _text.Length && _text[_at] is 'e' or 'E')
        {
            var save = _at++;
            if (_at < _text.Length && _text[_at] is '+' or '-') _at++;
            if (_at < _text.Length && char.IsAsciiDigit(_text[_at])) while (_at < _text.Length && char.IsAsciiDigit(_text[_at])) _at++;
            else _at = save; // "2e" is 2 followed by e
        }
        var token = _text[start.._at];
        return double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw Error($"'{token}' is not a number");
    }

    private object Name()
    {
        var start = _at;
        while (_at < _text.Length && (char.IsAsciiLetterOrDigit(_text[_at]) || _text[_at] == '_')) _at++;
        var name = _text[start.._at].ToLowerInvariant();
        if (Peek() != '(')
            return name switch
            {
                "pi" => Math.PI,
                "e" => Math.E,
                _ => throw Error($"unknown name '{name}'"),
            };
        _at++;
        var args = new List<object>();
        if (Peek() != ')')
            do args.Add(Comparison()); while (Accept(','));
        Expect(')');
        return Functions.Call(name, args, _lists);
    }

    private static double Number(object value, string where) =>
        value as double? ?? throw new ToolError($"{where} needs a number, not a list");

    private char Peek()
    {
        Skip();
        return _at < _text.Length ? _text[_at] : '\0';
    }

    private void Skip()
    {
        while (_at < _text.Length && char.IsWhiteSpace(_text[_at])) _at++;
    }

    private bool Accept(char c)
    {
        if (Peek() != c) return false;
        _at++;
        return true;
    }

    private void Expect(char c)
    {
        if (!Accept(c)) throw Error($"'{c}' expected");
    }

    private ToolError Error(string what) => new($"{what} at position {_at + 1} of '{_text}'");
}
