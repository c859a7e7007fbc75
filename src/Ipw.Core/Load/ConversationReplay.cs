using Ipw.Abstractions;

namespace Ipw.Core.Load;

/// <summary>
/// A conversation replayed turn by turn (<see cref="WorkloadItem.ReplayTurns"/>): turn k sends the recorded messages up to
/// its user message, with the model's own answers to the earlier turns in place of the recorded assistant messages (the
/// system message kept), so each turn's context is what a real user of this model would have sent. The recorded reply
/// to turn k is its reference.
/// </summary>
internal static class ConversationReplay
{
    /// <summary>How many user turns the conversation has.</summary>
    public static int Turns(WorkloadItem conversation) => conversation.Messages.Count(m => m.Role == "user");

    /// <summary>Turn <paramref name="turn"/> (from 1) as a query, given the model's answers to the turns before it.</summary>
    public static WorkloadItem Turn(WorkloadItem conversation, IReadOnlyList<string> answers, int turn)
    {
        if (answers.Count < turn - 1) throw new ArgumentException($"turn {turn} needs the answers to the {turn - 1} turns before it");
        var messages = new List<ChatMessage>();
        string? reference = null;
        var user = 0;
        var recorded = conversation.Messages;
        for (var i = 0; i < recorded.Count; i++)
        {
            var m = recorded[i];
            if (m.Role == "assistant") continue; // replaced by the model's own answers
            if (m.Role != "user")
            {
                messages.Add(m);
                continue;
            }
            user++;
            messages.Add(m);
            if (user == turn)
            {
                if (i + 1 < recorded.Count && recorded[i + 1].Role == "assistant") reference = recorded[i + 1].Content;
                break;
            }
            messages.Add(new ChatMessage("assistant", answers[user - 1]));
        }
        return conversation with
        {
            Id = $"{conversation.Id}#t{turn}",
            Messages = messages,
            Reference = reference,
            Grader = reference is null ? null : conversation.Grader,
            ReplayTurns = false,
        };
    }
}
