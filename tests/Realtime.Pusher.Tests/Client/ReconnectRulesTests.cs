using Realtime.Pusher.Client;

namespace Realtime.Pusher.Tests.Client;

public sealed class ReconnectRulesTests
{
    [Theory]
    [InlineData(4000, CloseAction.Stop)]
    [InlineData(4001, CloseAction.Stop)]
    [InlineData(4009, CloseAction.Stop)]
    [InlineData(4099, CloseAction.Stop)]
    [InlineData(4100, CloseAction.BackoffOverCapacity)]
    [InlineData(4199, CloseAction.BackoffOverCapacity)]
    [InlineData(4200, CloseAction.ReconnectNow)]
    [InlineData(4201, CloseAction.ReconnectNow)]
    [InlineData(4299, CloseAction.ReconnectNow)]
    [InlineData(4301, CloseAction.BackoffOverCapacity)]
    [InlineData(1000, CloseAction.BackoffNetwork)]
    [InlineData(1006, CloseAction.BackoffNetwork)]
    [InlineData(1011, CloseAction.BackoffNetwork)]
    [InlineData(null, CloseAction.BackoffNetwork)]
    public void Close_codes_map_to_pusher_actions(int? code, CloseAction action) =>
        Assert.Equal(action, PusherCloseCodes.Classify(code));

    [Fact]
    public void Backoff_doubles_from_the_initial_delay_up_to_the_cap()
    {
        var b = new ReconnectBackoff(TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(2));
        Assert.Equal([250, 500, 1000, 2000, 2000, 2000],
            Enumerable.Range(1, 6).Select(n => b.Ceiling(n).TotalMilliseconds));
        Assert.Equal(TimeSpan.FromSeconds(2), b.Ceiling(1000)); // no overflow
    }

    [Fact]
    public void Backoff_jitter_stays_between_half_and_all_of_the_ceiling_and_varies()
    {
        var b = new ReconnectBackoff(TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(2));
        var random = new Random(7);
        for (var retry = 1; retry <= 8; retry++)
        {
            var ceiling = b.Ceiling(retry);
            var delays = Enumerable.Range(0, 200).Select(_ => b.Delay(retry, random)).ToList();
            Assert.All(delays, d => Assert.InRange(d, ceiling / 2, ceiling));
            Assert.True(delays.Distinct().Count() > 100, "jitter should spread the delays");
        }
    }

    [Fact]
    public void Backoff_rejects_nonsense()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReconnectBackoff(TimeSpan.Zero, TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReconnectBackoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)));
    }
}
