using System.CommandLine;
using Ipw.Core;

namespace Ipw.Cli;

/// <summary><c>--prometheus-url</c> and its label selectors, for the <c>prometheus</c> energy backend (on
/// <c>ipw profile</c> and <c>ipw energy test</c>). The backend reads them from IPW_PROMETHEUS_*.</summary>
internal sealed class PrometheusOptions
{
    private readonly Option<string?> _url = new("--prometheus-url") { Description = "Prometheus to read cluster energy from (with --energy prometheus), e.g. http://prometheus:9090" };
    private readonly Option<string?> _job = new("--prometheus-job") { Description = "prometheus: only series whose job matches this regex" };
    private readonly Option<string?> _instance = new("--prometheus-instance") { Description = "prometheus: only series whose instance matches this regex" };
    private readonly Option<string?> _gpu = new("--prometheus-gpu") { Description = "prometheus: only these GPU indices (DCGM's gpu label), e.g. 0,1" };

    public void AddTo(Command command)
    {
        command.Options.Add(_url);
        command.Options.Add(_job);
        command.Options.Add(_instance);
        command.Options.Add(_gpu);
    }

    public void Apply(ParseResult parse)
    {
        if (parse.GetValue(_url) is { } url)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"))
                throw new UserError($"--prometheus-url expects an http(s) URL such as http://prometheus:9090, got '{url}'");
            Environment.SetEnvironmentVariable("IPW_PROMETHEUS_URL", url);
        }
        if (parse.GetValue(_job) is { } job) Environment.SetEnvironmentVariable("IPW_PROMETHEUS_JOB", job);
        if (parse.GetValue(_instance) is { } instance) Environment.SetEnvironmentVariable("IPW_PROMETHEUS_INSTANCE", instance);
        if (parse.GetValue(_gpu) is { } gpu)
        {
            if (gpu.Split(',', StringSplitOptions.TrimEntries).Any(p => !int.TryParse(p, out var i) || i < 0))
                throw new UserError($"--prometheus-gpu expects GPU indices such as 0,1, got '{gpu}'");
            Environment.SetEnvironmentVariable("IPW_PROMETHEUS_GPU", gpu);
        }
    }
}
