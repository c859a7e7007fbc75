using Ipw.Abstractions;
using Ipw.Core.Load;

namespace Ipw.Core.Tests;

public sealed class ConversationReplayTests
{
    private static readonly WorkloadItem Conversation = new("c1",
    [
        new("system", "S"), new("user", "U1"), new("assistant", "R1"), new("user", "U2"), new("assistant", "R2"), new("user", "U3"),
    ], null, "judge", "chat", new Dictionary<string, string>())
    { ReplayTurns = true };

    [Fact]
    public void Turn_k_carries_the_users_turns_and_the_models_own_earlier_answers()
    {
        Assert.Equal(3, ConversationReplay.Turns(Conversation));
        var first = ConversationReplay.Turn(Conversation, [], 1);
        Assert.Equal([("system", "S"), ("user", "U1")], first.Messages.Select(m => (m.Role, m.Content)));
        Assert.Equal("R1", first.Reference);
        Assert.Equal("judge", first.Grader);
        Assert.Equal("c1#t1", first.Id);
        Assert.False(first.ReplayTurns);

        var third = ConversationReplay.Turn(Conversation, ["A1", "A2"], 3);
        Assert.Equal([("system", "S"), ("user", "U1"), ("assistant", "A1"), ("user", "U2"), ("assistant", "A2"), ("user", "U3")],
            third.Messages.Select(m => (m.Role, m.Content)));
        Assert.Null(third.Reference); // the recording ends before a reply to U3
        Assert.Null(third.Grader); // nothing to grade against
        Assert.Equal("U3", third.Prompt);
        Assert.Throws<ArgumentException>(() => ConversationReplay.Turn(Conversation, ["A1"], 3));
    }

    [Fact]
    public void The_think_time_is_fixed_or_a_seeded_normal_never_below_zero()
    {
        Assert.Equal(TimeSpan.Zero, ThinkTime.Parse("0s").Draw(new Random(1)));
        Assert.Equal(TimeSpan.FromSeconds(2), ThinkTime.Parse("2s").Draw(new Random(1)));
        var normal = ThinkTime.Parse("normal:3s,1s");
        Assert.Equal("normal:3s,1s", normal.ToString());
        var draws = Enumerable.Range(0, 4000).Select(i => normal.Draw(new Random(i)).TotalSeconds).ToList();
        Assert.InRange(draws.Average(), 2.9, 3.1);
        Assert.Equal(normal.Draw(new Random(7)), normal.Draw(new Random(7)));
        var wide = ThinkTime.Parse("normal:0.1s,1s");
        Assert.All(Enumerable.Range(0, 500).Select(i => wide.Draw(new Random(i))), d => Assert.True(d >= TimeSpan.Zero));
        Assert.Throws<UserError>(() => ThinkTime.Parse("normal:3s"));
        Assert.Throws<UserError>(() => ThinkTime.Parse("-1s"));
    }
}
