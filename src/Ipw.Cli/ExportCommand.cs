using System.CommandLine;
using System.Globalization;
using Ipw.Core;
using Ipw.Core.Analysis;
using Ipw.Core.Export;

namespace Ipw.Cli;

/// <summary><c>ipw export RUN... --format csv|jsonl|parquet</c>: a run's per-query records as a file other tools open.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var runs = new Argument<string[]>("runs") { Description = "run folders, sweep folders or globs (./runs/profile_*)", Arity = ArgumentArity.OneOrMore };
        var format = new Option<string>("--format", "-f") { Description = "csv, jsonl or parquet", Required = true };
        var output = new Option<string?>("--output", "-o")
        {
            Description = "the file to write (default: RUN/export/records.EXT); '-' writes csv or jsonl to standard output; one run only",
        };
        var columns = new Option<string[]>("--columns")
        {
            Description = "only these columns, in this order, comma-separated (see 'ipw list columns'; default: every column of the run)",
        };
        var command = new Command("export", "Write runs' per-query records as CSV, JSON Lines or Parquet, every column named as in the run") { runs, format, output, columns };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var chosen = RecordExport.ParseFormat(parse.GetValue(format)!);
            var names = parse.GetValue(columns) is { Length: > 0 } given
                ? given.SelectMany(g => g.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList()
                : null;
            if (names is { Count: 0 }) throw new UserError("--columns names no column");
            var folders = RunInputs.Resolve(parse.GetValue(runs)!);
            var path = parse.GetValue(output);
            if (path is not null && folders.Count > 1)
                throw new UserError($"--output names one file, and {folders.Count} runs were given: leave it out, and each run's records go to RUN/{RecordExport.FolderName}/");
            if (path == "-")
            {
                await using var stdout = Console.OpenStandardOutput();
                await RecordExport.ToStreamAsync(folders[0], chosen, stdout, names, cancellationToken);
                return 0;
            }
            foreach (var folder in folders)
            {
                var r = await RecordExport.ToFileAsync(folder, chosen, path, names, cancellationToken);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{Path.GetRelativePath(Environment.CurrentDirectory, folder)}: {r.Rows:N0} records → {Path.GetRelativePath(Environment.CurrentDirectory, r.Path!)} ({Size(r.Bytes)}, {r.Elapsed.TotalSeconds:F2} s)"));
            }
            return 0;
        });
        return command;
    }

    private static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1 << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F1} MiB"),
    };
}
