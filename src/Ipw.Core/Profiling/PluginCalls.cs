using Ipw.Abstractions;
using Ipw.Core.Plugins;
using Ipw.Core.Summary;

namespace Ipw.Core.Profiling;

/// <summary>What the profiler asks of the plugins outside the measured queries: make the client and the dataset (a
/// configuration error becomes a one-line user error), warm up, and collect the client's report after the run.</summary>
internal static class PluginCalls
{
    public static IDataset CreateDataset(RegisteredEntry<DatasetDescriptor> entry, ProfileOptions options)
    {
        try
        {
            return entry.Descriptor.Create(new DatasetOptions(options.DatasetPath, options.DatasetSettings));
        }
        catch (PluginConfigurationException e)
        {
            throw new UserError($"dataset '{entry.Name}': {e.Message}");
        }
    }

    public static IAgent CreateAgent(RegisteredEntry<AgentDescriptor> entry, ProfileOptions options)
    {
        if (options.Workers > 1 || options.WorkersListen is not null) throw new UserError("--agent runs its steps in this process: drop --workers");
        try
        {
            return entry.Descriptor.Create(new AgentOptions(options.AgentSettings));
        }
        catch (PluginConfigurationException e)
        {
            throw new UserError($"--agent {entry.Name}: {e.Message}");
        }
    }

    /// <summary>The agent's start (its tool servers), before the warm-up and outside every window.</summary>
    public static async Task PrepareAgentAsync(IAgent agent, ProfileOptions options, CancellationToken cancellationToken)
    {
        try
        {
            await agent.PrepareAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PluginConfigurationException e)
        {
            throw new UserError($"--agent {options.Agent}: {e.Message}");
        }
    }

    public static IInferenceClient CreateClient(RegisteredEntry<ClientDescriptor> entry, ProfileOptions options)
    {
        if (entry.Descriptor.InProcess && options.Launch is not null)
            throw new UserError($"{entry.Name} runs in-process and needs no server: --launch starts one for an HTTP client (--client llamacpp, vllm, ollama, openai)");
        if (entry.Descriptor.InProcess && options.BaseUrl is not null)
            throw new UserError($"{entry.Name} runs in-process and takes no --client-base-url ({options.BaseUrl}); did you mean --client openai?");
        try
        {
            return entry.Descriptor.Create(new ClientOptions(options.Model, options.BaseUrl, options.ClientSettings) { WaitReady = options.WaitReady });
        }
        catch (PluginConfigurationException e)
        {
            throw new UserError($"{entry.Name}: {e.Message}");
        }
    }

    public static async Task WarmUpAsync(IInferenceClient client, IDataset dataset, ProfileOptions options, IProfileObserver observer,
        CancellationToken stop, CancellationToken abort)
    {
        var done = 0;
        foreach (var request in WarmUpRequests(dataset, options, abort))
        {
            if (stop.IsCancellationRequested) break;
            await client.SendAsync(request, abort).ConfigureAwait(false);
            observer.OnWarmup(++done, options.Warmup);
        }
    }

    /// <summary>The warm-up queries (<c>--warmup N</c>): the first N items, with seeds no measured query uses.</summary>
    public static IEnumerable<InferenceRequest> WarmUpRequests(IDataset dataset, ProfileOptions options, CancellationToken abort) =>
        dataset.Items(abort).Take(options.Warmup).Select((item, i) => new InferenceRequest($"warmup-{i}", item.Messages,
            new GenerationParameters(options.MaxTokens, options.Temperature, options.Seed - 1 - i)));
    /// <summary>Lets the client read its "before" values (server counters) once the warm-up is over; a failure here
    /// loses nothing but those values.</summary>
    public static async Task BeginMeasurementAsync(IInferenceClient client)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await client.BeginMeasurementAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The client's report says what it could not read.
        }
    }

    /// <summary>What the client reports after the run (e.g. server metrics), values as JSON; a value that is not JSON is
    /// kept as text, and a failure here never loses the run.</summary>
    public static async Task<Dictionary<string, System.Text.Json.JsonElement>> ClientReportAsync(IInferenceClient client)
    {
        IReadOnlyDictionary<string, string> report;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            report = await client.FinishAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            report = new Dictionary<string, string> { ["error"] = System.Text.Json.JsonSerializer.Serialize($"{e.GetType().Name}: {e.Message}") };
        }
        var parsed = new Dictionary<string, System.Text.Json.JsonElement>(StringComparer.Ordinal);
        foreach (var (key, json) in report)
        {
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(json);
                parsed[key] = doc.RootElement.Clone();
            }
            catch (System.Text.Json.JsonException)
            {
                parsed[key] = System.Text.Json.JsonSerializer.SerializeToElement(json, SummaryFile.StringInfo);
            }
        }
        return parsed;
    }

}
