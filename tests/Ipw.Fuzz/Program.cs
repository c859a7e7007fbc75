using SharpFuzz;

namespace Ipw.Fuzz;

/// <summary>
/// <c>Ipw.Fuzz list</c>: the targets. <c>Ipw.Fuzz fuzz TARGET</c>: the target under afl-fuzz (SharpFuzz's in-process
/// loop; run by scripts/fuzz.sh on an instrumented copy). <c>Ipw.Fuzz replay TARGET PATH...</c>: each file (or every
/// file of each folder) through the target, without a fuzzer; one line per defect, exit 1 if any.
/// <c>Ipw.Fuzz seed FOLDER</c>: writes the starting corpus (from the golden wire transcripts and small files of each
/// format) into FOLDER/TARGET/.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        switch (args)
        {
            case ["list"]:
                foreach (var t in Targets.All) Console.WriteLine($"{t.Name,-14} {t.Reads}");
                return 0;
            case ["fuzz", var name]:
                var target = Targets.Named(name);
                Action<Stream> run = stream =>
                {
                    using var copy = new MemoryStream();
                    stream.CopyTo(copy);
                    target.Run(copy.ToArray());
                };
                if (target.Separate) Fuzzer.OutOfProcess.Run(run);
                else Fuzzer.Run(run);
                return 0;
            case ["replay", var name, .. var paths]:
                return Replay(Targets.Named(name), paths);
            case ["seed", var folder]:
                Seeds.Write(folder);
                return 0;
            default:
                Console.Error.WriteLine("usage: Ipw.Fuzz list | fuzz TARGET | replay TARGET PATH... | seed FOLDER");
                return 2;
        }
    }

    private static int Replay(Target target, string[] paths)
    {
        var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal) : (IEnumerable<string>)[p]).ToList();
        var defects = 0;
        foreach (var file in files)
        {
            try
            {
                target.Run(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                defects++;
                Console.WriteLine($"{target.Name}: {file}: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
                if (Environment.GetEnvironmentVariable("IPW_DEBUG") == "1") Console.WriteLine(e); // the stack, to mend it
            }
        }
        Console.WriteLine($"{target.Name}: {files.Count} inputs replayed, {defects} defects");
        return defects == 0 ? 0 : 1;
    }
}
