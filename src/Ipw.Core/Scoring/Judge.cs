using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Ipw.Abstractions;
using Ipw.Core.Plugins;

namespace Ipw.Core.Scoring;

/// <summary>How the judge grades.</summary>
/// <param name="Client">A registered client ("openai", "ollama", "vllm", "llamasharp", ...).</param>
/// <param name="Model">The judge model.</param>
/// <param name="BaseUrl">The judge server, for HTTP clients.</param>
/// <param name="Mode">"reference": is the answer right, given the reference answer? "pairwise": is the answer better
/// than a baseline answer (another run's answer to the same item, or the reference when no baseline run is given)?</param>
/// <param name="Rubric">Extra grading instructions, added to the judge's prompt.</param>
/// <param name="BaselineRun">For pairwise: a run folder whose answers, matched by item id, are the baseline.</param>
/// <param name="MaxTokens">The judge's answer length.</param>
public sealed record JudgeSettings(string Client, string? Model, string? BaseUrl, string Mode = "reference", string? Rubric = null,
    string? BaselineRun = null, int MaxTokens = 256);

/// <summary>
/// The <c>judge</c> grader: an LLM, reached through any registered client, grades each answer. It runs after a
/// profile (from <c>ipw score</c>), never inside one, so its own inference is never measured as the model's.
/// <list type="bullet">
/// <item>Reference mode asks for a reason and a last line <c>VERDICT: CORRECT</c> or <c>VERDICT: INCORRECT</c>.</item>
/// <item>Pairwise mode shows the answer and the baseline as A and B, in an order drawn from the item id (so position
/// bias cancels over a run), and asks for <c>WINNER: A</c>, <c>B</c> or <c>TIE</c>: a win scores 1 and counts as
/// correct, a tie 0.5, a loss 0.</item>
/// </list>
/// A reply without a readable verdict leaves the row ungraded with the judge's words, never guessed.
/// </summary>
public sealed partial class Judge : IAsyncDisposable
{
    private readonly IInferenceClient _client;
    private readonly JudgeSettings _settings;
    private int _sent;

    private Judge(IInferenceClient client, JudgeSettings settings, string model) => (_client, _settings, Model) = (client, settings, model);

    /// <summary>The judge model, as its client reports it.</summary>
    public string Model { get; }

    /// <summary>Creates and prepares the judge's client.</summary>
    /// <exception cref="UserError">An unknown client or mode, or a client that cannot start.</exception>
    public static async Task<Judge> CreateAsync(JudgeSettings settings, PluginRegistries registries, CancellationToken cancellationToken)
    {
        if (settings.Mode is not ("reference" or "pairwise")) throw new UserError($"--judge-mode must be reference or pairwise, got '{settings.Mode}'");
        var entry = registries.Clients.Resolve(settings.Client);
        IInferenceClient client;
        try
        {
            client = entry.Descriptor.Create(new ClientOptions(settings.Model, settings.BaseUrl, new Dictionary<string, string>()));
        }
        catch (PluginConfigurationException e)
        {
            throw new UserError($"--judge-client {settings.Client}: {e.Message}");
        }
        try
        {
            var info = await client.PrepareAsync(cancellationToken).ConfigureAwait(false);
            return new Judge(client, settings, info.Model);
        }
        catch (PluginConfigurationException e)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw new UserError($"--judge-client {settings.Client}: {e.Message}");
        }
    }

    /// <summary>Grades one answer. Returns null with the reason when it cannot (no reference or baseline, the judge
    /// failed, or its reply has no verdict).</summary>
    public async Task<(Grade? Grade, string Reason)> GradeAsync(string itemId, string question, string? reference, string answer,
        string? baseline, CancellationToken cancellationToken)
    {
        var pairwise = _settings.Mode == "pairwise";
        var other = pairwise ? baseline ?? reference : reference;
        if (other is null)
            return (null, pairwise ? "not graded: judge (pairwise) has no baseline answer for this item" : "not graded: judge has no reference answer");
        var answerFirst = !pairwise || (SHA256.HashData(Encoding.UTF8.GetBytes(itemId))[0] & 1) == 0;
        var prompt = pairwise ? PairwisePrompt(question, answerFirst ? answer : other, answerFirst ? other : answer) : ReferencePrompt(question, reference!, answer);
        var request = new InferenceRequest($"judge-{itemId}", [new ChatMessage("user", prompt)],
            new GenerationParameters(_settings.MaxTokens, 0, Interlocked.Increment(ref _sent)));
        var result = await _client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (result.Error is { } error) return (null, $"not graded: the judge failed ({error.Class}: {error.Message})");
        var reply = result.Text.Trim();
        var quote = Quote(reply);
        if (!pairwise)
        {
            var verdict = VerdictPattern().Matches(reply).LastOrDefault();
            if (verdict is null) return (null, $"not graded: the judge gave no verdict (\"{quote}\")");
            var correct = verdict.Groups[1].Value.Equals("CORRECT", StringComparison.OrdinalIgnoreCase);
            return (new Grade(correct, correct ? 1 : 0, $"judge {Model}: {(correct ? "correct" : "incorrect")} (\"{quote}\")"), "");
        }
        var winner = WinnerPattern().Matches(reply).LastOrDefault();
        if (winner is null) return (null, $"not graded: the judge named no winner (\"{quote}\")");
        var pick = winner.Groups[1].Value.ToUpperInvariant();
        var score = pick == "TIE" ? 0.5 : (pick == "A") == answerFirst ? 1 : 0;
        var outcome = score switch { 1 => "better than the baseline", 0.5 => "as good as the baseline", _ => "worse than the baseline" };
        return (new Grade(score == 1, score, $"judge {Model} (pairwise, answer shown as {(answerFirst ? "A" : "B")}): {outcome} (\"{quote}\")"), "");
    }

    private string ReferencePrompt(string question, string reference, string answer) => string.Create(CultureInfo.InvariantCulture, $"""
        You are grading an answer to a question. Compare the candidate answer with the reference answer: the candidate is correct when it gives the same final answer, even if it is worded differently or explains more.
        {Rubric()}
        [Question]
        {question}

        [Reference answer]
        {reference}

        [Candidate answer]
        {answer}

        Give a one-sentence reason, then end with exactly one line: VERDICT: CORRECT or VERDICT: INCORRECT
        """);

    private string PairwisePrompt(string question, string a, string b) => string.Create(CultureInfo.InvariantCulture, $"""
        You are comparing two answers to the same question. Judge which one answers it better: correctness first, then helpfulness and clarity. Do not let the order or the length of the answers sway you.
        {Rubric()}
        [Question]
        {question}

        [Answer A]
        {a}

        [Answer B]
        {b}

        Give a one-sentence reason, then end with exactly one line: WINNER: A, WINNER: B or WINNER: TIE
        """);

    private string Rubric() => _settings.Rubric is { Length: > 0 } r ? "\n[Grading rubric]\n" + r + "\n" : "";

    private static string Quote(string reply)
    {
        var flat = string.Join(' ', reply.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= 160 ? flat : flat[..157] + "...";
    }

    [GeneratedRegex(@"VERDICT\s*:\s*\**\s*(CORRECT|INCORRECT)\b", RegexOptions.IgnoreCase)]
    private static partial Regex VerdictPattern();

    [GeneratedRegex(@"WINNER\s*:\s*\**\s*(A|B|TIE)\b", RegexOptions.IgnoreCase)]
    private static partial Regex WinnerPattern();

    /// <summary>What summary.json records about the judge.</summary>
    public System.Text.Json.Nodes.JsonObject Describe(string? baselineRun) => new()
    {
        ["client"] = _settings.Client,
        ["model"] = Model,
        ["mode"] = _settings.Mode,
        ["baseline"] = _settings.Mode == "pairwise" ? baselineRun ?? "reference answers" : null,
        ["rubric"] = _settings.Rubric,
    };

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
