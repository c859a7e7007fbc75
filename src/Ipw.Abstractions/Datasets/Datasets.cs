namespace Ipw.Abstractions;

/// <summary>One chat message.</summary>
/// <param name="Role">"system", "user" or "assistant".</param>
/// <param name="Content">The text.</param>
public sealed record ChatMessage(string Role, string Content)
{
    /// <summary>An assistant message's tool calls (sent back to the model with the conversation); null: none.</summary>
    public IReadOnlyList<ToolCallRequest>? ToolCalls { get; init; }

    /// <summary>A <c>tool</c> message's answer to this call id; null for other messages.</summary>
    public string? ToolCallId { get; init; }
}

/// <summary>One query of a workload.</summary>
/// <param name="Id">Stable identifier within the dataset.</param>
/// <param name="Messages">The conversation to send (the last message is the user's query).</param>
/// <param name="Reference">The reference answer, when the answer is verifiable; otherwise null.</param>
/// <param name="Grader">How the answer is checked (e.g. "numeric", "choice", "exact"); null when ungraded.</param>
/// <param name="Subject">Subject or category label (e.g. "math", "extraction").</param>
/// <param name="Metadata">Free-form string metadata; may be empty.</param>
public sealed record WorkloadItem(
    string Id,
    IReadOnlyList<ChatMessage> Messages,
    string? Reference,
    string? Grader,
    string? Subject,
    IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>The number of tokens this item asks to generate, when the workload fixes it (a synthetic workload's
    /// drawn output length); null means the run's <c>--max-tokens</c>.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>True when <see cref="Messages"/> is a whole conversation to replay turn by turn (a dataset's
    /// <c>turns=all</c>): each user turn is sent in order, with the model's own earlier answers in place of the recorded
    /// assistant messages, and each is measured and recorded as a query of its own (its turn and the item's id as the
    /// conversation). False: the messages are sent once, as they are.</summary>
    public bool ReplayTurns { get; init; }

    /// <summary>The text of the last user message.</summary>
    public string Prompt => Messages.Count == 0 ? "" : Messages[^1].Content;
}

/// <summary>Options passed to a dataset factory.</summary>
/// <param name="Path">A file or folder the dataset reads, when it needs one.</param>
/// <param name="Settings">Further key=value settings.</param>
public sealed record DatasetOptions(string? Path, IReadOnlyDictionary<string, string> Settings);

/// <summary>A workload. Items are yielded lazily: a dataset never loads everything into memory.</summary>
public interface IDataset
{
    /// <summary>The dataset's name and version, e.g. "ipw@0.1.0".</summary>
    string Identity { get; }

    /// <summary>Number of items when cheaply known, else null.</summary>
    int? Count { get; }

    /// <summary>Yields the items in a deterministic order.</summary>
    IEnumerable<WorkloadItem> Items(CancellationToken cancellationToken = default);
}

/// <summary>A named factory for an <see cref="IDataset"/>.</summary>
public sealed record DatasetDescriptor(string Name, string Description, Func<DatasetOptions, IDataset> Create)
    : EntryDescriptor(Name, Description);
