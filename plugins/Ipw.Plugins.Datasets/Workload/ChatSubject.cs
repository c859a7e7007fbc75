using Ipw.Abstractions;
using static Ipw.Plugins.Datasets.Workload.Shared;

namespace Ipw.Plugins.Datasets.Workload;

/// <summary>Open-ended chat prompts of the built-in workload, hand-written, with no reference.</summary>
internal static class ChatSubject
{
    private static readonly WorkloadData Data = WorkloadData.Load("chat");

    // The hand-written prompts (Workload/chat.jsonl); a row without "system" has no system message.
    private static readonly (string? System, string Prompt, string Expected)[] ChatPrompts =
        Data.Rows("prompts", r => (r.OptionalString("system"), r.String("prompt"), r.String("expected")));

    public static List<WorkloadItem> Items()
    {
        var items = new List<WorkloadItem>(ChatPrompts.Length);
        for (int i = 0; i < ChatPrompts.Length; i++)
        {
            var (system, prompt, expected) = ChatPrompts[i];
            items.Add(Item(Id("chat", i), "chat", system, prompt, null, null, expected, "open-ended"));
        }

        return items;
    }
}
