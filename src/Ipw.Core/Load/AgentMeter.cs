using System.Diagnostics;
using Ipw.Abstractions;
using Ipw.Core.Measurement;
using Ipw.Core.Profiling;
using Ipw.Core.Records;

namespace Ipw.Core.Load;

/// <summary>One step an agent took: a model call or a tool call, on the run's monotonic clock.</summary>
/// <param name="EnergyAtStart">The energy counters' sum read as the step began (null: no counter, or not read).</param>
/// <param name="OutputTokens">A model call's output tokens (null: unknown); 0 for a tool.</param>
internal sealed record AgentStep(string Kind, long Start, long End, double? EnergyAtStart, double? EnergyAtEnd, long? OutputTokens)
{
    public double DurationS => Stopwatch.GetElapsedTime(Start, End).TotalSeconds;

    /// <summary>Each step's share of the task's energy (summing to 1: the last is what the others leave) and what they
    /// came from: the counters read at the steps' edges, or the steps' time where a counter is missing or did not move.</summary>
    public static (double[] Shares, string Source) Shares(IReadOnlyList<AgentStep> steps)
    {
        var byEnergy = steps.All(s => s.EnergyAtStart is not null && s.EnergyAtEnd is not null && s.EnergyAtEnd >= s.EnergyAtStart);
        var weights = steps.Select(s => byEnergy ? s.EnergyAtEnd!.Value - s.EnergyAtStart!.Value : s.DurationS).ToArray();
        var total = weights.Sum();
        if (byEnergy && !(total > 0))
        {
            byEnergy = false;
            weights = steps.Select(s => s.DurationS).ToArray();
            total = weights.Sum();
        }
        var shares = new double[steps.Count];
        if (shares.Length == 0) return (shares, "time");
        var sum = 0.0;
        for (var i = 0; i < shares.Length - 1; i++) sum += shares[i] = total > 0 ? weights[i] / total : 1.0 / shares.Length;
        shares[^1] = 1 - sum;
        return (shares, byEnergy ? "energy" : "time");
    }
}

/// <summary>
/// Measures an item answered by an agent (<c>--agent</c>): the item's window spans the whole task, and every model call
/// and tool call inside it is a step, timed here (<see cref="AgentSteps"/>). The record's timing is the task's (end to
/// end), its TTFT the first model call's, its tokens the model calls' sums, its answer the agent's.
/// </summary>
internal sealed class AgentMeter(ProfileOptions options, IInferenceClient client, IAgent agent, QueryWindows windows, Action<AgentStepEvent> onStep) : IQueryMeter
{
    private int _inFlight, _maxInFlight;

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public async Task<MeasuredQuery?> MeasureAsync(int index, WorkloadItem item, long? scheduled, CancellationToken abort)
    {
        var inFlight = InFlight.Enter(ref _inFlight, ref _maxInFlight);
        var window = windows.Open();
        var steps = new AgentSteps(client, QueryMeter.Request(options, index, item).Parameters, (index, item.Id), windows.EnergyNow, onStep);
        string? answer = null;
        ClientError? failure = null;
        try
        {
            answer = await agent.RunAsync(item, steps, abort).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            failure = new ClientError(ErrorClass.Cancelled, "cancelled");
        }
        catch (Exception e)
        {
            // The agent's bug or refusal ends its task, not the run.
            failure = new ClientError(ErrorClass.Other, $"agent {options.Agent}: {e.GetType().Name}: {e.Message}");
        }
        var (end, telemetry) = windows.Close(window);
        Interlocked.Decrement(ref _inFlight);
        return new MeasuredQuery(index, item, steps.Result(answer, failure, window.Start, end), end, scheduled, inFlight, telemetry, window)
        {
            Steps = steps.Taken,
        };
    }

    /// <summary>The steps of one task, each call through the client (as <see cref="QueryMeter"/> sends a query) or a
    /// tool, timed.</summary>
    /// <param name="task">The task's query index and item id.</param>
    private sealed class AgentSteps(IInferenceClient client, GenerationParameters parameters, (int Index, string Id) task, Func<double?> energyNow,
        Action<AgentStepEvent> onStep) : IAgentSteps
    {
        private readonly List<AgentStep> _taken = [];
        private readonly List<InferenceResult> _model = [];
        private int _started;

        public GenerationParameters Parameters => parameters;

        public IReadOnlyList<AgentStep> Taken => _taken;

        public async Task<InferenceResult> ModelAsync(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ToolDefinition>? tools, CancellationToken cancellationToken)
        {
            var energy = energyNow();
            var start = Stopwatch.GetTimestamp();
            var number = Began("model", start);
            var request = new InferenceRequest($"{task.Id}#m{_model.Count + 1}", messages, parameters) { Tools = tools };
            var result = await QueryMeter.SendAsync(client, request, start, cancellationToken).ConfigureAwait(false);
            var end = Stopwatch.GetTimestamp();
            var energyAfter = energyNow();
            lock (_taken)
            {
                _model.Add(result);
                _taken.Add(new AgentStep("model", start, end, energy, energyAfter, result.Usage?.OutputTokens));
            }
            onStep(new AgentStepEvent(task.Index, task.Id, number, "model", start, Stopwatch.GetElapsedTime(start, end).TotalSeconds));
            return result;
        }

        public async Task<string> ToolAsync(string name, Func<CancellationToken, Task<string>> call, CancellationToken cancellationToken)
        {
            var energy = energyNow();
            var start = Stopwatch.GetTimestamp();
            var number = Began("tool:" + name, start);
            string output;
            try
            {
                output = await call(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                output = $"error: {e.Message}";
            }
            var end = Stopwatch.GetTimestamp();
            var energyAfter = energyNow();
            lock (_taken) _taken.Add(new AgentStep("tool:" + name, start, end, energy, energyAfter, 0));
            onStep(new AgentStepEvent(task.Index, task.Id, number, "tool:" + name, start, Stopwatch.GetElapsedTime(start, end).TotalSeconds));
            return output;
        }

        /// <summary>Says a step began; returns its number in the task (from 1).</summary>
        private int Began(string kind, long start)
        {
            var number = Interlocked.Increment(ref _started);
            onStep(new AgentStepEvent(task.Index, task.Id, number, kind, start, null));
            return number;
        }

        /// <summary>The task as one result: the first model call's timeline (its TTFT is the task's), the calls' tokens
        /// summed (null when a call did not report them), the agent's answer; a failed last model call, or the agent's own
        /// failure, is the task's error.</summary>
        public InferenceResult Result(string? answer, ClientError? failure, long start, long end)
        {
            if (_model.Count == 0)
                return new InferenceResult(start, end, [], answer ?? "", null, null, new Dictionary<string, double>(), null,
                    failure ?? (answer is null ? new ClientError(ErrorClass.Other, "the agent made no model call") : null));
            var first = _model[0];
            var last = _model[^1];
            long? Sum(Func<TokenUsage, long?> of) => _model.All(m => m.Usage is { } u && of(u) is not null) ? _model.Sum(m => of(m.Usage!)!.Value) : null;
            var usage = new TokenUsage(Sum(u => u.InputTokens), Sum(u => u.OutputTokens), first.Usage?.Source ?? "server-usage");
            return new InferenceResult(first.SentAt, end, first.Chunks, answer ?? last.Text, first.Reasoning, usage, first.ServerTimings, last.FinishReason,
                failure ?? last.Error)
            {
                ToolCalls = _model.Sum(m => m.RequestedToolCalls.Count),
            };
        }
    }
}
