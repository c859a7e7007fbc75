using Ipw.Abstractions;

namespace IpwPlugin1;

/// <summary>Three questions with reference answers, graded by ipw's numeric grader: replace <see cref="Items"/> with
/// your workload (read <see cref="DatasetOptions.Path"/> for --dataset-path and its Settings for --dataset-option).
/// The identity names the workload and its version in every run's summary.</summary>
internal sealed class SumsDataset(DatasetOptions options) : IDataset
{
    private static readonly (int A, int B)[] Sums = [(2, 3), (17, 25), (120, 301)];

    public string Identity => "ipwplugin1@1";

    public int? Count => Sums.Length;

    public IEnumerable<WorkloadItem> Items(CancellationToken cancellationToken = default)
    {
        _ = options;
        for (var i = 0; i < Sums.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (a, b) = Sums[i];
            yield return new WorkloadItem($"sum-{i}", [new ChatMessage("user", $"What is {a} + {b}? Answer with the number only.")],
                (a + b).ToString(System.Globalization.CultureInfo.InvariantCulture), "numeric", "math", new Dictionary<string, string>());
        }
    }
}
