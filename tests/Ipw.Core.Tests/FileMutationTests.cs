using System.Text;
using CsCheck;
using Ipw.Core.Plugins;
using Ipw.Core.Summary;
using Ipw.Tests;

namespace Ipw.Core.Tests;

/// <summary>
/// summary.json and plugins.json, mutated (bytes flipped, quotes, braces, commas and line breaks inserted, invalid
/// UTF-8, cuts, repeated slices; CsCheck shrinks a failure): a reader refuses them only the documented way (a JSON error
/// for summary.json, which readers turn into one line; a user error naming plugins.json).
/// </summary>
public sealed class FileMutationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ipw-mutate-").FullName;

    private static readonly byte[] Specials = [(byte)'"', (byte)'{', (byte)'}', (byte)'[', (byte)']', (byte)',', (byte)':', (byte)'\n', (byte)'\\', 0, 0xC3, 0xFF, (byte)'-', (byte)'9'];

    private static Gen<byte[]> Mutated(byte[] seed) => Mutations.Of([seed], Specials, maxEdits: 6);

    private static readonly RunSummary Summary = new()
    {
        SchemaVersion = 1,
        IpwVersion = "0.1.0",
        Status = "completed",
        StartedAt = "2026-12-05T10:00:00.0000000+00:00",
        DurationS = 12.5,
        Config = new RunConfig { Client = "openai", Model = "m", Percentiles = [50, 99], SloMs = new() { ["ttft"] = 200 }, RatePerS = double.PositiveInfinity },
        Counts = new CountsSection(10, 10, 9, 1, new() { ["timeout"] = 1 }),
        Totals = new TotalsSection { InputTokens = 120, OutputTokens = 80, E2eLatencyS = new DistributionSummary(10, 1.0, 0.9, 1.5, 2.0, 2.1) },
        Energy = new EnergySection { Available = true, Source = "nvml" },
        Runner = new RunnerSection(42, "node-a"),
        Repair = new RepairSection("2026-12-05T10:01:00Z", 10, 0, 0),
    };

    [Fact]
    public void Summary_json_refuses_mutations_only_as_json_errors() =>
        Mutated(Encoding.UTF8.GetBytes(SummaryFile.Serialize(Summary))).Sample(bytes =>
        {
            try
            {
                _ = SummaryFile.Deserialize(Encoding.UTF8.GetString(bytes));
            }
            catch (System.Text.Json.JsonException)
            {
            }
        }, iter: 5000);

    [Fact]
    public void Plugins_json_refuses_mutations_only_as_a_user_error_naming_it() =>
        Mutated(File.ReadAllBytes(Path.Combine(RecordColumnsTests.RepoRoot(), "plugins.json"))).Sample(bytes =>
        {
            var path = Path.Combine(_dir, $"plugins{Environment.CurrentManagedThreadId}.json");
            File.WriteAllBytes(path, bytes);
            try
            {
                _ = PluginManifest.Load(path);
            }
            catch (UserError e)
            {
                Assert.Contains(path, e.Message);
            }
        }, iter: 2000, threads: 1);

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
