using System.Collections;
using System.Text.Json;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace Ipw.Scripting;

/// <summary>
/// <c>ipw repl</c>: C# one submission at a time, against the script API. State carries over between
/// submissions; a submission that is not complete yet (an open brace, a statement without its end) continues on the
/// next line; errors are shown with their positions and the session goes on. Submissions are kept in a history file,
/// and on a terminal the arrow keys recall them. Roslyn's first compilation takes seconds, so it starts on a
/// background thread while the prompt is already shown.
/// </summary>
public sealed class Repl(ScriptGlobals globals, TextReader input, TextWriter output, TextWriter error, string historyFile, bool interactive)
{
    public const string Prompt = "ipw> ";
    public const string ContinuationPrompt = "...> ";

    private static readonly JsonSerializerOptions HistoryJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly List<string> _history = LoadHistory(historyFile);

    /// <summary>Whether a submission failed to compile or threw.</summary>
    private bool _failed;

    /// <summary>Runs until end of input or <c>#exit</c>. Returns 0; 1 when input is not a terminal (a piped session,
    /// as a script) and a submission failed or the input ended inside an unfinished one.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken = default)
    {
        var options = ScriptRunner.Options(Environment.CurrentDirectory);
        // The compiler warms up while the user reads the banner and types.
        var warm = Task.Run(async () =>
        {
            var start = await CSharpScript.RunAsync("", options, globals, typeof(ScriptGlobals), cancellationToken).ConfigureAwait(false);
            // A first continuation too: the path every submission takes.
            return await start.ContinueWithAsync<object>("0", options, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
        output.WriteLine("ipw repl: C# with the ipw script API. #help lists it, #help Name shows one member, #history, #exit.");
        ScriptState<object>? state = null;
        var editor = interactive ? new LineEditor(_history) : null;
        var buffer = new List<string>();
        while (!cancellationToken.IsCancellationRequested)
        {
            var prompt = buffer.Count == 0 ? Prompt : ContinuationPrompt;
            string? line;
            if (editor is not null) line = editor.ReadLine(prompt);
            else
            {
                output.Write(prompt);
                output.Flush();
                line = await input.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            }
            if (line is null) break;
            if (buffer.Count == 0)
            {
                var trimmed = line.Trim();
                if (trimmed.Length == 0) continue;
                if (Command(trimmed) is { } done)
                {
                    if (done) break;
                    continue;
                }
            }
            buffer.Add(line);
            var code = string.Join('\n', buffer);
            // An empty line ends a submission that is still incomplete, so its error shows instead of waiting forever.
            if (line.Trim().Length > 0 && !SyntaxFactory.IsCompleteSubmission(CSharpSyntaxTree.ParseText(code, CSharpParseOptions.Default.WithKind(SourceCodeKind.Script))))
                continue;
            buffer.Clear();
            Remember(code);
            state ??= await warm.ConfigureAwait(false);
            state = await EvaluateAsync(state, code, options, cancellationToken).ConfigureAwait(false);
        }
        output.WriteLine();
        if (buffer.Count > 0)
        {
            var first = buffer.FirstOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "";
            error.WriteLine($"ipw repl: input ended inside an unfinished statement (from '{(first.Length > 60 ? first[..60] + "..." : first)}'); it was not run");
            _failed = true;
        }
        return _failed && !interactive ? 1 : 0;
    }

    private async Task<ScriptState<object>> EvaluateAsync(ScriptState<object> state, string code, ScriptOptions options, CancellationToken cancellationToken)
    {
        ScriptState<object> next;
        // Ctrl-C during a submission stops what it runs (a second one cancels the queries in flight); the next
        // submission starts afresh.
        using var stop = new CancellationTokenSource();
        using var abort = new CancellationTokenSource();
        var onCancel = Ipw.Core.Interrupts.Handler(stop, abort);
        globals.SetCancellation(stop.Token, abort.Token);
        Console.CancelKeyPress += onCancel;
        try
        {
            next = await state.ContinueWithAsync<object>(code, options, _ => true, cancellationToken).ConfigureAwait(false);
        }
        catch (CompilationErrorException e)
        {
            foreach (var d in e.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)) error.WriteLine(ScriptRunner.Format(d));
            _failed = true;
            return state;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        if (next.Exception is { } ex)
        {
            if (ex is ScriptExitException) output.WriteLine("(Exit ends scripts; in the REPL, #exit)");
            else
            {
                ScriptRunner.Report(ex, error);
                _failed = true;
            }
            return next;
        }
        // A final expression without a semicolon shows its value.
        if (next.ReturnValue is { } value && !code.TrimEnd().EndsWith(';') && !code.TrimEnd().EndsWith('}')) output.WriteLine(Show(value));
        return next;
    }

    /// <summary>A REPL command: true to quit, false when handled, null when the line is C#.</summary>
    private bool? Command(string line)
    {
        if (line is "#exit" or "#quit") return true;
        if (line == "#help" || line.StartsWith("#help ", StringComparison.Ordinal))
        {
            output.Write(ApiHelp.Text(line.Length > 5 ? line[5..].Trim() : null));
            output.WriteLine("REPL commands: #help [Name], #history, #exit. C# directives: #r \"file.dll\", #load \"file.csx\".");
            return false;
        }
        if (line == "#history")
        {
            var from = Math.Max(0, _history.Count - 50);
            for (var i = from; i < _history.Count; i++) output.WriteLine($"{i + 1,5}  {_history[i].Replace("\n", "\n       ")}");
            return false;
        }
        return null;
    }

    private static string Show(object value) => value switch
    {
        string s => s,
        IDictionary d => "{ " + string.Join(", ", d.Cast<DictionaryEntry>().Select(e => $"{e.Key}: {e.Value}")) + " }",
        IEnumerable e => "[" + string.Join(", ", e.Cast<object?>().Take(100).Select(o => o?.ToString() ?? "null")) + "]",
        _ => value.ToString() ?? "",
    };

    private void Remember(string code)
    {
        if (_history.Count > 0 && _history[^1] == code) return;
        _history.Add(code);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(historyFile)!);
            File.AppendAllText(historyFile, JsonSerializer.Serialize(code, HistoryJson) + "\n");
        }
        catch (IOException)
        {
            // History is a convenience: an unwritable file never stops the session.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static List<string> LoadHistory(string file)
    {
        var history = new List<string>();
        if (!File.Exists(file)) return history;
        foreach (var line in File.ReadLines(file))
        {
            try
            {
                if (JsonSerializer.Deserialize<string>(line) is { } entry) history.Add(entry);
            }
            catch (JsonException)
            {
                // A damaged line is skipped; the rest of the history stays.
            }
        }
        return history.Count > 1000 ? history[^1000..] : history;
    }

    /// <summary>The default history file: ~/.local/share/ipw/repl_history (per-user application data).</summary>
    public static string DefaultHistoryFile() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "ipw", "repl_history");
}
