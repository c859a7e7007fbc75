using System.CommandLine;
using System.Globalization;
using Ipw.Core.Scoring;

namespace Ipw.Cli;

/// <summary><c>ipw score RUN...</c>: grade (again) the answers of finished runs.</summary>
internal static class ScoreCommand
{
    public static Command Create()
    {
        var runs = new Argument<string[]>("runs") { Description = "run folders (profile_*)", Arity = ArgumentArity.OneOrMore };
        var grader = new Option<string?>("--grader") { Description = "grade every row that has a reference with this grader (e.g. numeric:0.01), instead of each row's own" };
        var command = new Command("score", "Score or rescore the answers of finished runs, and update their summary's intelligence metrics") { runs, grader };
        command.SetAction(parse =>
        {
            foreach (var run in parse.GetValue(runs)!)
            {
                var o = RunScorer.Rescore(Path.GetFullPath(run), parse.GetValue(grader));
                var accuracy = o.Graded > 0 ? ((double)o.Correct / o.Graded).ToString("P1", CultureInfo.InvariantCulture) : "n/a";
                Console.WriteLine($"{run}: {o.Rows} rows, {o.Graded} graded, {o.Correct} correct ({accuracy})");
            }
            return 0;
        });
        return command;
    }
}
