// A custom analysis: a metric the built-in analyses don't have, written to each run's analysis/ folder.
//
//   ipw run scripts/custom_analysis.csx -- runs/profile_*
//
// prefill_rate: how fast the model reads its prompt, input tokens per second of time to first token, by prompt
// length (bucketed by powers of two), plus energy per correct answer where energy and grades exist.
// It writes analysis/prefill_rate.json and prints a table per run.

var runs = Runs(Args.Count > 0 ? Args.ToArray() : [Path.Combine(OutputDir, "*")]);
foreach (var run in runs)
{
    var input = run.Column("input_tokens");
    var ttft = run.Column("ttft_s");
    var status = run.Texts("status");
    var buckets = new SortedDictionary<int, List<double>>();
    var skipped = 0;
    for (var i = 0; i < input.Length; i++)
    {
        // Failed queries, and those without a first token or a token count, say nothing about prefill speed.
        if (status[i] != "ok" || double.IsNaN(input[i]) || double.IsNaN(ttft[i]) || ttft[i] <= 0) { skipped++; continue; }
        var bucket = 1 << (int)Math.Ceiling(Math.Log2(Math.Max(1, input[i])));
        if (!buckets.TryGetValue(bucket, out var rates)) buckets[bucket] = rates = [];
        rates.Add(input[i] / ttft[i]);
    }

    // The percentile definition summary.json and the analyses use (Ipw.Abstractions.Statistics).
    static double Median(List<double> v) => Statistics.Percentile(v.Order().ToArray(), 50);

    // Energy per correct answer: all the energy of the graded queries over the number answered correctly.
    var energy = run.Column("energy_j");
    var correct = run.Column("correct");
    double gradedJoules = 0; int graded = 0, right = 0, gradedWithoutEnergy = 0;
    for (var i = 0; i < correct.Length; i++)
    {
        if (double.IsNaN(correct[i])) continue;
        graded++;
        if (correct[i] != 0) right++;
        if (double.IsNaN(energy[i])) gradedWithoutEnergy++; else gradedJoules += energy[i];
    }
    string? energyReason = graded == 0 ? "no graded queries" : gradedWithoutEnergy > 0 ? $"{gradedWithoutEnergy} graded queries have no energy"
        : right == 0 ? "no correct answers" : null;

    var result = new JsonObject
    {
        ["analysis"] = "prefill_rate",
        ["definition"] = "input tokens / time to first token, per query; median per prompt-length bucket (upper bound, tokens)",
        ["queries"] = input.Length,
        ["skipped"] = skipped,
        ["buckets"] = new JsonArray(buckets.Select(b => (JsonNode)new JsonObject
        {
            ["max_input_tokens"] = b.Key,
            ["n"] = b.Value.Count,
            ["median_tokens_per_s"] = Median(b.Value),
        }).ToArray()),
        ["joules_per_correct_answer"] = energyReason is null ? gradedJoules / right : null,
        ["joules_per_correct_answer_missing_reason"] = energyReason,
    };
    var file = run.WriteAnalysis("prefill_rate", result);

    Console.WriteLine($"== {run.Label} → {Path.GetRelativePath(run.Path, file)}");
    Console.WriteLine($"{"input ≤",8} {"n",5} {"prefill tok/s",14}");
    foreach (var (bucket, rates) in buckets) Console.WriteLine($"{bucket,8} {rates.Count,5} {Median(rates),14:F0}");
    Console.WriteLine(energyReason is null ? $"energy per correct answer: {gradedJoules / right:G4} J ({right} of {graded} correct)"
        : $"energy per correct answer: n/a ({energyReason})");
}
