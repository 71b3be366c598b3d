using Realtime.Pusher.Client;

namespace Realtime.Pusher.Tests.Client;

public sealed class ClientEventPacerTests
{
    private sealed class ManualClock : TimeProvider
    {
        public long Now;
        public override long TimestampFrequency => 1000; // milliseconds
        public override long GetTimestamp() => Now;
    }

    [Fact]
    public void Ten_go_at_once_and_the_eleventh_waits_for_the_first_ones_second_to_pass()
    {
        var clock = new ManualClock { Now = 5_000 };
        var pacer = new ClientEventPacer(10, clock);
        for (var i = 0; i < 10; i++) Assert.Equal(TimeSpan.Zero, pacer.Reserve());
        Assert.Equal(TimeSpan.FromSeconds(1) + ClientEventPacer.Margin, pacer.Reserve());
        clock.Now += 300;
        Assert.Equal(TimeSpan.FromMilliseconds(700) + ClientEventPacer.Margin, pacer.Reserve());
    }

    [Fact]
    public void Never_more_than_ten_in_any_one_second_window()
    {
        var clock = new ManualClock();
        var pacer = new ClientEventPacer(10, clock);
        var sendTimes = new List<long>();
        var random = new Random(3);
        for (var i = 0; i < 200; i++)
        {
            clock.Now += random.Next(0, 60);
            sendTimes.Add(clock.Now + (long)pacer.Reserve().TotalMilliseconds);
        }
        sendTimes.Sort();
        for (var i = 10; i < sendTimes.Count; i++)
            Assert.True(sendTimes[i] - sendTimes[i - 10] >= 1000, $"events {i - 10} and {i} are {sendTimes[i] - sendTimes[i - 10]} ms apart");
    }

    [Fact]
    public void After_a_quiet_second_the_full_allowance_is_back()
    {
        var clock = new ManualClock();
        var pacer = new ClientEventPacer(10, clock);
        for (var i = 0; i < 10; i++) pacer.Reserve();
        clock.Now += 1025;
        for (var i = 0; i < 10; i++) Assert.Equal(TimeSpan.Zero, pacer.Reserve());
    }
}
