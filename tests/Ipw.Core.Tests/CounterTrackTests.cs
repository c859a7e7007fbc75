using Ipw.Core.Measurement;

namespace Ipw.Core.Tests;

public sealed class CounterTrackTests
{
    [Fact]
    public void A_counter_current_at_read_time_that_did_not_move_held_its_value_until_that_read()
    {
        var track = new CounterTrack(periodTicks: null);
        track.Add(0, 0);
        track.Add(100, 0);  // unchanged: nothing was drawn up to t = 100
        track.Add(200, 10);
        Assert.Equal(0, track.At(100));
        Assert.Equal(5, track.At(150), 9); // the 10 J came between 100 and 200, not spread from t = 0
        Assert.Equal(200, track.Horizon);
    }

    [Fact]
    public void A_counter_with_a_period_is_known_only_up_to_its_last_update_and_a_reset_continues_it()
    {
        var track = new CounterTrack(periodTicks: 100);
        track.Add(0, 0);
        track.Add(60, 0);
        track.Add(130, 10);  // published in (60, 130]: placed at 95
        Assert.Equal(95, track.Horizon);
        Assert.True(double.IsNaN(track.At(120))); // past the last update: unknown, never the stale reading
        track.Add(250, 4);   // went backwards: a reset; continues from 10
        Assert.Equal(10, track.At(track.Horizon));
        Assert.True(track.GapIn(130, 250));
    }
}
