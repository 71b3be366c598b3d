using System.Text;
using System.Text.RegularExpressions;

namespace Realtime.Pusher.Validation;

/// <summary>
/// Pusher Channels' documented limits, checked before anything is signed or sent.
/// soketi is more lenient in places (e.g. channel names up to 200 chars); we code to Pusher's rules.
/// </summary>
public static partial class PusherLimits
{
    public const int MaxChannelNameLength = 164;
    public const int MaxEventNameLength = 200;
    /// <summary>10 KB of event data, counted in UTF-8 bytes.</summary>
    public const int MaxDataBytes = 10 * 1024;
    public const int MaxChannelsPerTrigger = 100;
    public const int MaxEventsPerBatch = 10;

    // Limit names carried by PusherValidationException.Limit.
    public const string ChannelNameLimit = "channel_name";
    public const string EventNameLimit = "event_name";
    public const string DataSizeLimit = "data_size";
    public const string ChannelCountLimit = "channel_count";
    public const string BatchSizeLimit = "batch_size";
    public const string SocketIdLimit = "socket_id";
    public const string UserIdLimit = "user_id";
    public const string ChannelTypeLimit = "channel_type";

    // \z, not $: in .NET $ also matches before a final "\n", so "roblox-sync\n" passed.
    [GeneratedRegex(@"^[A-Za-z0-9_\-=@,.;]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex ChannelNamePattern();

    public static bool IsValidChannelName(string? channel) =>
        !string.IsNullOrEmpty(channel) && channel.Length <= MaxChannelNameLength && ChannelNamePattern().IsMatch(channel);

    public static bool IsValidSocketId(string? socketId) =>
        !string.IsNullOrEmpty(socketId) && IsAsciiDigitsDotDigits(socketId);

    public static void ValidateChannelName(string? channel, string paramName = "channel")
    {
        if (string.IsNullOrEmpty(channel))
            throw new PusherValidationException(ChannelNameLimit, "Pusher channel names must not be empty", paramName);
        if (channel.Length > MaxChannelNameLength)
            throw new PusherValidationException(ChannelNameLimit,
                $"Pusher allows channel names of at most {MaxChannelNameLength} characters; got {channel.Length} ('{Shorten(channel)}')", paramName);
        if (!ChannelNamePattern().IsMatch(channel))
            throw new PusherValidationException(ChannelNameLimit,
                $"Pusher channel names may contain only A-Z, a-z, 0-9 and _ - = @ , . ; — got '{Shorten(channel)}'", paramName);
    }

    public static void ValidateEventName(string? eventName, string paramName = "eventName")
    {
        if (string.IsNullOrEmpty(eventName))
            throw new PusherValidationException(EventNameLimit, "Pusher event names must not be empty", paramName);
        if (eventName.Length > MaxEventNameLength)
            throw new PusherValidationException(EventNameLimit,
                $"Pusher allows event names of at most {MaxEventNameLength} characters; got {eventName.Length}", paramName);
    }

    /// <summary>Checks the event data (the JSON string actually sent) against the 10 KB limit.</summary>
    public static void ValidateData(string data, string paramName = "data")
    {
        ArgumentNullException.ThrowIfNull(data, paramName);
        // Cheap upper bound first: UTF-8 is at most 3 bytes per UTF-16 char.
        if (data.Length * 3 <= MaxDataBytes) return;
        var bytes = Encoding.UTF8.GetByteCount(data);
        if (bytes > MaxDataBytes)
            throw new PusherValidationException(DataSizeLimit,
                $"Pusher allows at most {MaxDataBytes} bytes (10 KB) of event data; got {bytes} bytes", paramName);
    }

    public static void ValidateChannelCount(int count, string paramName = "channels")
    {
        if (count == 0)
            throw new PusherValidationException(ChannelCountLimit, "A Pusher trigger needs at least one channel", paramName);
        if (count > MaxChannelsPerTrigger)
            throw new PusherValidationException(ChannelCountLimit,
                $"Pusher allows at most {MaxChannelsPerTrigger} channels per trigger; got {count}", paramName);
    }

    public static void ValidateBatchSize(int count, string paramName = "events")
    {
        if (count == 0)
            throw new PusherValidationException(BatchSizeLimit, "A Pusher batch trigger needs at least one event", paramName);
        if (count > MaxEventsPerBatch)
            throw new PusherValidationException(BatchSizeLimit,
                $"Pusher allows at most {MaxEventsPerBatch} events per batch trigger; got {count}", paramName);
    }

    public static void ValidateSocketId(string? socketId, string paramName = "socketId")
    {
        if (!IsValidSocketId(socketId))
            throw new PusherValidationException(SocketIdLimit,
                $"A Pusher socket id looks like '1234.5678' (digits '.' digits); got '{Shorten(socketId ?? "(null)")}'", paramName);
    }

    public static void ValidateUserId(string? userId, string paramName = "userId")
    {
        if (string.IsNullOrEmpty(userId))
            throw new PusherValidationException(UserIdLimit, "A Pusher user id must be a non-empty string", paramName);
    }

    // \d in .NET matches any Unicode digit; Pusher (and the Node SDK's JS regex) mean ASCII 0-9.
    private static bool IsAsciiDigitsDotDigits(string s)
    {
        var dot = s.IndexOf('.');
        if (dot <= 0 || dot == s.Length - 1) return false;
        for (var i = 0; i < s.Length; i++)
        {
            if (i == dot) continue;
            if (s[i] is < '0' or > '9') return false;
        }
        return true;
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";
}
