using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection;
using System.Text;
using Ipw.Core;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace Ipw.Scripting;

/// <summary>
/// Compiles and runs <c>.csx</c> scripts with Roslyn scripting against <see cref="ScriptGlobals"/>. A compile error
/// is reported as <c>file:line:col: error CSnnnn: message</c> (exit code 2); an exception as one line plus the
/// script's own stack frames (exit code 1); otherwise the script's <c>return</c> value (an int) or
/// <see cref="ScriptGlobals.Exit"/> gives the exit code.
/// </summary>
public static class ScriptRunner
{
    /// <summary>Namespaces every script and REPL line can use without <c>using</c>.</summary>
    public static readonly ImmutableArray<string> Imports =
    [
        "System", "System.IO", "System.Linq", "System.Collections.Generic", "System.Globalization", "System.Threading", "System.Threading.Tasks",
        "System.Text.Json", "System.Text.Json.Nodes", "Ipw.Abstractions", "Ipw.Core.Profiling", "Ipw.Core.Runs", "Ipw.Core.Records", "Ipw.Core.Summary", "Ipw.Core.Scoring", "Ipw.Core.Analysis", "Ipw.Scripting",
    ];

    /// <summary>The options scripts compile with: the ipw assemblies referenced, <see cref="Imports"/>, <c>#load</c> and
    /// <c>#r</c> resolved against <paramref name="baseDirectory"/> (and ipw's own folder for <c>#r</c>), debug information
    /// for line numbers in stack traces.</summary>
    public static ScriptOptions Options(string baseDirectory, string? filePath = null)
    {
        var ipwDirectory = AppContext.BaseDirectory;
        // #r "Name.dll" finds ipw's own assemblies and the built-in plugins' (each in plugins/<name>/).
        var pluginsDirectory = Path.Combine(ipwDirectory, "plugins");
        string[] searchPaths = [ipwDirectory, .. Directory.Exists(pluginsDirectory) ? Directory.GetDirectories(pluginsDirectory).Order(StringComparer.Ordinal).ToArray() : []];
        return ScriptOptions.Default
            .AddReferences(typeof(ScriptGlobals).Assembly, typeof(Core.Profiling.Profiler).Assembly, typeof(Abstractions.IInferenceClient).Assembly,
                typeof(System.Text.Json.Nodes.JsonNode).Assembly, typeof(Enumerable).Assembly)
            .WithImports(Imports)
            .WithSourceResolver(new SourceFileResolver([], baseDirectory))
            .WithMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(baseDirectory).WithSearchPaths(searchPaths))
            .WithFilePath(filePath)
            .WithEmitDebugInformation(true)
            .WithFileEncoding(Encoding.UTF8)
            .WithLanguageVersion(LanguageVersion.Latest)
            .WithOptimizationLevel(OptimizationLevel.Release)
            .WithAllowUnsafe(false);
    }

    /// <summary>Runs the script file; returns the exit code (messages go to <paramref name="error"/>).</summary>
    public static async Task<int> RunFileAsync(string path, ScriptGlobals globals, TextWriter error, CancellationToken cancellationToken = default)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new UserError(Directory.Exists(full) ? $"'{path}' is a folder, not a script" : $"no script at '{path}'");
        var code = await File.ReadAllTextAsync(full, cancellationToken).ConfigureAwait(false);
        var compiled = CompiledScript.FromCacheOrNull(full, code);
        if (compiled is null)
        {
            var script = CSharpScript.Create<object>(code, Options(Path.GetDirectoryName(full)!, full), typeof(ScriptGlobals));
            IReadOnlyList<Diagnostic> errors = script.Compile(cancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (errors.Count == 0) compiled = CompiledScript.Emit(script, full, code, out errors);
            if (compiled is null)
            {
                foreach (var d in errors) error.WriteLine(Format(d));
                return 2;
            }
        }
        if (Environment.GetEnvironmentVariable("IPW_DEBUG") == "1") error.WriteLine($"ipw: script {(compiled.FromCache ? "from the cache" : "compiled")}");
        object? result;
        try
        {
            result = await compiled.RunAsync(globals).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return Report(e, error);
        }
        return result is int exit ? exit : 0;
    }

    /// <summary>Reports an exception the script raised (exit code 1), or the code it exited with.</summary>
    public static int Report(Exception exception, TextWriter error)
    {
        var e = Unwrap(exception);
        if (e is ScriptExitException exit) return exit.Code;
        error.WriteLine($"ipw: script error: {(e is UserError ? "" : e.GetType().Name + ": ")}{OneLine(e.Message)}");
        foreach (var frame in ScriptFrames(e)) error.WriteLine(frame);
        return 1;
    }

    /// <summary>"path:line:col: error CSnnnn: message", the path relative to the working folder when inside it.</summary>
    public static string Format(Diagnostic d)
    {
        var span = d.Location.GetMappedLineSpan();
        var where = span.Path is { Length: > 0 } p ? $"{Relative(p)}:{span.StartLinePosition.Line + 1}:{span.StartLinePosition.Character + 1}"
            : $"({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1})";
        return $"{where}: {d.Severity.ToString().ToLowerInvariant()} {d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    /// <summary>The frames of <paramref name="e"/> that are in script code (.csx files, or the REPL's lines).</summary>
    public static IEnumerable<string> ScriptFrames(Exception e)
    {
        foreach (var frame in new StackTrace(e, fNeedFileInfo: true).GetFrames())
        {
            var method = frame.GetMethod();
            var file = frame.GetFileName();
            var inScript = file is not null ? file.EndsWith(".csx", StringComparison.OrdinalIgnoreCase)
                : method?.DeclaringType?.FullName?.StartsWith("Submission#", StringComparison.Ordinal) == true;
            if (!inScript) continue;
            var name = MethodName(method);
            yield return file is null ? $"  at {name}"
                : $"  at {Relative(file)}:{frame.GetFileLineNumber()}:{frame.GetFileColumnNumber()}{(name is null ? "" : $" in {name}")}";
        }
    }

    private static string? MethodName(MethodBase? method)
    {
        if (method is null) return null;
        // Local functions compile to <<Initialize>>g__Name|0_0; top-level code to <Initialize> (or its state machine).
        var name = method.Name == "MoveNext" && method.DeclaringType is { } sm ? sm.Name : method.Name;
        var g = name.IndexOf("g__", StringComparison.Ordinal);
        if (g >= 0) return name[(g + 3)..].Split('|')[0];
        if (name.Contains("<Initialize>", StringComparison.Ordinal) || name.Contains("<Factory>", StringComparison.Ordinal)) return null;
        return name.Trim('<', '>');
    }

    private static Exception Unwrap(Exception e)
    {
        while (true)
        {
            if (e is AggregateException { InnerExceptions.Count: 1 } a) e = a.InnerExceptions[0];
            else if (e is TargetInvocationException { InnerException: { } inner }) e = inner;
            else return e;
        }
    }

    private static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));

    private static string Relative(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }
}
