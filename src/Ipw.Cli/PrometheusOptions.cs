using System.CommandLine;
using Ipw.Core;

namespace Ipw.Cli;

/// <summary><c>--prometheus-url</c> and its label selectors, for the <c>prometheus</c> energy backend (on
/// <c>ipw profile</c> and <c>ipw energy test</c>), passed to the backend as its settings.</summary>
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

    /// <summary>The backend's settings (prometheus.url, .job, .instance, .gpu) from the options given, checked.</summary>
    public Dictionary<string, string> Settings(ParseResult parse)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        if (parse.GetValue(_url) is { } url)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"))
                throw new UserError($"--prometheus-url expects an http(s) URL such as http://prometheus:9090, got '{url}'");
            settings["prometheus.url"] = url;
        }
        if (parse.GetValue(_job) is { } job) settings["prometheus.job"] = job;
        if (parse.GetValue(_instance) is { } instance) settings["prometheus.instance"] = instance;
        if (Ipw.Core.Session.ProfileArgs.ParseGpus("--prometheus-gpu", parse.GetValue(_gpu)) is { } gpu) settings["prometheus.gpu"] = gpu;
        return settings;
    }
}
